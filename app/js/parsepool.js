// Parsing helpers for local loads (./parseworker.js): each a second Python that parses file headers while the
// viewer's worker adds files, so a load grows with the cores. Started once the viewer is idle after its start (never
// on the way to a first image: a helper's start costs ~0.7–1 s of a core, then a 0.6 s warm-up, and ~40 MB); only
// where the machine has cores and memory to spare (defaultHelpers below).
// A helper that cannot start or answer is no loss: the viewer's worker parses every file it is not given an answer
// for.

export const MAX_WAITING = 4; // files given to one helper and not answered yet: enough to keep it busy
// A helper that has not answered for a file in this time (a hostile header it is slow on): the viewer's worker
// parses the file itself, under its own bounds; the helper's slot stays taken until it answers.
export const ANSWER_MS = 2000;

/** `rt`: the runtime (runtime.js chooseRuntime). status() says what there is; parse() answers null at once when no
 * helper is free, so the caller parses the file itself rather than wait. `spawn`, `answerMs`: for tests. */
export function createParsePool(rt, { helpers = defaultHelpers(), answerMs = ANSWER_MS,
  spawn = () => new Worker(new URL("./parseworker.js", import.meta.url), { type: "module" }) } = {}) {
  let pool = [];
  const state = { wanted: helpers, started: false, up: 0, answered: 0, declined: 0, failures: [], bootMs: [] };
  let nextId = 1;

  function start() {
    if (state.started || !state.wanted || rt.source !== "local" || !rt.site) return;
    state.started = true;
    for (let i = 0; i < state.wanted; i++) {
      const h = { worker: null, up: false, waiting: new Map() };
      try {
        h.worker = spawn();
      } catch (e) {
        state.failures.push(String(e.message || e));
        continue;
      }
      h.worker.onmessage = ({ data }) => {
        if (data.up) { h.up = true; state.up++; state.bootMs.push(data.up.ms); state.warmUp = data.up.warmUp; return; }
        if (data.down) { state.failures.push(data.down.message); stop(h); return; }
        const { id, answer } = data.parsed;
        const resolve = h.waiting.get(id);
        h.waiting.delete(id);
        if (answer) state.answered++; else state.declined++;
        if (resolve) resolve(answer || null);
      };
      h.worker.onerror = (ev) => { state.failures.push(ev.message || "the parsing helper failed"); stop(h); };
      h.worker.postMessage({ boot: { indexURL: rt.indexURL, base: rt.base, build: rt.build, site: rt.site } });
      pool.push(h);
    }
  }

  function stop(h) {
    if (h.up) state.up--;
    h.up = false;
    for (const resolve of h.waiting.values()) resolve(null);
    h.waiting.clear();
    try { h.worker.terminate(); } catch { /* gone already */ }
  }

  /** A promise of the helper's answer for one file (pickled header, Uint8Array) or null; null (not a promise)
   * when every helper is busy or none is up. */
  function parse(name, head, size) {
    let best = null;
    for (const h of pool) if (h.up && h.waiting.size < MAX_WAITING && (!best || h.waiting.size < best.waiting.size)) best = h;
    if (!best) return null;
    const id = nextId++;
    return new Promise((resolve) => {
      const late = setTimeout(() => resolve(null), answerMs);
      best.waiting.set(id, (answer) => { clearTimeout(late); resolve(answer); });
      best.worker.postMessage({ parse: { id, name, head, size } }); // the head is copied: the file keeps its own
    });
  }

  /** Use `n` helpers from now on (0: none), started at once: the API's venos.parsers() (tests, embedders). */
  function setHelpers(n) {
    for (const h of pool) stop(h);
    pool = [];
    state.wanted = Math.max(0, Math.min(Number(n) || 0, 8));
    state.started = false;
    start();
    return status();
  }

  const status = () => ({ ...state, failures: state.failures.slice(-3), bootMs: state.bootMs.slice() });
  return {
    start,
    parse,
    up: () => state.up,
    setHelpers,
    status,
  };
}

/** How many helpers this machine affords: one per core beyond three (the page, the viewer's worker and the
 * browser's own threads take about two during a load, and one is left for the rest of the machine), up to 3;
 * none under 4 GB. On 2 cores a helper was measured
 * to make loads no faster: each file then cost more of the two cores (docs/benchmarks.md). */
export function defaultHelpers(nav = typeof navigator !== "undefined" ? navigator : {}) {
  const cores = nav.hardwareConcurrency || 1;
  const memory = nav.deviceMemory; // GB, rounded down and capped by the browser; unknown in some browsers
  if (memory !== undefined && memory < 4) return 0;
  return Math.max(0, Math.min(cores - 3, 3));
}
