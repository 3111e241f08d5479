// The Python worker: loads Pyodide and the venos package in stages, then answers RPC from the page.
// All DICOM logic runs here, in Python, so the page never freezes. Work is done in small tasks with
// priorities (render > quick calls > parsing > background decoding), yielding between tasks so a window
// drag or a scroll is served while hundreds of files are still being parsed.

// No static imports: the module runs as soon as it arrives, and everything below loads in parallel with the
// runtime's own downloads.
const runtimeModule = import("./runtime.js");
let blobs = null; // ./blobs.js: the bytes of every loaded file, read by Python on demand
const blobsModule = import("./blobs.js").then((m) => (blobs = m));

const BASE = new URL("../../", self.location.href).href; // folder of index.html
let py = null; // the Pyodide instance
let api = null; // PyProxy of the venos.api module
let codecHooks = null; // ./codecs.js once set up: loads browser codecs when Python asks
let runtime = null; // chooseRuntime()'s answer
const timings = {};
const t0 = performance.now();
const mark = (name) => { timings[name] = Math.round(performance.now() - t0); };
let markReady;
const pythonReady = new Promise((resolve) => (markReady = resolve)); // resolves once venos.api is imported
let gotBoot;
const bootMessage = new Promise((resolve) => (gotBoot = resolve)); // start.js's first message: {runtime}

// ------------------------------------------------------------------------------------------------ messaging
const post = (msg, transfer) => self.postMessage(msg, transfer || []);
const emit = (event, data) => post({ event, data });

let pythonCodes = {}; // Python exception class name → its kebab-case code (venos.errors.error_codes)
function errorInfo(e) {
  if (e && e.code && e.message) return { code: e.code, message: e.message, source: e.source || "" };
  const msg = String((e && e.message) || e);
  // A Python traceback: keep the last line (the exception) for users, the full text for the console. The code is
  // the one the API documents for a VenosError, "internal" for anything else (a bug, which the detail explains).
  let last = msg.trim().split("\n").pop();
  if (e && e.type && last.startsWith(`${e.type}: `)) last = last.slice(e.type.length + 2);
  else if (e && e.type) last = last.replace(new RegExp(`^[\\w.]+\\.${e.type}: `), "");
  return { code: (e && e.type && pythonCodes[e.type]) || "internal", message: last, detail: msg };
}

// Files the page fetched for the worker (its thread is free while this one starts the interpreter): url → promise.
const fetchedByPage = new Map();
function pageFetched(url) {
  if (!fetchedByPage.has(url)) {
    let settle;
    const p = new Promise((resolve, reject) => (settle = { resolve, reject }));
    p.settle = settle;
    fetchedByPage.set(url, p);
  }
  return fetchedByPage.get(url);
}
function onFetched({ url, buf, error }) {
  const p = pageFetched(url);
  if (buf) p.settle.resolve(buf);
  else p.settle.reject({ code: "runtime", message: `cannot load ${url}: ${error}` });
}

