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
timings.origin = Math.round(performance.timeOrigin + t0); // the clock of the marks, for comparing with the page's
let markReady;
const pythonReady = new Promise((resolve) => (markReady = resolve)); // resolves once venos.api is imported
let gotBoot;
const bootMessage = new Promise((resolve) => (gotBoot = resolve)); // start.js's first message: {runtime}

// ------------------------------------------------------------------------------------------------ messaging
// Events go out together at the end of the task that raised them (a load raises one per file: one message each
// cost the worker ~0.1 ms); a reply flushes them first, so the page sees everything in the order it happened.
let events = [];
function flush() {
  if (!events.length) return;
  const batch = events;
  events = [];
  self.postMessage(batch.length === 1 ? batch[0] : { events: batch });
}
const post = (msg, transfer) => { flush(); self.postMessage(msg, transfer || []); };
const emit = (event, data) => { if (!events.length) queueMicrotask(flush); events.push({ event, data }); };

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
function onFetched({ url, error, ...got }) {
  const p = pageFetched(url);
  if (got.buf) p.settle.resolve(got); // {buf, files, contentType, finalUrl}
  else p.settle.reject(error);
  fetchedByPage.delete(url); // a later case may ask for the same address again
}
/** Ask the page to fetch a file after the runtime's (its thread is free while this one is busy): {url, headers}. */
function askPage(part) {
  const got = pageFetched(part.url);
  emit("fetch", { parts: [part] });
  return got;
}
// A repeat visit's shared case: the page asks for its manifest and first slice at once (start.js), since this
// thread, restoring Python, could ask only between its steps; it says so first, then sends the bytes. Each is
// taken once (net/remote.js, early).
const earlyByPage = new Map();
function onEarly({ urls }) {
  for (const url of urls || []) if (typeof url === "string" && !earlyByPage.has(url)) earlyByPage.set(url, pageFetched(url));
}
function takeEarly(url) {
  const p = earlyByPage.get(url) || null;
  earlyByPage.delete(url);
  return p;
}
/** Tell the page that files asked for are no longer needed: those it has not started answer as dropped. */
function dropAsked(urls) {
  emit("unfetch", { urls });
}

// ------------------------------------------------------------------------------------------------ start-up
// Every request the first image needs goes out early (runtime.js, startPython): runtime.json and Pyodide's files at
// once, then as each ends the Python site, numpy and, for a shared case, its first slice (its manifest goes out at
// once: net/remote.js, started by the page's first message). The UI modules of this worker load meanwhile
// (remoteReady).
let keepDecompressed = null; // stores the decompressed memory snapshot once the viewer is idle
// The link is the runtime's until its files are nearly in: a shared case's first slice (then the next few until
// Python has planned the case), needed only once Python is up, is fetched by the page behind the last of the files
// it fetches for this worker (rpc.js), so it slows none of them down (measured: bench/coldlink.py). Once the link is
// free, the worker's queue fetches it: where there is no wasm to wait for, the service worker serves it from Cache
// Storage (a repeat visit), the page has said its files are nearly in, or Python has started.
let linkIsFree = false;
const freeLink = () => { linkIsFree = true; };
async function start() {
  const boot = await bootMessage;
  rehearsing = !!boot.rehearsal;
  // A built page inlines its runtime description: Pyodide's module is requested at once, beside runtime.js.
  const local = boot.runtime && boot.runtime.source === "local" ? new URL(boot.runtime.pyodide.indexURL, BASE).href : "";
  const early = local ? import(local + "pyodide.mjs") : null;
  if (early) early.catch(() => {}); // reported where it is awaited
  // Pyodide's own files are requested now, not once pyodide.mjs has arrived and asked for them (a round trip
  // later): the wasm is the longest download and everything waits for it. Handed to Pyodide when it asks.
  // A first visit takes the build's LZMA2 copies of the largest (net/packed.js; a repeat visit takes the plain files
  // the service worker keeps): each is requested at once, decoded by a module that arrives meanwhile.
  const packed = local && !boot.controlled && boot.runtime.packed ? boot.runtime.packed : {};
  // (its decoder module is asked for beside it, not once packed.js has arrived and imports it: a round trip less;
  // its checksum module comes with runtime.js)
  const unpack = Object.keys(packed).length
    ? Promise.all([import("./net/packed.js"), import("./net/lzma2.js")]).then(([m]) => m) : null;
  const get = (url) => {
    const info = Object.entries(packed).find(([rel]) => new URL(rel, BASE).href === url);
    if (!info) return fetch(url);
    const fetched = fetch(new URL(info[1].url, BASE).href).then((r) => Object.assign(r, { answeredAt: performance.now() }));
    fetched.catch(() => {});
    return unpack.then((m) => m.unpacked(fetched, info[1], BASE), () => null).then((r) => r || fetch(url));
  };
  const ask = (url) => Object.assign(get(url).then((r) => Object.assign(r, { answeredAt: r.answeredAt || performance.now() })),
    { asked: performance.now() });
  const prefetched = new Map(local ? ["pyodide.asm.wasm", "pyodide.asm.js", "python_stdlib.zip"]
    .map((f) => [local + f, ask(local + f)]) : []);
  for (const p of prefetched.values()) p.catch(() => {}); // Pyodide's own request reports a failure
  // A repeat visit (the page came from the service worker): Pyodide's script and the memory snapshot are read from
  // Cache Storage now, while this worker's own modules are still arriving — not once runtime.js and pyodide.mjs are
  // in and ask for them, ~0.2 s later (docs/benchmarks.md). Pyodide imports the same script again: the same module.
  const warm = local && boot.controlled ? { script: import(local + "pyodide.asm.js"), snapshot: keptSnapshot(boot.runtime) } : null;
  if (warm) warm.script.catch(() => {}); // Pyodide's own import of it reports a failure
  const { startPython } = await runtimeModule;
  // not the built runtime, or the built one from the service worker's cache: nothing of ours on the link
  if (!early || boot.controlled) freeLink();
  const up = await startPython({ boot, early, base: BASE, emit, timings, mark, pageFetched, blobs: blobsModule, prefetched,
    keptSnapshot: warm && warm.snapshot })
    .finally(() => freeLink());
  ({ py, api, codecHooks, pythonCodes, keepDecompressed } = up);
  runtime = up.rt;
  return up.info;
}

