// One memory budget for everything the viewer holds, in the worker (stats().memory says how it is spent):
//
//   files      bytes of loaded files kept in memory (downloads, zip members; a local File costs none) — blobs.js;
//   python     what Python keeps besides decoded frames: parsed heads, plain images, compressed pixel elements, and
//              the volumes built for reformatting (at most two, venos.session.Volumes);
//   frames     decoded frames, a least-recently-used cache: they can always be decoded again;
//   netCache   downloads kept only to reopen a case without the network (net/cache.js), not viewed by a loaded file.
//
// Loaded files and Python's own part come first: a file that would not fit is refused (a skip, code "memory").
// Frames get what those leave (never less than FRAME_FLOOR, so the slice shown can always be decoded), and the
// network cache gives way first: it keeps only what is left once the frames are counted.

const GiB = 2 ** 30;
export const FRAME_FLOOR = 128 * 2 ** 20;

/** 2 GiB, or a quarter of the device's memory where the browser tells it (navigator.deviceMemory), at least 512 MB. */
export function defaultBudget(nav = self.navigator) {
  const gb = nav && Number(nav.deviceMemory);
  return gb > 0 ? Math.min(2 * GiB, Math.max(GiB / 2, (gb * GiB) / 4)) : 2 * GiB;
}

/**
 * @param {object} w api() (venos.api's proxy once Python is up), blobs() (blobs.js), netCache() (the ByteCache of
 *   net/remote.js, or null), toJs
 */
export function createMemory(w) {
  let budget = defaultBudget();
  let last = null;

  /** Share the budget out again (after a load, a clear, a new budget) and return how it is spent. */
  function sync() {
    const api = w.api(), blobs = w.blobs(), cache = w.netCache();
    if (!api || !blobs) return null;
    const py = w.toJs(api.memory());
    const python = py.pinned + py.compressed + py.heads + (py.volume || 0);
    const files = blobs.stats().bytes;
    blobs.setLimit(Math.max(0, budget - python - FRAME_FLOOR));
    const frameBudget = Math.max(FRAME_FLOOR, budget - files - python);
    const frames = w.toJs(api.memory(frameBudget)).frames;
    let net = 0;
    if (cache) {
      cache.trim(Math.max(0, budget - files - python - frames), blobs.holds);
      net = cache.extraBytes(blobs.holds);
    }
    last = {
      budget, used: files + python + frames + net, frameBudget, fileLimit: Math.max(0, budget - python - FRAME_FLOOR),
      parts: { files, frames, netCache: net, heads: py.heads, pinned: py.pinned, compressed: py.compressed, volume: py.volume || 0 },
    };
    return last;
  }

  return {
    sync,
    report: () => sync() || last,
    /** A new budget in bytes (finite, at least 256 MB); the shares follow at once. */
    setBudget(bytes) {
      const n = Number(bytes);
      if (!Number.isFinite(n) || n < 256 * 2 ** 20) {
        throw { code: "bad-call", message: `the memory budget must be a number of bytes of at least 256 MB (got ${bytes})` };
      }
      budget = n;
      return sync();
    },
  };
}
