// Browser codecs for the Python worker. Each codec is loaded the first time Python needs it, never at start-up:
// Python raises CodecNotLoaded (venos.pixels.codecs), the worker asks `wanted()` which codecs that was, awaits
// `ensure(names)` and calls Python again. A load is attempted once per page; a codec that fails to load is
// reported once (a "warning" event) and Python then answers with a plain error naming the reason.
//
// Codecs run in a codec worker (./codecworker.js), not on Python's thread. Python queues each compressed frame as a
// job and raises CodecBusy (a CodecNotLoaded); `ensure` also runs the queued jobs there, one at a time, each under a
// time budget (a base plus a share per pixel, `configure`), and hands every answer back to Python before the caller
// retries. A decode past its budget is abandoned: the codec worker is terminated (a fresh one loads the codecs
// again when next needed) and Python is told the frame was abandoned, which it reports for that frame only.
//
// Which codecs exist, what each decodes and how it is loaded is the build's one codec table
// (app/py/venos/pixels/codecs.json), which build.py copies into runtime.json "codecs": each entry names its adapter
// (./codecs/<adapter>.js, loaded in the codec worker) and the adapter's settings.

let api = null;
let toJsOf = null;
let entries = new Map(); // codec name → runtime.json entry
const loads = new Map(); // codec name → Promise (settled once)
const stats = new Map(); // codec name → {state, ms, bytes, error}
const budget = { baseMs: 4000, perMegapixelMs: 1000 }; // a 512² frame: 4.26 s; a 4096² mammogram: 20.8 s
const counts = { decoded: 0, failed: 0, abandoned: 0, restarts: 0, decodeMs: 0, lastError: "" };

const emit = (event, data) => self.postMessage({ event, data });

// ---------------------------------------------------------------------------------------------- the codec worker
let worker = null; // {w, loaded: Set of codec names, calls: Map id → {resolve, reject}}
let nextId = 1;

function codecWorker() {
  if (worker) return worker;
  const w = new Worker(new URL("./codecworker.js", import.meta.url), { type: "module" });
  const cw = { w, loaded: new Set(), calls: new Map() };
  w.onmessage = ({ data }) => {
    const call = cw.calls.get(data.id);
    if (!call) return;
    cw.calls.delete(data.id);
    if (data.error !== undefined) call.reject(new Error(data.error));
    else call.resolve(data);
  };
  w.onerror = (ev) => { ev.preventDefault(); retire(cw, `the codec worker failed: ${ev.message || "error"}`); };
  worker = cw;
  return cw;
}

/** Stop a codec worker and fail what it was doing; the next call starts a new one. */
function retire(cw, why) {
  cw.w.terminate();
  if (worker === cw) worker = null;
  for (const call of cw.calls.values()) call.reject(new Error(why));
  cw.calls.clear();
}

function ask(cw, msg, transfer = [], ms = 0) {
  const id = nextId++;
  return new Promise((resolve, reject) => {
    cw.calls.set(id, { resolve, reject });
    cw.w.postMessage({ ...msg, id }, transfer);
    if (ms > 0) {
      setTimeout(() => {
        if (!cw.calls.has(id)) return;
        counts.abandoned++; counts.restarts++;
        retire(cw, `decoding was abandoned after ${ms} ms (its time budget): the frame's bytes may be damaged`);
      }, ms);
    }
  });
}

async function loadIn(cw, name) {
  if (cw.loaded.has(name)) return;
  const entry = entries.get(name);
  const files = Object.fromEntries(entry.files.map((f) => [f.split("/").pop(), new URL(f, entry.base).href]));
  await ask(cw, { op: "load", name, files, entry: { adapter: entry.adapter, class: entry.class, colour: entry.colour, entry: entry.entry } });
  cw.loaded.add(name);
}

// ---------------------------------------------------------------------------------------------- API for the worker
/** Called once by the worker after `venos.api` is imported: tell Python which codecs this build ships. */
export async function registerCodecs(py, apiProxy, rt) {
  api = apiProxy;
  toJsOf = (p) => { const v = p.toJs({ dict_converter: Object.fromEntries, create_pyproxies: false }); p.destroy(); return v; };
  entries = new Map(rt.codecs.filter((c) => c.name && c.adapter).map((c) => [c.name, { ...c, base: rt.codecBase }]));
  const unknown = api.codecs_offer(py.toPy([...entries.keys()]));
  const bad = unknown.toJs();
  unknown.destroy();
  if (bad.length) console.warn(`runtime.json lists codecs Python does not know: ${bad.join(", ")}`);
  for (const name of entries.keys()) stats.set(name, { state: "loadable" });
}