/** The memory snapshot as the service worker keeps it, decompressed (sw.js): {bytes, ms} or null when it is not
 * there (runtime.js then looks for the .gz). Read without opening the build's cache: a page of a retired build must
 * not bring its cache back (runtime.js, buildCache). */
function keptSnapshot(rt) {
  if (!rt || !rt.build || !rt.snapshot || typeof caches === "undefined") return null;
  const t = performance.now();
  const url = new URL(rt.snapshot.url.replace(/\.gz$/, ""), BASE).href;
  const read = caches.match(url, { cacheName: `venos-${rt.build}` })
    .then((hit) => hit ? hit.arrayBuffer() : null)
    .then((buf) => buf && { bytes: new Uint8Array(buf), ms: Math.round(performance.now() - t) }, () => null);
  return read;
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

// The first visit's rehearsal of a repeat visit (./rehearsal.js; its boot message says so): its warm-up parses
// long enough for V8 to optimize, and so cache, the interpreter's paths (measured: 150 ms did not make it cache, 2 s
// did), then it says so and stays idle until the page ends it.
let rehearsing = false;
const REHEARSAL_PARSE_MS = 2000;
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
  else if (parseReady() >= 0) task = takeParse();
  else if (warmUpDue && api && (renderedOnce || !loading())) {
    // The render and parse paths run 2–3× slower until the engine has optimized them: warm them on synthetic data
    // (venos.api.warm_up_step, a few tens of ms a step: what the user asks for meanwhile waits for one step), but
    // only when nothing waits and never before a first image a case is about to show (it would only delay it).
    const warm = toJs(api.warm_up_step(rehearsing ? REHEARSAL_PARSE_MS : null));
    if (warm.done) {
      warmUpDue = false;
      timings.warmUpMs = Math.round(warm.ms);
      timings.warmUpParses = warm.parses;
      if (rehearsing) emit("rehearsed", { ms: timings.warmUpMs, parses: warm.parses });
      else if (!loading()) parsePool().then((p) => { if (!loading()) p.start(); }); // idle, the link too: helpers start
    }
  } else if (idleDecode && api) {
    const remaining = api.decode_pending(8);
    idleDecode = remaining > 0;
    const names = codecHooks ? codecHooks.wanted() : []; // compressed frames queued for the codec worker
    if (names.length) {
      idleDecode = false;
      codecHooks.ensure(names).then(() => { idleDecode = true; schedule(); });
      return;
    }
    if (idleDecode) schedule();
    return;
  }
  if (task) {
    const t = performance.now();
    try { task(); } catch (e) { console.error(e); }
    // Parsing: keep taking ready files for a few ms before yielding; each yield costs a trip through the event
    // loop, and a render request waits at most this budget plus one file.
    while (!queues.render.size && !queues.call.length && parseReady() >= 0
           && performance.now() - t < PARSE_SLICE_MS) {
      try { takeParse()(); } catch (e) { console.error(e); }
    }
    busyMs += performance.now() - t;
  }
  if (queues.render.size || queues.call.length || parseReady() >= 0 || idleDecode
      || (warmUpDue && (renderedOnce || !loading()))) schedule();
}
let warmUpDue = false; // set once Python is up; cleared when the warm-up's last step has run
let renderedOnce = false;
const loading = () => queues.parse.length > 0 || (remote && remote.busy());
// The next parsing task: files are added in the order they were given (the first image is the first file's),
// except while parsing helpers are up: then in the order they are ready, so a file waiting for a helper's answer
// holds up none behind it.
const parseReady = () => (pool && pool.up() ? queues.parse.findIndex((e) => e.ready)
  : queues.parse.length && queues.parse[0].ready ? 0 : -1);
