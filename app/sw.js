// VeNOS service worker: repeat visits need no network for the viewer, and it opens offline.
//
// build.py writes this file into dist/ with the build's id below, so a new build is a new service worker: the
// browser installs it beside the old one, it fills its own cache (copying every unchanged file from the old cache
// instead of downloading it again, checked by sha256 against runtime.json) and takes over once no page of the old
// build is open; then the old cache is deleted. A page is always served by one build, whole.
//
// Most files are already in the cache by then: the Python worker stores the runtime files it downloads while the
// first visit loads (app/js/runtime.js), so installing costs only what that visit did not need (codecs, the
// page's own scripts, bundles of modules used later). Rarely used module bundles (py/lazy/, except "features")
// are stored when first used. Requests to other origins (the images of a case) are never touched.

const BUILD = "__VENOS_BUILD__";
const CACHE = `venos-${BUILD}`;
const SCOPE = new URL("./", self.location.href).href;
// cached on first use, not at install: lazy modules, the sample case; never: the LZMA2 copies a first visit fetches
// (runtime.js keeps the plain files they decode to)
const LATER = /^(py\/lazy\/(?!features\.zip$)|sample\/)|\.lzma2$/;

let manifest = null; // runtime.json of this build: {files: {path: {bytes, sha256}}}

self.addEventListener("install", (event) => event.waitUntil(precache()));
self.addEventListener("activate", (event) => event.waitUntil(retire().then(() => self.clients.claim())));
// Only the build's own files and the page itself: anything else under the same folder (a case hosted beside the
// viewer, say) goes to the network untouched.
const OWN = /^(index\.html|runtime\.json|app\/|pyodide\/|py\/|codecs\/)/;
self.addEventListener("fetch", (event) => {
  const req = event.request;
  if (req.method !== "GET" || !req.url.startsWith(SCOPE)) return;
  const path = new URL(req.url).pathname.slice(new URL(SCOPE).pathname.length);
  const page = req.mode === "navigate" && (path === "" || path === "index.html");
  if (page || (req.mode !== "navigate" && OWN.test(path))) event.respondWith(serve(req));
});

async function buildManifest() {
  if (manifest) return manifest;
  const cache = await caches.open(CACHE);
  const hit = await cache.match(SCOPE + "runtime.json");
  manifest = hit ? await hit.json() : { files: {} };
  return manifest;
}

async function serve(req) {
  const url = new URL(req.url);
  // a page of the viewer, whatever its query (a share link): this build's index.html
  const key = req.mode === "navigate" ? SCOPE + "index.html" : url.origin + url.pathname;
  const hit = await caches.match(key, { cacheName: CACHE }); // (one call: a start asks for ~40 files at once)
  if (hit) return hit;
  const cache = await caches.open(CACHE);
  const res = await fetch(req);
  const path = key.slice(SCOPE.length);
  const files = (await buildManifest()).files;
  if (res.ok && res.status === 200 && files[path] && req.mode !== "navigate") {
    try { await cache.put(key, res.clone()); } catch { /* quota: served from the network next time too */ }
  }
  return res;
}

async function sha256(buf) {
  const d = await crypto.subtle.digest("SHA-256", buf);
  return [...new Uint8Array(d)].map((b) => b.toString(16).padStart(2, "0")).join("");
}

async function precache() {
  const res = await fetch(SCOPE + "runtime.json", { cache: "no-cache" });
  const rt = await res.clone().json();
  if (rt.build !== BUILD) throw new Error(`runtime.json is build ${rt.build}, this service worker ${BUILD}`);
  const cache = await caches.open(CACHE);
  const older = (await caches.keys()).filter((k) => k.startsWith("venos-") && k !== CACHE);
  for (const [path, info] of Object.entries(rt.files)) {
    if (LATER.test(path)) continue;
    const url = SCOPE + path;
    const mine = await cache.match(url);
    if (mine && await sha256(await mine.arrayBuffer()) === info.sha256) continue;
    let body = null;
    for (const name of older) { // unchanged since the previous build: copy, do not download
      const old = await (await caches.open(name)).match(url);
      const buf = old && await old.arrayBuffer();
      if (buf && await sha256(buf) === info.sha256) { body = new Response(buf, { headers: old.headers }); break; }
    }
    if (!body) {
      const fresh = await fetch(url, { cache: "no-cache" });
      const buf = fresh.ok ? await fresh.arrayBuffer() : null;
      if (!buf || await sha256(buf) !== info.sha256) throw new Error(`${path}: not the file of build ${BUILD}`);
      body = new Response(buf, { headers: { "Content-Type": fresh.headers.get("Content-Type") || "application/octet-stream" } });
    }
    await cache.put(url, body);
  }
  await keepSnapshotPlain(cache, rt.snapshot);
  await cache.put(SCOPE + "runtime.json", res);
}

// The memory snapshot travels gzipped (5 MB instead of 21); a repeat visit restores it from here. Decompressed now,
// on this thread, while the first visit goes on: a repeat visit then reads it as it is, where decompressing it
// would have cost the Python worker ~0.1 s before anything else (docs/benchmarks.md). Its size is the build's (the
// gzip's own CRC checks the rest); if this fails, the worker reads the .gz instead (app/js/runtime.js).
async function keepSnapshotPlain(cache, snapshot) {
  if (!snapshot || typeof DecompressionStream === "undefined") return;
  const url = SCOPE + snapshot.url;
  const plain = url.replace(/\.gz$/, "");
  if (plain === url || await cache.match(plain)) return;
  try {
    const gz = await cache.match(url);
    if (!gz) return;
    const buf = await new Response(gz.body.pipeThrough(new DecompressionStream("gzip"))).arrayBuffer();
    if (buf.byteLength !== snapshot.rawBytes) return;
    await cache.put(plain, new Response(buf, { headers: { "Content-Type": "application/octet-stream" } }));
  } catch { /* the worker decompresses the .gz itself */ }
}

async function retire() {
  // A newer build may already be installing or waiting beside this one (deployed while this one was activating):
  // its cache is not this one's to delete; it retires this one when it takes over.
  if (self.registration.installing || self.registration.waiting) return;
  for (const name of await caches.keys()) if (name.startsWith("venos-") && name !== CACHE) await caches.delete(name);
}