// ------------------------------------------------------------------------------------------------ start-up
// Every request the first image needs goes out at once: runtime.json, then together Pyodide's files (fetched by
// loadPyodide), the Python site and, for a shared case, its manifest and first slice (net/remote.js, started by
// the page's first message). The UI modules of this worker load meanwhile (remoteReady).
async function start() {
  const boot = await bootMessage;
  // A built page inlines its runtime description: Pyodide's module is requested at once, beside runtime.js.
  const early = boot.runtime && boot.runtime.source === "local" ? import(new URL(boot.runtime.pyodide.indexURL, BASE).href + "pyodide.mjs") : null;
  const { buildCache, checkSha256, chooseRuntime, fetchRuntimeJson, Progress, tapRuntimeFetches } = await runtimeModule;
  const progress = new Progress(emit);
  // runtime.json, inlined into the built index.html; fetched when the page had none (an older page, the repo)
  const rt = runtime = chooseRuntime(boot.runtime || await fetchRuntimeJson(BASE), BASE);
  mark("runtimeJson");
  emit("stage", { stage: "runtime", source: rt.source, indexURL: rt.indexURL });
  const pyodideModule = early || import(rt.indexURL + "pyodide.mjs");
  if (early) early.catch(() => {}); // reported below, where it is awaited
  const cache = await buildCache(rt.build);
  const wasmDone = tapRuntimeFetches(rt, progress, cache);
  progress.expect(rt.expect || 0);
  // The Python site is needed only once the interpreter is up, which needs the wasm: fetched as the wasm's last
  // quarter arrives, its download overlaps the interpreter's start instead of slowing the wasm down.
  // pydicom + venos first, numpy after: pydicom and venos import while numpy's bytes are still on the way (numpy is
  // a stand-in until then, venos/_lazy.py), and numpy's own import follows its arrival.
  // The page fetches them, one after the other: once the wasm is in, the interpreter's start blocks this thread for
  // ~0.5 s, and a request issued here would wait for it, while the page's thread is free (app/js/rpc.js, "fetch").
  const archive = (part) => pageFetched(part.url).then(async (buf) => {
    if (part.sha256) await checkSha256(buf, part.sha256, part.url);
    progress.add(buf.byteLength);
    if (cache) cache.put(part.url, new Response(buf, { headers: { "Content-Type": "application/zip" } })).catch(() => {});
    return buf;
  });
  const parts = [rt.site, rt.numpy].filter(Boolean);
  if (parts.length) wasmDone.then(() => emit("fetch", { urls: parts.map((p) => p.url) }));
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
  const snapshot = await cachedSnapshot(rt, cache);
  if (snapshot) {
    try {
      py = await mod.loadPyodide({ ...options, _loadSnapshot: snapshot });
      timings.snapshot = "restored";
    } catch (e) {
      timings.snapshot = `not restored: ${e.message || e}`;
      console.warn(`VeNOS: starting without the memory snapshot (${timings.snapshot})`);
      py = null;
    }
  }
  if (!py) py = await mod.loadPyodide(options);
  mark("pyodide");
  emit("stage", { stage: "python" });
  const where = py._api.sitePackages || "/lib/python3.12/site-packages";
  // venos is in a restored snapshot, so its own (lighter) unzip is there to use
  const unpack = (buf) => (timings.snapshot === "restored" ? py.pyimport("venos._lazy").unpack(buf, where)
    : py.unpackArchive(buf, "zip", { extractDir: where }));
  if (siteBytes) unpack(await siteBytes);
  mark("site");
  if (rt.source === "cdn") await installFromSources(rt);
  py.registerJsModule("venos_blobs", await blobsModule); // venos.blob.JsBlob reads files through it
  // Modules the start-up does not import arrive on first import (runtime diet, venos/_lazy.py).
  const lazy = py.pyimport("venos._lazy");
  lazy.install(rt.base);
  if (numpyBytes) lazy.defer(py.toPy(["numpy"])); // (already a stand-in after a snapshot restore)
  api = py.pyimport("venos.api");
  mark("import");
  if (numpyBytes) {
    unpack(await numpyBytes);
    mark("numpyArrived");
    lazy.load("numpy");
    mark("numpy");
  }
  pythonCodes = toJs(api.error_codes());
  await setupCodecs(rt);
  const v = api.version().toJs({ dict_converter: Object.fromEntries });
  mark("ready");
  return { versions: v, source: rt.source, build: rt.build, timings };
}

/** The build's memory snapshot from the service worker's cache; null when it is not there yet. The first restore
 * decompresses the shipped .gz and keeps the result beside it, so later visits read it as it is (~0.1 s less). */
async function cachedSnapshot(rt, cache) {
  if (!rt.snapshot || !cache || typeof DecompressionStream === "undefined") return null;
  const url = new URL(rt.snapshot.url, rt.base).href;
  const raw = url.replace(/\.gz$/, "");
  try {
    const t = performance.now();
    // A restore of the wrong bytes can take the runtime down with it: the size must be the one the build made (and
    // the .gz is checked by its CRC as it is decompressed).
    const sized = (bytes, where) => {
      if (rt.snapshot.rawBytes && bytes.length !== rt.snapshot.rawBytes) {
        throw new Error(`${where} holds ${bytes.length} bytes, the build made ${rt.snapshot.rawBytes}`);
      }
      timings.snapshotReadMs = Math.round(performance.now() - t);
      return bytes;
    };
    const plain = await cache.match(raw);
    if (plain) return sized(new Uint8Array(await plain.arrayBuffer()), "the kept snapshot");
    const hit = await cache.match(url);
    if (!hit) return null;
    const bytes = sized(new Uint8Array(await new Response(hit.body.pipeThrough(new DecompressionStream("gzip"))).arrayBuffer()),
      "the snapshot");
    keepDecompressed = () => cache.put(raw, new Response(bytes, { headers: { "Content-Type": "application/octet-stream" } }));
    return bytes;
  } catch (e) {
    timings.snapshot = `unreadable: ${e.message || e}`;
    return null;
  }
}
let keepDecompressed = null; // stores the decompressed snapshot once the viewer is idle

