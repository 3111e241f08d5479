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

import { Pace } from "./net/pace.js";
import { writeFiles } from "./net/archive.js";

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
      site: { url: new URL(runtimeJson.site.url, base).href, sha256: runtimeJson.site.sha256, bytes: runtimeJson.site.bytes || 0 },
      numpy: runtimeJson.numpy ? { url: new URL(runtimeJson.numpy.url, base).href, sha256: runtimeJson.numpy.sha256,
        bytes: runtimeJson.numpy.bytes || 0 } : null,
      // LZMA2 copies of start-up files (build.py's PACKED), by the plain file's address: {url, bytes, rawBytes, ...}
      packed: Object.fromEntries(Object.entries(runtimeJson.packed || {}).map(([rel, p]) =>
        [new URL(rel, base).href, { ...p, url: new URL(p.url, base).href }])),
      expect: runtimeJson.expect || 0, // bytes of the files the start-up fetches, for the progress bar
      expectPacked: runtimeJson.expectPacked || 0, // ... where it fetches their LZMA2 copies (a first visit)
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
    packed: {},
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
 * to count its bytes and, unless it came from the cache, stored in the build's cache. Returns {wasmDone, broken}:
 * a promise that resolves when the wasm's last bytes are a request's wait away (net/pace.js; at once for a runtime
 * not served by this build), and one that rejects when a file decoded from its LZMA2 copy is damaged.
 * `prefetched`: url → a promise of the Response the worker requested before Pyodide asked (handed to Pyodide when
 * it does), with the time it was asked (`asked`) and the Response with the time it was answered (`answeredAt`).
 */
export function tapRuntimeFetches(rt, progress, cache, prefetched = new Map()) {
  const own = new RegExp(`^${rt.base.replace(/[.*+?^${}()|[\]\\]/g, "\\$&")}(pyodide|py|codecs)/`);
  const wasmUrl = new URL("pyodide.asm.wasm", rt.indexURL).href;
  let wasmArrived = () => {};
  const wasmDone = rt.source === "local" ? new Promise((resolve) => (wasmArrived = resolve)) : Promise.resolve();
  let fail;
  const broken = new Promise((_, reject) => (fail = reject)); // rejects if a file decoded from LZMA2 is damaged
  broken.catch(() => {});
  const plain = self.fetch.bind(self);
  self.fetch = async (input, init) => {
    let url = "";
    try {
      url = input instanceof Request ? input.url : new URL(String(input), self.location.href).href; // Pyodide passes URLs
      const early = prefetched.get(url); // requested by the worker the moment it started (worker.js)
      prefetched.delete(url);
      const pace = new Pace(early && early.asked ? early.asked : performance.now());
      const response = await (early || plain(input, init));
      pace.answered(response.answeredAt);
      if (own.test(url) && response.ok && response.status === 200) {
        const packed = response.packed; // decoded from the build's LZMA2 copy (net/packed.js): count what travels
        const watch = url === wasmUrl ? { pace, total: packed ? packed.bytes : rt.wasmBytes || 0, arrived: wasmArrived } : null;
        if (packed) {
          packed.listen((n) => count(n, progress, watch));
          packed.outcome.then((e) => e && fail(e));
        }
        keep(url, response.clone(), packed ? null : progress, cache, packed ? null : watch)
          .finally(() => { if (watch) watch.arrived(); });
      } else if (url === wasmUrl) wasmArrived();
      return response;
    } catch (e) {
      if (!url || url === wasmUrl) wasmArrived(); // whoever waits for the wasm learns of the failure from Pyodide
      throw e;
    }
  };
  return { wasmDone, broken };
}

/** `n` more bytes of a runtime file: on the progress bar and, for the wasm (`watch`: {pace, total, arrived}), call
 * `arrived` once the rest of its `total` bytes is a request's wait away. */
function count(n, progress, watch) {
  progress.add(n);
  if (watch) {
    watch.pace.add(n);
    if (watch.pace.nearlyDone(watch.total)) watch.arrived();
  }
}

/** Store the bytes of one runtime file, counting them unless `progress` is null (counted as they travel instead).
 * `watch` as count() takes it; `arrived` is called at the latest when the last byte has come. */