/** Codec names Python asked for since the last call (CodecNotLoaded raised), without repeats. */
export function wanted() {
  if (!api) return [];
  const p = api.codecs_wanted();
  const names = p.toJs();
  p.destroy();
  return names;
}

/** Load these codecs (each at most once per page), then decode the frames Python has queued. Resolves when every
 * codec is ready or has failed and every queued frame is answered. */
export async function ensure(names) {
  await Promise.all([].concat(names).map((name) => {
    if (!loads.has(name)) loads.set(name, load(name));
    return loads.get(name);
  }));
  await runJobs();
}

/** Loads in flight or done, for callers that must wait for them (e.g. `settle`). */
export function pending() {
  return Promise.all(loads.values());
}

export function status() {
  return Object.fromEntries([...entries.keys()].map((n) => [n, { ...stats.get(n), package: entries.get(n).package, version: entries.get(n).version }]));
}

/** The decode time budget: `baseMs` plus `perMegapixelMs` for each million samples of the frame. → the budget. */
export function configure({ baseMs, perMegapixelMs } = {}) {
  for (const [k, v] of [["baseMs", baseMs], ["perMegapixelMs", perMegapixelMs]]) {
    if (v === undefined) continue;
    const n = Number(v);
    if (!Number.isFinite(n) || n < (k === "baseMs" ? 1 : 0)) {
      throw { code: "bad-call", message: `${k} must be a finite number of milliseconds${k === "baseMs" ? " of at least 1" : ""} (got ${v})` };
    }
    budget[k] = n;
  }
  return { ...budget, ...counts };
}

async function load(name) {
  const entry = entries.get(name);
  const t0 = performance.now();
  stats.set(name, { state: "loading" });
  try {
    if (!entry) throw new Error("not part of this build");
    await loadIn(codecWorker(), name);
    const ms = performance.now() - t0;
    api.codec_ready(name, "codec-worker");
    stats.set(name, { state: "ready", ms: Math.round(ms * 10) / 10, bytes: entry.bytes || 0 });
    emit("codec", { name, state: "ready", ms });
  } catch (e) {
    const message = String((e && e.message) || e);
    api.codec_failed(name, message);
    stats.set(name, { state: "failed", error: message });
    emit("warning", { code: "codec", codec: name, message: `The ${name} decoder could not be loaded: ${message}. Images that need it are listed with this reason.` });
  }
}

let running = null; // the jobs being run (one batch at a time; a second caller waits for it, then runs its own)

/** Decode the frames Python queued, one at a time in the codec worker, and hand each answer to Python. */
function runJobs() {
  // after the batch before this one, whether it worked or not (a failed batch must not stop every later one)
  const next = (running || Promise.resolve()).catch(() => {}).then(async () => {
    for (;;) {
      const jobs = api ? toJsOf(api.codecs_take_jobs()) : [];
      if (!jobs.length) return;
      for (const job of jobs) await runJob(job);
    }
  });
  running = next;
  next.finally(() => { if (running === next) running = null; }).catch(() => {});
  return next;
}

async function runJob({ key, codec, src, params }) {
  const samples = (params.rows || 0) * (params.columns || 0) * (params.samples || 1);
  const ms = Math.round(budget.baseMs + (budget.perMegapixelMs * samples) / 1e6);
  try {
    const cw = codecWorker();
    await loadIn(cw, codec);
    const bytes = src.slice(); // the worker's own copy travels (transferred)
    const out = await ask(cw, { op: "decode", name: codec, src: bytes, params }, [bytes.buffer], ms);
    counts.decoded++;
    counts.decodeMs += out.ms || 0; // the codec's own time, in the codec worker
    api.codec_deliver(key, out.data, out.bits, out.planar, out.rgb, "");
  } catch (e) {
    counts.failed++;
    counts.lastError = `${codec}: ${(e && e.message) || e}`;
    api.codec_deliver(key, null, 0, 0, false, String((e && e.message) || e));
  }
}

/** Run `fn` (which calls Python); while it fails because codecs are not loaded yet or frames wait for the codec
 * worker, load or decode them and run it again. Each round must make progress: a frame answered or a codec loaded
 * (a file of many frames takes several rounds, a few dozen frames each). */
export async function withCodecs(fn, tries = 4) {
  for (let i = 0, idle = 0; ; i++) {
    try {
      return await fn();
    } catch (e) {
      const names = wanted();
      if (!names.length || idle >= tries) throw e;
      const before = counts.decoded + counts.failed + loads.size;
      await ensure(names);
      idle = counts.decoded + counts.failed + loads.size > before ? 0 : idle + 1;
    }
  }
}
