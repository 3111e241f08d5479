// Browser codecs for the Python worker. Each codec is loaded the first time Python needs it, never at start-up:
// Python raises CodecNotLoaded (venos.pixels.codecs), the worker asks `wanted()` which codecs that was, awaits
// `ensure(names)` and calls Python again. A load is attempted once per page; a codec that fails to load is
// reported once (a "warning" event) and Python then answers with a plain error naming the reason.
//
// Which codecs exist, what each decodes and how it is loaded is the build's one codec table
// (app/py/venos/pixels/codecs.json), which build.py copies into runtime.json "codecs": each entry names its adapter
// and the adapter's settings. Adapters live in ./codecs/<adapter>.js and export `create(name, files, entry)` →
// { decode(src, params) → {data, bits, planar, rgb} }, where `files` maps the vendored file names to URLs.

const ADAPTERS = { // the adapter modules there are (a table entry names one of them)
  embind: "./codecs/embind.js",
  dcmjs: "./codecs/dcmjs.js",
};

let api = null;
let entries = new Map(); // codec name → runtime.json entry
const loads = new Map(); // codec name → Promise (settled once)
const stats = new Map(); // codec name → {state, ms, bytes, error}

const emit = (event, data) => self.postMessage({ event, data });

/** Called once by the worker after `venos.api` is imported: tell Python which codecs this build ships. */
export async function registerCodecs(py, apiProxy, rt) {
  api = apiProxy;
  const usable = rt.codecs.filter((c) => c.name && ADAPTERS[c.adapter]);
  for (const c of rt.codecs) if (!usable.includes(c)) console.warn(`runtime.json: codec ${c.name} names no known adapter (${c.adapter})`);
  entries = new Map(usable.map((c) => [c.name, { ...c, base: rt.codecBase }]));
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

/** Load these codecs (each at most once per page). Resolves when every one is ready or has failed. */
export function ensure(names) {
  return Promise.all([].concat(names).map((name) => {
    if (!loads.has(name)) loads.set(name, load(name));
    return loads.get(name);
  }));
}

/** Loads in flight or done, for callers that must wait for them (e.g. `settle`). */
export function pending() {
  return Promise.all(loads.values());
}

export function status() {
  return Object.fromEntries([...entries.keys()].map((n) => [n, { ...stats.get(n), package: entries.get(n).package, version: entries.get(n).version }]));
}

async function load(name) {
  const entry = entries.get(name);
  const t0 = performance.now();
  stats.set(name, { state: "loading" });
  try {
    if (!entry) throw new Error("not part of this build");
    const files = Object.fromEntries(entry.files.map((f) => [f.split("/").pop(), new URL(f, entry.base).href]));
    const adapter = await import(ADAPTERS[entry.adapter]);
    const impl = await adapter.create(name, files, entry);
    const ms = performance.now() - t0;
    api.codec_ready(name, impl);
    stats.set(name, { state: "ready", ms: Math.round(ms * 10) / 10, bytes: entry.bytes || 0 });
    emit("codec", { name, state: "ready", ms });
  } catch (e) {
    const message = String((e && e.message) || e);
    api.codec_failed(name, message);
    stats.set(name, { state: "failed", error: message });
    emit("warning", { code: "codec", codec: name, message: `The ${name} decoder could not be loaded: ${message}. Images that need it are listed with this reason.` });
  }
}

/** Run `fn` (which calls Python); when it fails because codecs are not loaded yet, load them and run it again. */
export async function withCodecs(fn, tries = 4) {
  for (let i = 0; ; i++) {
    try {
      return await fn();
    } catch (e) {
      const names = wanted();
      if (!names.length || i >= tries) throw e;
      await ensure(names);
    }
  }
}
