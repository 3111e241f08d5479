// What went wrong with a request, in words a user can act on.
//
// fetch() rejects with the same bare TypeError for a CORS refusal, a host that cannot be reached, a redirect to a
// server that refuses CORS, and too many redirects: the page is not told which. What the browser does let a page
// see (checked in Chromium, and required by the Fetch standard):
// * `redirect: "manual"` in cors mode answers a redirect with an "opaqueredirect" response (no Location, status 0)
//   without following it, so "does this address redirect?" has an honest answer. (no-cors + manual is always a
//   network error, by the standard, so that combination tells nothing.)
// * mode "no-cors" is not subject to CORS: if it gets an (opaque) answer, the chain of redirects ended at a server
//   that answered, so the first failure was a CORS check.
// * Neither reveals where a redirect leads, nor whether a failing chain loops or ends at a dead host: the message
//   then says both.
// * A failure while reading the body comes after the headers were read under CORS: it is never a CORS refusal
//   (queue.js reports it as a broken connection without asking here).
// Probes are aborted as soon as they answer (no body is read). The redirect probe is per address (one address of a
// host may redirect, the next not); the no-cors probe of a host is shared by the failures waiting for it.

export class NetError extends Error {
  constructor(code, message, { status = 0, retryable = false, retryAfterMs = 0 } = {}) {
    super(message);
    this.code = code;
    this.status = status;
    this.retryable = retryable;
    this.retryAfterMs = retryAfterMs;
  }
}

const pageOrigin = () => self.location.origin;

/** A reason not to fetch `url` at all (NetError), or null: only http(s) is fetched; anything else (javascript:,
 * data:, file:, blob:, …) is refused at once, never retried. Only the scheme is quoted: the rest may be hostile. */
export function refuseAddress(url) {
  let u;
  try { u = new URL(url, self.location.href); } catch { return new NetError("address", "not a valid address"); }
  if (u.protocol === "http:" || u.protocol === "https:") return null;
  return new NetError("address", `${u.protocol.slice(0, 20)} addresses are not fetched: only http and https are`);
}

/** An HTTP answer that is not 2xx → NetError (5xx, 408 and 429 are worth retrying). */
export function explainHttp(resp, url) {
  const s = resp.status;
  const text = `HTTP ${s}${resp.statusText ? " " + resp.statusText : ""}`;
  const ra = parseRetryAfter(resp.headers.get("retry-after"));
  if (s === 404 || s === 410) return new NetError("not-found", `${text}: the server has no file at this address`, { status: s });
  if (s === 401 || s === 403) {
    return new NetError("unauthorized", `${text}: the server refused access; give a bearer token (DICOMweb) or check the link`, { status: s });
  }
  if (s === 408 || s === 429) return new NetError("busy", `${text}: the server is busy`, { status: s, retryable: true, retryAfterMs: ra });
  if (s >= 500) return new NetError("server", `${text}: server error`, { status: s, retryable: true, retryAfterMs: ra });
  return new NetError("http", text, { status: s });
}

function parseRetryAfter(v) {
  if (!v) return 0;
  const secs = Number(v);
  const ms = Number.isFinite(secs) ? secs * 1000 : Date.parse(v) - Date.now();
  return Number.isFinite(ms) ? Math.max(0, Math.min(ms, 10000)) : 0;
}

const noCorsProbes = new Map(); // origin → Promise<boolean> (true: the server answers when CORS is not asked)

/** Explain a fetch() TypeError raised before any response for `url`. Network failures are retryable; CORS
 * refusals and redirects that fail are not (asking again gets the same answer). */
export async function explainNetworkFailure(url, { sentAuth = false, signal } = {}) {
  const refused = refuseAddress(url);
  if (refused) return refused;
  const target = new URL(url, self.location.href);
  if (self.location.protocol === "https:" && target.protocol === "http:") {
    return new NetError("mixed-content", `the page is served over https, so the browser refuses plain http addresses (mixed content): use https for ${target.origin}`);
  }
  const sameOrigin = target.origin === pageOrigin();
  const first = await probe(target.href, { mode: "cors", redirect: "manual" }, signal);
  if (first === "opaqueredirect") {
    // The server answered with a redirect, readable under CORS: what failed is following it.
    const ends = await probe(target.href, { mode: "no-cors" }, signal);
    if (ends) {
      // Fetch standard, HTTP-redirect fetch: a redirect from an origin other than the page's to a different origin
      // "taints" the request, whose Origin is then sent as null: only a * grant can match it.
      const allow = sameOrigin ? `${pageOrigin()} (or *)` : `* (when the redirect leads to another origin the browser ` +
        `sends Origin: null, so naming ${pageOrigin()} is not enough)`;
      return new NetError("redirect", `${target.host} redirects this address to another one that does not allow this page to ` +
        `read it (CORS): the server it leads to must send Access-Control-Allow-Origin: ${allow}, or link the final address directly.`);
    }
    return new NetError("redirect", `${target.host} redirects this address, but following it fails: a redirect loop ` +
      `(too many redirects), or a redirect to a host that cannot be reached. Open the address in a browser tab to see where it leads.`);
  }
  if (first) {
    // It answers now, and readably: a preflight was refused (a token makes the request non-simple), or the
    // connection failed once.
    if (sentAuth && !sameOrigin) return corsError(target, true);
    return new NetError("network", `network error: the connection to ${target.host} failed (it answers a second request)`, { retryable: true });
  }
  if (!sameOrigin) {
    // Shared by the failures of one origin in flight: a case on a host without CORS fails six requests at a time.
    if (!noCorsProbes.has(target.origin)) noCorsProbes.set(target.origin, probe(target.href, { mode: "no-cors" }, signal));
    const answered = await noCorsProbes.get(target.origin);
    noCorsProbes.delete(target.origin); // the server may be fixed while the page stays open: probe again next time
    if (answered) return corsError(target, sentAuth);
  }
  return new NetError("network", `network error: ${target.host} could not be reached (refused, offline or name not found)`, { retryable: true });
}

function corsError(target, sentAuth) {
  const also = sentAuth ? `, and answer the preflight (OPTIONS) with Access-Control-Allow-Headers: Authorization` : "";
  return new NetError("cors", `blocked by CORS: ${target.origin} answered but does not allow this page to read it. ` +
    `The host must send Access-Control-Allow-Origin: ${pageOrigin()} (or *)${also}.`);
}

/** Ask `url` once more with `init`, read no body: the response type ("opaqueredirect", "cors", "basic",
 * "opaque"), or false when the request failed or took over 5 s. */
async function probe(url, init, signal) {
  const ctrl = new AbortController();
  const stop = () => ctrl.abort();
  if (signal) signal.addEventListener("abort", stop, { once: true });
  const timer = setTimeout(stop, 5000);
  try {
    const resp = await fetch(url, { ...init, credentials: "omit", cache: "no-store", signal: ctrl.signal });
    return resp.type || "basic";
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
    ctrl.abort(); // the body is never read
    if (signal) signal.removeEventListener("abort", stop);
  }
}