async function keep(url, response, progress, cache, watch = null) {
  const arrived = watch ? watch.arrived : null;
  try {
    const reader = response.body.getReader();
    const chunks = [];
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      if (progress) count(value.byteLength, progress, watch);
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

// ------------------------------------------------------------------------------------------------ start in the worker
/**
 * Start Python in the worker: runtime.json (inlined by the page, `boot.runtime`), Pyodide (from its memory snapshot
 * on a repeat visit), the site, venos.api, numpy and the codec hooks. `early`: Pyodide's module, already requested;
 * `pageFetched(url)`: a promise of the bytes the page fetches for the worker; `blobs`: the ./blobs.js module promise.
 * Resolves with {py, api, rt, codecHooks, pythonCodes, keepDecompressed, info}.
 */
export async function startPython({ boot, early, base: BASE, emit, timings, mark, pageFetched, blobs: blobsModule,
  prefetched = new Map(), keptSnapshot = null }) {
  let py = null;
  let codecHooks = null;
  const progress = new Progress(emit);
  // runtime.json, inlined into the built index.html; fetched when the page had none (an older page, the repo)
  const rt = chooseRuntime(boot.runtime || await fetchRuntimeJson(BASE), BASE);
  mark("runtimeJson");
  emit("stage", { stage: "runtime", source: rt.source, indexURL: rt.indexURL });
  const pyodideModule = early || import(rt.indexURL + "pyodide.mjs");
  // the codec hooks' module, asked for now: asked when Python is up, its round trip came right before `ready`
  const codecsModule = rt.codecs && rt.codecs.length ? import("./codecs.js") : null;
  if (codecsModule) codecsModule.catch(() => {}); // reported by setupCodecs
  const cache = await buildCache(rt.build);
  const { wasmDone, broken } = tapRuntimeFetches(rt, progress, cache, prefetched);
  progress.expect((boot.controlled ? rt.expect : rt.expectPacked || rt.expect) || 0); // a first visit's: the LZMA2 copies
  // The Python site is needed only once the interpreter is up, which needs the wasm: asked for as the wasm's last
  // bytes arrive (a request's wait before its end, net/pace.js), its download overlaps the interpreter's start
  // instead of slowing the wasm down. pydicom + venos first, numpy after: pydicom and venos import while numpy's
  // bytes are still on the way (numpy is a stand-in until then, venos/_lazy.py), and numpy's own import follows its
  // arrival. The page fetches them, each as the one before ends: once the wasm is in, the interpreter's start blocks
  // this thread for ~0.7 s, and a request issued here would wait for it, while the page's thread is free
  // (app/js/rpc.js, "fetch"), which then says the link is free for the case (worker.js, linkFree).
  // The page has checked each against its sha256 and unpacked it ({buf, files}; files: null when it could not).
  const archive = (part) => pageFetched(part.url).then((got) => {
    progress.add(got.wireBytes || got.buf.byteLength);
    // kept for repeat visits (which the service worker serves from there: nothing to store again)
    if (cache && !boot.controlled) cache.put(part.url, new Response(got.buf, { headers: { "Content-Type": "application/zip" } })).catch(() => {});
    return got;
  });
  // A first visit fetches their LZMA2 copies (net/lzma2.js, decoded by the page); a repeat visit the plain files
  // the service worker keeps.
  const parts = [rt.site, rt.numpy].filter(Boolean).map(({ url, sha256, bytes }) =>
    ({ url, sha256, bytes, runtime: true, packed: boot.controlled ? null : rt.packed[url] || null }));
  // (a repeat visit's come from the service worker's cache, not the link: asked for at once, so the page has checked
  // and unpacked them by the time the interpreter is up)
  if (parts.length) (boot.controlled ? Promise.resolve() : wasmDone).then(() => emit("fetch", { parts }));
  const siteBytes = rt.site ? archive(rt.site) : null;
  const numpyBytes = rt.numpy ? archive(rt.numpy) : null;
  if (numpyBytes) numpyBytes.catch(() => {}); // reported where it is awaited
  let mod;
  try {
    mod = await pyodideModule;
  } catch (e) {
    throw { code: "runtime", message: `cannot load the Python runtime (Pyodide) from ${rt.indexURL}: ${e.message || e}` };
  }
  const options = { indexURL: rt.indexURL, fullStdLib: false, packages: rt.packages || [],
    stdout: () => {}, stderr: (s) => console.warn(s) };
  // A repeat visit restores the interpreter from the memory snapshot build.py made, when the service worker has
  // kept it (never fetched on the way to a first visit's image); any failure falls back to a normal start.
  const { snapshot, keep: keepDecompressed } = await cachedSnapshot(rt, cache, timings, keptSnapshot);
  // (a repeat visit's wasm is the service worker's copy: compiled as the first visit's rehearsal compiled it)
  const load = (opts) => (boot.controlled ? asRepeatVisit(() => mod.loadPyodide(opts)) : mod.loadPyodide(opts));
  if (snapshot) {
    try {
      py = await load({ ...options, _loadSnapshot: snapshot });
      timings.snapshot = "restored";
    } catch (e) {
      timings.snapshot = `not restored: ${e.message || e}`;
      console.warn(`VeNOS: starting without the memory snapshot (${timings.snapshot})`);
      py = null;
    }
  }
  if (!py) py = await Promise.race([load(options), broken]);
  mark("pyodide");
  emit("stage", { stage: "python" });
  // Files the page unpacked are only written; an archive it could not unpack goes through Python, which says why
  // (venos is in a restored snapshot, so its own lighter unzip is there to use).
  const unpack = ({ buf, files }) => {
    if (files) return writeSite(py, files);
    const where = sitePackages(py);
    if (timings.snapshot === "restored") py.pyimport("venos._lazy").unpack(buf, where);
    else py.unpackArchive(buf, "zip", { extractDir: where });
    forgetListings(py);
  };
  if (siteBytes) {
    const site = await siteBytes;
    mark("siteArrived");
    unpack(site);
  }
  mark("site");
  if (rt.source === "cdn") await installFromSources(py, rt);
  py.registerJsModule("venos_blobs", await blobsModule); // venos.blob.JsBlob reads files through it
  // Modules the start-up does not import arrive on first import (runtime diet, venos/_lazy.py).
  const lazy = py.pyimport("venos._lazy");
  lazy.install(rt.base);
  if (numpyBytes) lazy.defer(py.toPy(["numpy"])); // (already a stand-in after a snapshot restore)
  const api = py.pyimport("venos.api");
  mark("import");
  if (numpyBytes) {
    unpack(await numpyBytes);
    mark("numpyArrived");
    lazy.load("numpy");
    mark("numpy");
  }
  const codes = api.error_codes();
  const pythonCodes = codes.toJs({ dict_converter: Object.fromEntries });
  codes.destroy();
  codecHooks = await setupCodecs(py, api, rt, emit, codecsModule);
  const v = api.version().toJs({ dict_converter: Object.fromEntries });
  mark("ready");
  return { py, api, rt, codecHooks, pythonCodes, keepDecompressed,
    info: { versions: v, source: rt.source, build: rt.build, timings } };
}

// A repeat visit compiles Pyodide's wasm, the service worker's copy, with this option. It changes nothing for a
// module that imports none of the JS string builtins, but V8 keys its in-process module cache by it: the module the
// first visit's rehearsal (./rehearsal.js) compiles is then its own, not the one that visit runs (compiled from the
// LZMA2 copy, the same bytes), and so it is optimized and cached beside the service worker's copy (V8's code cache,
// which Chrome writes only for a module it compiled itself from a response out of Cache Storage); every later visit,
// compiled the same way, deserializes it (docs/decisions.md).
const REPEAT_VISIT_COMPILE = { builtins: ["js-string"] };

/** Run `start` (Pyodide's loadPyodide) with its wasm compiled as a repeat visit's (REPEAT_VISIT_COMPILE). */
async function asRepeatVisit(start) {
  const plain = WebAssembly.instantiateStreaming;
  WebAssembly.instantiateStreaming = (source, imports) => plain.call(WebAssembly, source, imports, REPEAT_VISIT_COMPILE);
  try {
    return await start();
  } finally {
    WebAssembly.instantiateStreaming = plain;
  }
}

const sitePackages = (py) => py._api.sitePackages || "/lib/python3.12/site-packages";

/** New folders and files in the site: the import system forgets what it listed before (importlib.invalidate_caches()
 * would do it too, but it imports importlib.metadata, ~60 ms, which nothing at start needs). */
function forgetListings(py) {
  const sys = py.pyimport("sys");
  sys.path_importer_cache.clear();
  sys.destroy();
}

/** Write files net/archive.js unpacked ({names, ends, data}) into Python's site-packages, ready to import (the
 * viewer's start and a parsing helper's). */
export function writeSite(py, files) {
  writeFiles(py.FS, files, sitePackages(py));
  forgetListings(py);
}

/** The build's memory snapshot from the service worker's cache; null when it is not there yet. `kept`: the worker's
 * early read of the decompressed one ({bytes, ms} or null). The service worker decompresses the shipped .gz when it
 * installs (sw.js); where it could not, the first restore does and keeps the result beside it, so later visits read
 * it as it is (~0.1 s less). */
async function cachedSnapshot(rt, cache, timings, kept = null) {
  const none = { snapshot: null, keep: null };
  if (!rt.snapshot || !cache || typeof DecompressionStream === "undefined") return none;
  const url = new URL(rt.snapshot.url, rt.base).href;
  const raw = url.replace(/\.gz$/, "");
  try {
    const t = performance.now();
    // A restore of the wrong bytes can take the runtime down with it: the size must be the one the build made (and
    // the .gz is checked by its CRC as it is decompressed).
    const sized = (bytes, where, ms = Math.round(performance.now() - t)) => {
      if (rt.snapshot.rawBytes && bytes.length !== rt.snapshot.rawBytes) {
        throw new Error(`${where} holds ${bytes.length} bytes, the build made ${rt.snapshot.rawBytes}`);
      }
      timings.snapshotReadMs = ms;
      return bytes;
    };
    const early = kept && await kept; // (read by the worker since its start: its own time)
    if (early) return { snapshot: sized(early.bytes, "the kept snapshot", early.ms), keep: null };
    const plain = await cache.match(raw);
    if (plain) return { snapshot: sized(new Uint8Array(await plain.arrayBuffer()), "the kept snapshot"), keep: null };
    const hit = await cache.match(url);
    if (!hit) return none;
    const bytes = sized(new Uint8Array(await new Response(hit.body.pipeThrough(new DecompressionStream("gzip"))).arrayBuffer()),
      "the snapshot");
    // stores the decompressed snapshot (the worker calls it once the viewer is idle)
    const keep = () => cache.put(raw, new Response(bytes, { headers: { "Content-Type": "application/octet-stream" } }));
    return { snapshot: bytes, keep };
  } catch (e) {
    timings.snapshot = `unreadable: ${e.message || e}`;
    return none;
  }
}

async function installFromSources(py, rt) {
  const micropip = py.pyimport("micropip");
  await micropip.install(rt.pip);
  micropip.destroy();
  const listing = await (await fetch(rt.sources.manifest)).text();
  const files = listing.split(/\s+/).filter((f) => f && !f.startsWith("#"));
  const site = "/lib/python3.12/site-packages/venos/";
  await Promise.all(files.map(async (rel) => {
    const r = await fetch(rt.sources.base + rel);
    if (!r.ok) throw { code: "runtime", message: `cannot load venos/${rel}: HTTP ${r.status}` };
    const text = await r.text();
    const dir = (site + rel).split("/").slice(0, -1).join("/");
    py.FS.mkdirTree(dir);
    py.FS.writeFile(site + rel, text);
  }));
}

/** The hooks of app/js/codecs.js once registered with Python; null without codecs (their transfer syntaxes then
 * stay undecodable, saying so). */
async function setupCodecs(py, api, rt, emit, module) {
  if (!rt.codecs || !rt.codecs.length) return null;
  try {
    const mod = await module;
    await mod.registerCodecs(py, api, rt);
    return mod;
  } catch (e) {
    emit("warning", { code: "codec", message: `codecs unavailable: ${e.message || e}` });
    return null;
  }
}