async function installFromSources(rt) {
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

async function setupCodecs(rt) {
  // Hook for browser codecs (see app/js/codecs.js); absent codecs simply leave transfer syntaxes undecodable.
  if (!rt.codecs || !rt.codecs.length) return;
  try {
    const mod = await import("./codecs.js");
    await mod.registerCodecs(py, api, rt);
    codecHooks = mod;
  } catch (e) {
    emit("warning", { code: "codec", message: `codecs unavailable: ${e.message || e}` });
  }
}

// ------------------------------------------------------------------------------------------------ scheduler
// Tasks are closures; render requests are coalesced per viewport (latest wins).
const queues = { render: new Map(), call: [], parse: [] };
const waitingRender = new Map(); // viewport key → render task waiting for a codec to load
let scheduled = false;
const channel = new MessageChannel();
channel.port1.onmessage = runOne;
function schedule() {
  if (!scheduled) { scheduled = true; channel.port2.postMessage(0); }
}

let idleDecode = false;
let busyMs = 0; // time spent in tasks since the worker started (loads report their share)
function runOne() {
  scheduled = false;
  let task = null;
  if (queues.render.size) {
    const [key, t] = queues.render.entries().next().value;
    queues.render.delete(key);
    task = t;
  } else if (queues.call.length) task = queues.call.shift();
  else if (queues.parse.length && queues.parse[0].ready) task = queues.parse.shift().run;
  else if (warmUpDue && api && (renderedOnce || !loading())) {
    // The render path runs 3× slower until the engine has optimized it: warm it on synthetic data, but only when
    // nothing waits and never before a first image a case is about to show (it would only delay it).
    warmUpDue = false;
    timings.warmUpMs = Math.round(api.warm_up());
  } else if (idleDecode && api) {
    const remaining = api.decode_pending(8);
    idleDecode = remaining > 0;
    if (idleDecode) schedule();
    return;
  }
  if (task) {
    const t = performance.now();
    try { task(); } catch (e) { console.error(e); }
    // Parsing: keep taking ready files for a few ms before yielding; each yield costs a trip through the event
    // loop, and a render request waits at most this budget plus one file.
    while (!queues.render.size && !queues.call.length && queues.parse.length && queues.parse[0].ready
           && performance.now() - t < PARSE_SLICE_MS) {
      try { queues.parse.shift().run(); } catch (e) { console.error(e); }
    }
    busyMs += performance.now() - t;
  }
  if (queues.render.size || queues.call.length || (queues.parse.length && queues.parse[0].ready) || idleDecode
      || (warmUpDue && (renderedOnce || !loading()))) schedule();
}
let warmUpDue = false; // set once Python is up; cleared when the warm-up has run
let renderedOnce = false;
const loading = () => queues.parse.length > 0 || (remote && remote.busy());

function toJs(proxy) {
  const v = proxy.toJs({ dict_converter: Object.fromEntries, create_pyproxies: false });
  proxy.destroy();
  return v;
}

// ------------------------------------------------------------------------------------------------ loading
let loadGeneration = 0;
const READ_AHEAD = 8;
const HEAD_BYTES = 16 * 1024; // read ahead of Python: what venos.dicom.parse parses first (HEAD)
const PARSE_SLICE_MS = 6;

/** Queue sources for parsing. Resolves with a summary when every one has been parsed or skipped. */
async function load(given, { group = "" } = {}) {
  const gen = loadGeneration;
  const items = [...given]; // a zip among them is replaced by its members when its first bytes are read
  let total = items.length;
  let done = 0, failed = 0, bytes = 0, next = 0, inFlight = 0, pythonMs = 0;
  const busyAtStart = busyMs;
  let resolveAll;
  const finished = new Promise((r) => (resolveAll = r));
  const started = performance.now();
  if (!total) resolveAll({ total: 0, loaded: 0, failed: 0, bytes: 0, ms: 0 });

  const progress = () => emit("progress", { done, total, failed, bytes, ms: performance.now() - started });
  const settleIfDone = () => {
    if (done === total) resolveAll({ total, loaded: done - failed, failed, bytes, ms: performance.now() - started, pythonMs, workerBusyMs: busyMs - busyAtStart });
  };
  const complete = (ok) => {
    done++; if (!ok) failed++;
    if (done % 4 === 0 || done === total) progress();
    settleIfDone();
    pump();
  };

  function pump() {
    while (inFlight < READ_AHEAD && next < items.length) {
      const item = items[next++];
      const entry = { ready: false, run: null };
      queues.parse.push(entry);
      inFlight++;
      readItem(item).then((got) => {
        entry.run = () => {
          inFlight--;
          if (got.members && gen === loadGeneration) { // an archive: its members take its place, next in line
            items.splice(next, 0, ...got.members);
            total += got.members.length - 1;
            settleIfDone();
            return pump();
          }
          if (gen !== loadGeneration) return complete(false);
          bytes += got.size || 0;
          const t = performance.now();
          let ok = false;
          try {
            ok = addToPython(got, group);
          } catch (e) { // Python answers every file; this is a bug, but the load still settles and says which file
            const info = errorInfo(e);
            emit("skipped", { source: got.name, code: info.code, message: info.message });
          } finally {
            pythonMs += performance.now() - t;
            if (ok && typeof ok.then === "function") ok.then(complete, () => complete(false)); // a plain image
            else complete(ok);
          }
        };
      }, (err) => {
        entry.run = () => {
          inFlight--;
          const info = errorInfo(err);
          api.skip(item.name || item.path || item.url || "?", info.code || "source", info.message);
          emit("skipped", { source: item.name || item.path || item.url, code: info.code || "source", message: info.message });
          complete(false);
        };
      }).finally(() => { entry.ready = true; schedule(); });
    }
  }
  pump();
  progress();
  return finished;
}

/** The members of a zip archive (File), each an item read (inflated) only when its turn comes. An archive that
 * cannot be read is one failure naming it; the files beside it still load. */
async function archiveMembers(file, path) {
  const zip = await import("./net/zip.js");
  try {
    return zip.zipDirectory(new Uint8Array(await file.arrayBuffer()))
      .map((e) => ({ member: e, name: `${path}/${e.name}`, archive: path }));
  } catch (err) {
    throw { code: "zip", message: `the archive cannot be read: ${err.message || err}` };
  }
}

async function readItem(item) {
  if (item.failed) throw item.failed;
  if (item.member) {  // a zip member: inflated now, held like a download (blobs.js)
    try {
      const data = await item.member.read();
      return { name: item.name, buf: data.buffer.byteLength === data.byteLength ? data.buffer : data.slice().buffer, size: data.byteLength };
    } catch (err) {
      throw { code: "zip", message: String(err.message || err) };
    }
  }
  if (item.file) {  // only the first bytes are read now, ahead of Python; a frame when it is shown (blobs.js)
    const head = new Uint8Array(await item.file.slice(0, HEAD_BYTES).arrayBuffer());
    if (head[0] === 0x50 && head[1] === 0x4b && item.file.size >= 22 && (await import("./net/zip.js")).isZip(head)) {
      return { members: await archiveMembers(item.file, item.path || item.file.name) };
    }
    return { name: item.path || item.file.name, file: item.file, head, size: item.file.size, type: item.file.type };
  }
  if (item.url) {  // through the fetch queue (net/queue.js): its bounds, retries and CORS/redirect diagnosis
    await remoteReady;
    const res = await remote.handlers.fetchBytes(item.url);
    return { name: item.name || item.url, buf: res.buf, size: res.buf.byteLength, type: res.contentType || "" };
  }
  throw { code: "source", message: "neither a file nor a URL" };
}

const plainImages = [];
/** Hand one file to Python: its bytes stay here (blobs.js), Python reads what it needs of them. */
function addToPython(got, group) {
  const { key, size } = blobs.hold(got.file || got.buf);
  const head = got.head || (got.buf ? new Uint8Array(got.buf, 0, Math.min(HEAD_BYTES, got.buf.byteLength)) : null);
  const res = toJs(api.add_blob(got.name, key, size, head, group));
  if (res.plain) {  // a JPEG or PNG: the browser decodes it (asynchronously); it joins Python when ready
    const joined = decodePlain(got.name, got.file || got.buf, `image/${res.plain}`, group);
    plainImages.push(joined);
    blobs.release(key);
    return joined; // the load counts it once the browser has decoded it, or not
  }
  if (res.pending && codecHooks) codecHooks.ensure(res.pending).then(() => { idleDecode = true; schedule(); });
  if (res.ok) {
    emit("added", { series: res.series, new: res.new, source: got.name });
  } else {
    blobs.release(key);
    emit("skipped", res.error);
  }
  return res.ok;
}

/** Decode a plain image in the browser, then add it in Python's turn: resolves true when it was added. */
async function decodePlain(name, data, mime, group) {
  let added;
  const done = new Promise((r) => (added = r));
  try {
    const bmp = await createImageBitmap(new Blob([data], { type: mime }), { colorSpaceConversion: "none", premultiplyAlpha: "none" });
    const c = new OffscreenCanvas(bmp.width, bmp.height);
    const ctx = c.getContext("2d");
    ctx.drawImage(bmp, 0, 0);
    const pixels = ctx.getImageData(0, 0, bmp.width, bmp.height).data;
    queues.call.push(() => {
      let res = { ok: false };
      try {
        res = toJs(api.add_image(name, bmp.width, bmp.height, new Uint8Array(pixels.buffer), group));
        if (res.ok) emit("added", { series: res.series, new: res.new, source: name });
        else emit("skipped", res.error);
      } finally { added(!!res.ok); }
    });
    schedule();
  } catch (e) {
    queues.call.push(() => {
      try {
        const entry = toJs(api.skip(name, "decode", `the browser cannot decode this ${mime} image`));
        emit("skipped", entry.error);
      } finally { added(false); }
    });
    schedule();
  }
  return done;
}

// ------------------------------------------------------------------------------------------------ rendering
function render(state, fn = (st) => api.render(py.toPy(st))) {
  const res = fn(state);
  try {
    const meta = res.get(0).toJs({ dict_converter: Object.fromEntries, create_pyproxies: false });
    const arr = res.get(1);
    if (!arr) return { meta, rgba: null };
    let rgba;
    const view = arr.getBuffer("u8clamped");
    try { rgba = view.data.slice(); } finally { view.release(); arr.destroy(); }
    return { meta, rgba };
  } finally {
    res.destroy();
  }
}

// ------------------------------------------------------------------------------------------------ remote cases
// URLs, manifests, DICOMweb, DICOMDIR and zips by URL: fetching and planning live in net/remote.js, loaded while the
// runtime boots. A shared case starts fetching before Python is up; its bytes wait for it (ready()).
let remote = null;
const remoteReady = import("./net/remote.js").then(({ createRemote }) => (remote = createRemote({
  api: () => api, py: () => py, emit, toJs, ready: () => pythonReady,
  enqueue: (run) => { queues.parse.push({ ready: true, run }); schedule(); },
  addToPython: (got) => addToPython(got, ""),
  clearPython: () => { loadGeneration++; queues.parse.length = 0; if (api) api.clear(); if (blobs) blobs.clear(); },
})));

// ------------------------------------------------------------------------------------------------ RPC
const handlers = {
  load: (args) => load(args.items, args.options || {}),
  series: () => toJs(api.series()),
  skipped: () => toJs(api.skipped()),
  tool: ({ name, state, event }) => toJs(api.tool(name, py.toPy(state), py.toPy(event))),
  valueAt: ({ state, x, y }) => toJs(api.value_at(py.toPy(state), x, y)),
  measure: ({ name, state, points }) => toJs(api.measure(name, py.toPy(state), py.toPy(points))),
  measureLength: ({ state, p1, p2 }) => toJs(api.measure_length(py.toPy(state), p1[0], p1[1], p2[0], p2[1])),
  measureAngle: ({ state, p1, p2, p3 }) =>
    toJs(api.measure_angle(py.toPy(state), p1[0], p1[1], p2[0], p2[1], p3[0], p3[1])),
  measureRegion: ({ state, shape, p1, p2 }) =>
    toJs(api.measure_region(py.toPy(state), shape, p1[0], p1[1], p2[0], p2[1])),
  pixelData: ({ series, slice }) => toJs(api.pixel_data(series, slice)),
  stats: () => ({ ...toJs(api.stats()), files: blobs.stats(), runtime: { build: runtime.build, timings, lazy: toJs(py.pyimport("venos._lazy").status()) } }),
  tags: ({ series, slice }) => toJs(api.tags(series, slice)),
  thumbnail: async ({ series, size }) => {
    // A compressed series asked for before its codec is loaded: load it and draw, rather than leave a blank.
    for (let tries = 0; ; tries++) {
      const out = render(null, () => api.thumbnail(series, size || 64));
      const err = out.meta && out.meta.error;
      if (!err || err.code !== "codec-not-loaded" || !codecHooks || tries >= 4) return out;
      await codecHooks.ensure(codecHooks.wanted().concat(err.codec || []));
    }
  },
  clear: () => { remote.cancel(); loadGeneration++; queues.parse.length = 0; api.clear(); blobs.clear(); return true; },
  settle: async () => { await Promise.all(plainImages); if (codecHooks) await codecHooks.pending(); return true; },
  // decode one file's frames without adding it (tests, benchmarks); which codecs are loaded
  decodeFile: ({ name, data, pixels, frames }) =>
    toJs(api.decode_file.callKwargs(name, new Uint8Array(data), { want_pixels: !!pixels, frames: frames ?? null })),
  codecs: () => ({ python: toJs(api.codecs_status()), loaded: codecHooks ? codecHooks.status() : {} }),
};
/** The case of the page's own address (start.js asks for it before the page's UI has loaded). */
async function openLink({ href }) {
  const { focusOf, parseLink } = await import("./cloud/link.js");
  const { spec, view } = parseLink(href);
  if (!spec) throw { code: "source", message: "the address names no case to open" };
  return remote.handlers.openCase({ spec, focus: focusOf(view) });
}

// Calls that may run before Python is up (they wait for it themselves where they need it); the others are held
// until it is, so the page can call anything at any time.
const EARLY = new Set(["openCase", "openLink", "cancelCase", "netConfigure", "setToken", "netStats", "netClearCache"]);
const held = [];

function renderRequest({ id, args, key }) {
  // Latest wins per viewport: an older pending render of the same viewport is answered as superseded.
  const k = key || "main";
  if (remote) remote.focus(args.state); // a remote case fetches what is shown first
  const prev = queues.render.get(k) || waitingRender.get(k);
  waitingRender.delete(k);
  if (prev) prev.supersede();
  let tries = 0;
  const task = () => {
    try {
      const { meta, rgba } = render(args.state);
      // a codec this frame needs is not loaded yet: load it, then render again (unless superseded meanwhile)
      if (meta.error && meta.error.code === "codec-not-loaded" && codecHooks && tries++ < 4) {
        waitingRender.set(k, task);
        codecHooks.ensure(codecHooks.wanted().concat(meta.error.codec || [])).then(() => {
          if (waitingRender.get(k) !== task) return; // superseded while the codec loaded
          waitingRender.delete(k);
          queues.render.set(k, task);
          schedule();
        });
        return;
      }
      if (rgba) renderedOnce = true;
      post({ id, result: { meta, rgba } }, rgba ? [rgba.buffer] : []);
    } catch (e) {
      post({ id, error: errorInfo(e) });
    }
  };
  task.supersede = () => post({ id, result: { superseded: true } });
  queues.render.set(k, task);
  schedule();
}

async function dispatch(msg) {
  const { id, method, args } = msg;
  if (!api && !EARLY.has(method)) { held.push(msg); return; }
  if (method === "render") return renderRequest(msg);
  await remoteReady;
  const h = method === "openLink" ? openLink : handlers[method] || remote.handlers[method];
  if (!h) return post({ id, error: { code: "unknown-method", message: `unknown method ${method}` } });
  queues.call.push(async () => {
    try {
      const result = await (codecHooks ? codecHooks.withCodecs(() => h(args || {})) : h(args || {}));
      post({ id, result });
      if (method === "load" || method === "openCase") { idleDecode = true; schedule(); }
    } catch (e) {
      post({ id, error: errorInfo(e) });
    }
  });
  schedule();
}

self.onmessage = (ev) => {
  if (ev.data && ev.data.boot) gotBoot(ev.data.boot);
  else if (ev.data && ev.data.fetched) onFetched(ev.data.fetched);
  else dispatch(ev.data);
};

start().then(async (info) => {
  await remoteReady;
  markReady(api);
  emit("ready", info);
  for (const msg of held.splice(0)) dispatch(msg);
  if (keepDecompressed && timings.snapshot === "restored") setTimeout(() => keepDecompressed().catch(() => {}), 2000);
  // Warm the render path while the user is still choosing files (queued as a normal task: anything the user
  // asks for first still comes first).
  warmUpDue = true;
  schedule();
}, (e) => {
  const info = errorInfo(e);
  emit("fatal", info);
  for (const msg of held.splice(0)) post({ id: msg.id, error: info });
});