const takeParse = () => queues.parse.splice(parseReady(), 1)[0].run;

function toJs(proxy) {
  const v = proxy.toJs({ dict_converter: Object.fromEntries, create_pyproxies: false });
  proxy.destroy();
  return v;
}

// ------------------------------------------------------------------------------------------------ loading
// Files into Python (./loader.js): parsing tasks go to queues.parse, drained above a few ms at a time.
const PARSE_SLICE_MS = 6;
let loader = null;
let pool = null; // parsing helpers for local loads (./parsepool.js)
let poolLoaded = null;
/** The parsing helpers' pool, its module loaded on first need: after the start, never on the way to `ready`. */
function parsePool() {
  if (!poolLoaded) poolLoaded = import("./parsepool.js").then(({ createParsePool }) => (pool = createParsePool(runtime)));
  return poolLoaded;
}
let memory = null; // ./memory.js: the one memory budget (files, Python, frames, network cache)
const loaderReady = Promise.all([import("./loader.js"), import("./memory.js")]).then(([{ createLoader }, { createMemory }]) => {
  memory = createMemory({ api: () => api, blobs: () => blobs, netCache: () => remote && remote.cache, toJs });
  loader = createLoader({
    api: () => api, blobs: () => blobs, codecs: () => codecHooks, remote: () => remoteReady.then(() => remote),
    emit, errorInfo, toJs, parseQueue: queues.parse, callQueue: queues.call, schedule, pool: () => pool,
    busyMs: () => busyMs, decodeDue: () => { idleDecode = true; schedule(); }, memoryChanged: () => memory.sync(),
  });
});

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
let remoteAdded = 0;
const remoteReady = import("./net/remote.js").then(({ createRemote }) => (remote = createRemote({
  api: () => api, py: () => py, emit, toJs, ready: () => pythonReady,
  linkIsFree: () => linkIsFree, askPage, dropAsked, early: takeEarly, forgetEarly: () => earlyByPage.clear(),
  enqueue: (run) => { queues.parse.push({ ready: true, run }); schedule(); },
  addToPython: (got) => {
    const ok = loader.addToPython(got, "");
    if (++remoteAdded % 64 === 0) memory.sync(); // the budget's shares follow a long remote load
    return ok;
  },
  verify: (res) => loader.verify(res),
  readMember: (entry) => loader.readMember(entry),
  clearPython: () => { if (loader) loader.cancel(); if (api) api.clear(); if (blobs) blobs.clear(); if (memory) memory.sync(); },
})));

