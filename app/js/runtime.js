// Where the Python runtime comes from, and its start in the worker.
//
// A built site (dist/) carries runtime.json next to index.html and vendors everything; the repository served as-is
// has no runtime.json and takes Pyodide from its official CDN, pydicom through micropip and the venos sources
// listed in app/py/venos/MANIFEST.
//
// The start is staged so that every byte the first image needs is on the wire at once: runtime.json, Pyodide's
// own files (fetched by loadPyodide) and the Python site all start together; the bytes of each are counted as they
// arrive ("stage" events with loaded/total, for a real progress bar) and put into Cache Storage under the build's
// id, so the service worker (sw.js) serves a repeat visit without the network and without downloading twice.

export const PYODIDE_VERSION = "0.27.8";
export const PYDICOM_VERSION = "3.0.2";
export const CDN_INDEX_URL = `https://cdn.jsdelivr.net/pyodide/v${PYODIDE_VERSION}/full/`;
export const CACHE_PREFIX = "venos-";

/**
 * Decide the runtime source from the response to `runtime.json` (or null when it could not be fetched).
 * Pure function of its inputs so the choice can be tested.
 * @param {object|null} runtimeJson parsed runtime.json, or null when absent
 * @param {string} base URL of the page's folder (ends with "/")
 */
export function chooseRuntime(runtimeJson, base) {
  if (runtimeJson && runtimeJson.source === "local") {
    return {
      source: "local",
      build: runtimeJson.build || "",
      indexURL: new URL(runtimeJson.pyodide.indexURL, base).href,
      site: { url: new URL(runtimeJson.site.url, base).href, sha256: runtimeJson.site.sha256 },
      numpy: runtimeJson.numpy ? { url: new URL(runtimeJson.numpy.url, base).href, sha256: runtimeJson.numpy.sha256 } : null,
      expect: runtimeJson.expect || 0, // bytes of the files the start-up fetches, for the progress bar
      wasmBytes: runtimeJson.wasmBytes || 0,
      snapshot: runtimeJson.snapshot || null, // a memory snapshot the service worker keeps for repeat visits
      codecs: runtimeJson.codecs || [],
      codecBase: new URL("codecs/", base).href,
      base,
    };
  }
  return {
    source: "cdn",
    build: "",
    indexURL: CDN_INDEX_URL,
    packages: ["numpy", "micropip"],
    pip: [`pydicom==${PYDICOM_VERSION}`],
    sources: { manifest: new URL("app/py/venos/MANIFEST", base).href, base: new URL("app/py/venos/", base).href },
    expect: 0,
    snapshot: null,
    codecs: [],
    codecBase: null,
    base,
  };
}

/** Fetch runtime.json beside the page; null when there is none (the repository served without a build). */
export async function fetchRuntimeJson(base) {
  try {
    const r = await fetch(new URL("runtime.json", base), { cache: "no-cache" });
    if (!r.ok) return null;
    return await r.json();
  } catch {
    return null;
  }
}

/** Counts the bytes of the runtime's files as they arrive and reports them at most every 100 ms. */
export class Progress {
  constructor(emit) {
    this.emit = emit;
    this.loaded = 0;
    this.total = 0;
    this.last = 0;
  }

  expect(bytes) { this.total += bytes; this.report(true); }

  add(n) {
    this.loaded += n;
    this.report(false);
  }

  report(force) {
    const now = performance.now();
    if (!force && now - this.last < 100) return;
    this.last = now;
    this.emit("stage", { stage: "download", loaded: this.loaded, total: Math.max(this.total, this.loaded) });
  }
}

/**
 * Watch the worker's own fetches of the build's files (Pyodide fetches its wasm and standard library itself): each
 * response is handed on untouched (so streaming compilation and the code cache work as usual) while a clone is read
 * to count its bytes and, unless it came from the cache, stored in the build's cache. Returns a promise that
 * resolves when most of the wasm has arrived (at once for a runtime not served by this build).
 */
export function tapRuntimeFetches(rt, progress, cache) {
  const own = new RegExp(`^${rt.base.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}(pyodide|py|codecs)/`);
  const wasmUrl = new URL("pyodide.asm.wasm", rt.indexURL).href;
  let wasmArrived = () => {};
  const wasmDone = rt.source === "local" ? new Promise((resolve) => (wasmArrived = resolve)) : Promise.resolve();
  const plain = self.fetch.bind(self);
  self.fetch = async (input, init) => {
    let url = "";
    try {
      const response = await plain(input, init);
      url = input instanceof Request ? input.url : new URL(String(input), self.location.href).href; // Pyodide passes URLs
      if (own.test(url) && response.ok && response.status === 200) {
        const nearly = url === wasmUrl ? Math.floor(0.75 * (rt.wasmBytes || 0)) : 0;
      keep(url, response.clone(), progress, cache, url === wasmUrl ? wasmArrived : null, nearly);
      } else if (url === wasmUrl) wasmArrived();
      return response;
    } catch (e) {
      if (!url || url === wasmUrl) wasmArrived(); // whoever waits for the wasm learns of the failure from Pyodide
      throw e;
    }
  };
  return wasmDone;
}

async function keep(url, response, progress, cache, arrived, nearly = 0) {
  try {
    const reader = response.body.getReader();
    const chunks = [];
    let got = 0;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      progress.add(value.byteLength);
      got += value.byteLength;
      if (arrived && nearly && got >= nearly) arrived();
    }
    if (arrived) arrived();
    if (cache && !(await cache.match(url))) {
      // decoded bytes: only the type travels (a Content-Encoding or Content-Length header would no longer be true)
      const headers = { "Content-Type": response.headers.get("Content-Type") || "application/octet-stream" };
      await cache.put(url, new Response(new Blob(chunks), { headers, status: 200 }));
    }
  } catch { /* counting and caching are best effort: the runtime itself has the original response */ }
  if (arrived) arrived();
}

/** The build's Cache Storage bucket (null where Cache Storage is unavailable, e.g. an insecure origin). A page of
 * an older build that is still open must not bring its bucket back once a newer build's service worker retired it
 * (the next visit would find two builds' caches): the bucket is made only when no other build has one. */
export async function buildCache(build) {
  if (!build || typeof caches === "undefined") return null;
  try {
    const name = CACHE_PREFIX + build;
    const names = await caches.keys();
    if (!names.includes(name) && names.some((k) => k.startsWith(CACHE_PREFIX))) return null;
    return await caches.open(name);
  } catch { return null; }
}

export async function checkSha256(buf, expected, url) {
  const digest = await crypto.subtle.digest("SHA-256", buf);
  const hex = [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
  if (hex !== expected) throw { code: "integrity", message: `${url}: sha256 ${hex} does not match ${expected}` };
}
