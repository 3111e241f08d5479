// What went wrong with a request, in words a user can act on.
//
// fetch() rejects with the same TypeError for a CORS refusal and for a host that cannot be reached: the page is
// not told which. An honest way to tell them apart: ask again with mode "no-cors". That request is not subject to
// CORS; if it gets an (opaque) answer the server is up and answered, so the first failure was the CORS check.
// The probe is aborted as soon as it answers (no body is read) and is made once per origin.

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

const probes = new Map(); // origin → Promise<boolean> (true: the server answers without CORS)

/** Explain a fetch() TypeError for `url`. Network failures are retryable; a CORS refusal is not. */
export async function explainNetworkFailure(url, { sentAuth = false, signal } = {}) {
  let target;
  try { target = new URL(url); } catch { return new NetError("source", `not a valid address`); }
  if (self.location.protocol === "https:" && target.protocol === "http:") {
    return new NetError("mixed-content", `the page is served over https, so the browser refuses plain http addresses (mixed content): use https for ${target.origin}`);
  }
  if (!probes.has(target.origin)) probes.set(target.origin, probe(url, signal));
  const answered = await probes.get(target.origin);
  if (answered) {
    probes.delete(target.origin); // the server may be fixed while the page stays open: probe again next time
    const origin = pageOrigin();
    const also = sentAuth ? `, and answer the preflight (OPTIONS) with Access-Control-Allow-Headers: Authorization` : "";
    return new NetError("cors", `blocked by CORS: ${target.origin} answered but does not allow this page to read it. ` +
      `The host must send Access-Control-Allow-Origin: ${origin} (or *)${also}.`);
  }
  probes.delete(target.origin);
  return new NetError("network", `network error: ${target.host} could not be reached (refused, offline or name not found)`, { retryable: true });
}

async function probe(url, signal) {
  const ctrl = new AbortController();
  const stop = () => ctrl.abort();
  if (signal) signal.addEventListener("abort", stop, { once: true });
  const timer = setTimeout(stop, 5000);
  try {
    await fetch(url, { mode: "no-cors", credentials: "omit", cache: "no-store", signal: ctrl.signal });
    return true;
  } catch {
    return false;
  } finally {
    clearTimeout(timer);
    ctrl.abort(); // the opaque body is never read
    if (signal) signal.removeEventListener("abort", stop);
  }
}