// ------------------------------------------------------------------------------------------------ RPC
const handlers = {
  // `settle`: answer once plain images and first frames are decoded too, with the series list (viewer.load)
  load: async (args) => {
    const summary = await loader.load(args.items, args.options || {});
    if (!args.settle) return summary;
    await handlers.settle();
    return { ...summary, series: toJs(api.series()) };
  },
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
  // multiplanar reformatting: is the series a volume; a pixel's patient point; the slice nearest to a point
  volumeInfo: ({ series }) => toJs(api.volume_info(series)),
  // the Python console: only what the user typed (venos.console); a series show() added is reported in `added`
  console: ({ code, state, timeoutMs }) => toJs(api.console_run(String(code), py.toPy(state || {}), Number(timeoutMs) || 10000)),
  // sharing a case: what the Share dialog shows; the loaded series as a zip, de-identified if asked (app/js/share.js)
  // measurement reports (DICOM SR TID 1500): those loaded, placed on the images loaded; the layer's written as one
  reports: () => toJs(api.reports()),
  reportWrite: ({ items }) => toJs(api.report_write(py.toPy(items || []))),
  presentations: () => toJs(api.presentations()), // presentation states (GSPS) loaded, on the images loaded
  shareSurvey: () => toJs(api.share_survey()),
  exportCase: (o) => toJs(api.export_case(py.toPy(o || {}))),
  // the same files sent to a DICOMweb server by STOW-RS, with the token of the PACS dialog (net/stow.js)
  stowCase: async ({ root, options }) => {
    const { stow } = await import("./net/stow.js");
    const r = toJs(api.export_case(py.toPy({ ...(options || {}), format: "files" })));
    const files = r.parts;
    delete r.parts;
    const sent = await stow({ root: String(root || ""), files, headers: remote.authHeaders,
      onProgress: (done, total) => emit("stow", { done, total }) });
    return { ...r, stow: sent };
  },
  pointAt: ({ state, x, y }) => toJs(api.point_at(py.toPy(state), x, y)),
  sliceAt: ({ state, point }) => toJs(api.slice_at(py.toPy(state), py.toPy(point))),
  locate: ({ refs }) => toJs(api.locate(py.toPy(refs || []))), // a share link's measurements: where their images are
  stats: () => ({ ...toJs(api.stats()), files: blobs.stats(), memory: memory.report(), runtime: { build: runtime.build, timings, lazy: toJs(py.pyimport("venos._lazy").status()) }, parsers: pool ? pool.status() : null }),
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
  clear: () => { remote.cancel(); loader.cancel(); api.clear(); blobs.clear(); volumeOf = ""; memory.sync(); return true; },
  memory: ({ budget }) => (budget === undefined ? memory.report() : memory.setBudget(budget)),
  parsers: async ({ helpers }) => {
    const p = await parsePool();
    return helpers === undefined ? p.status() : p.setHelpers(helpers);
  },
  settle: async () => { await loader.settled(); if (codecHooks) await codecHooks.pending(); return true; },
  // decode one file's frames without adding it (tests, benchmarks); which codecs are loaded
  decodeFile: ({ name, data, pixels, frames }) =>
    toJs(api.decode_file.callKwargs(name, new Uint8Array(data), { want_pixels: !!pixels, frames: frames ?? null })),
  codecs: () => ({ python: toJs(api.codecs_status()), loaded: codecHooks ? codecHooks.status() : {} }),
  decodeBudget: (o) => { if (!codecHooks) throw { code: "bad-call", message: "this build has no browser codecs" }; return codecHooks.configure(o || {}); },
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

let volumeOf = ""; // the series of the last reformatted image drawn

function renderRequest({ id, args, key }) {
  // Latest wins per viewport: an older pending render of the same viewport is answered as superseded.
  const k = key || "main";
  if (remote) remote.focus(args.state); // a remote case fetches what is shown first
  const prev = queues.render.get(k) || waitingRender.get(k);
  waitingRender.delete(k);
  if (prev) prev.supersede();
  let tries = 0;
  // A reformatted plane needs every frame: the codec worker decodes a batch per round, so it may take many rounds
  // (each frame still has its decode time budget, and one that fails ends the volume with the reason).
  const plane = !!(args.state && args.state.plane);
  const maxTries = plane ? 10_000 : 4;
  const task = () => {
    try {
      const { meta, rgba } = render(args.state);
      // a codec this frame needs is not loaded yet: load it, then render again (unless superseded meanwhile)
      if (meta.error && meta.error.code === "codec-not-loaded" && codecHooks && tries++ < maxTries) {
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
      if (plane && rgba && volumeOf !== args.state.series) { // a volume may have been built: the budget's shares follow
        volumeOf = args.state.series;
        if (memory) memory.sync();
      }
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
  await loaderReady;
  const h = method === "openLink" ? openLink : handlers[method] || remote.handlers[method];
  if (!h) return post({ id, error: { code: "unknown-method", message: `unknown method ${method}` } });
  queues.call.push(async () => {
    try {
      const result = await (codecHooks ? codecHooks.withCodecs(() => h(args || {})) : h(args || {}));
      post({ id, result });
      if (method === "load" || method === "openCase") {
        idleDecode = true;
        schedule();
        if (!warmUpDue) parsePool().then((p) => p.start()); // a case in: the link is free for the helpers' start
      }
    } catch (e) {
      post({ id, error: errorInfo(e) });
    }
  });
  schedule();
}

self.onmessage = (ev) => {
  if (ev.data && ev.data.boot) gotBoot(ev.data.boot);
  else if (ev.data && ev.data.fetched) onFetched(ev.data.fetched);
  else if (ev.data && ev.data.early) onEarly(ev.data.early);
  else if (ev.data && ev.data.linkFree) freeLink();
  else if (ev.data && ev.data.head) loaderReady.then(() => loader.gotHead(ev.data.head)); // a File's first bytes
  else dispatch(ev.data);
};

start().then(async (info) => {
  await remoteReady;
  await loaderReady;
  memory.sync();
  emit("ready", { ...info, headBytes: loader.headBytes }); // how much of each File the page reads ahead (sendHeads)
  flush(); // now: what waited for Python (a shared case's plan) runs next, and would hold the news back until its end
  markReady(api);
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
