// The first visit rehearses the second, so that the second starts fast too.
//
// A repeat visit compiles Pyodide's WebAssembly from the copy the service worker keeps in Cache Storage, and Chrome
// keeps the code V8 optimized beside that copy (its code cache) once a module compiled from it has run a while: the
// visit after deserializes it instead of compiling function by function (measured: the second visit's first image at
// 1.2–1.6 s, a third visit's 0.9–1.2 s). The first visit cannot give its own module's code: it compiles the LZMA2 copy
// it downloads (a response Chrome caches nothing for). So once this visit has what it came for and the service worker
// holds the build, a hidden worker starts Python exactly as a repeat visit does (the service worker's copy, compiled
// as repeat visits compile it, runtime.js; the memory snapshot), runs the viewer's render and parse paths on
// synthetic data for ~2 s (worker.js, REHEARSAL_PARSE_MS), and is ended a few seconds later, once V8 has written its
// cache. It costs this visit ~3 s of a core while nothing else runs, and the memory of a second interpreter until it
// ends; it is skipped where memory is short. `rehearsal.state` says what happened (the JS API's
// `venos.runtime.rehearsal`).

import { WorkerClient } from "./rpc.js";

const IDLE_MS = 5000; // no input on the page, no call to the worker this long: the user is reading, not working
const SETTLE_MS = 4000; // after the rehearsal's warm-up: V8 caches once no new code came for 2 s, then Chrome writes
const GIVE_UP_MS = 60_000; // a rehearsal that has not finished by then is ended (it only ever helps)
const MIN_MEMORY_GB = 4; // navigator.deviceMemory below this: a second interpreter is not worth the memory

export const rehearsal = { state: "waiting", reason: "", ms: 0 };

const settle = (state, reason = "") => Object.assign(rehearsal, { state, reason });

/** Rehearse a repeat visit once this first visit is idle: `early` is start.js's ({runtime, controlled});
 * `busy(quietMs)` says whether the viewer is loading files or has asked its worker anything in the last `quietMs`.
 * Call it once the service worker has been registered. Resolves with `rehearsal` when it has ended or was skipped. */
export async function rehearse(early, busy = () => false) {
  const runtime = early && early.runtime;
  if (!runtime || runtime.source !== "local" || !runtime.build) return settle("skipped", "not a built viewer");
  if (early.controlled) return settle("skipped", "a repeat visit: it compiled the service worker's copy itself");
  if (navigator.deviceMemory && navigator.deviceMemory < MIN_MEMORY_GB) return settle("skipped", "little memory");
  if (typeof caches === "undefined" || !("serviceWorker" in navigator)) return settle("skipped", "no service worker");
  try {
    await navigator.serviceWorker.ready;
    // the worker's requests must reach the service worker: this page must be its client (it claims it as it activates)
    if (!navigator.serviceWorker.controller) {
      await new Promise((resolve) => navigator.serviceWorker.addEventListener("controllerchange", resolve, { once: true }));
    }
    // the build the service worker serves must be this page's, whole (it stores runtime.json last)
    if (!(await caches.match(new URL("runtime.json", document.baseURI).href, { cacheName: `venos-${runtime.build}` }))) {
      return settle("skipped", "the service worker holds another build");
    }
  } catch (e) {
    return settle("skipped", `no service worker: ${e.message || e}`);
  }
  await idle(busy);
  settle("running");
  const t = performance.now();
  const client = new WorkerClient(new URL("worker.js", import.meta.url));
  try {
    await new Promise((resolve, reject) => {
      client.on("rehearsed", resolve);
      client.on("fatal", (e) => reject(new Error(e.message || "the worker failed")));
      setTimeout(() => reject(new Error("it took too long")), GIVE_UP_MS);
      client.worker.postMessage({ boot: { runtime, controlled: true, rehearsal: true } });
    });
    await new Promise((resolve) => setTimeout(resolve, SETTLE_MS));
    settle("done");
  } catch (e) {
    settle("failed", e.message || String(e));
  } finally {
    client.worker.terminate();
    rehearsal.ms = Math.round(performance.now() - t);
  }
  return rehearsal;
}

/** Resolves once the page has had no input for IDLE_MS and `busy(IDLE_MS)` is false. */
function idle(busy) {
  return new Promise((resolve) => {
    let timer = 0;
    const events = ["pointerdown", "keydown", "wheel", "drop"];
    const wait = () => {
      clearTimeout(timer);
      timer = setTimeout(() => {
        if (busy(IDLE_MS)) return wait();
        for (const e of events) document.removeEventListener(e, wait, true);
        resolve();
      }, IDLE_MS);
    };
    for (const e of events) document.addEventListener(e, wait, true);
    wait();
  });
}
