// A parsing helper: a second Python (pydicom and venos, no numpy) that parses the headers of local files for the
// viewer's worker, which meanwhile adds the files it parsed itself (./parsepool.js, ./loader.js): a load then uses
// two cores. It answers only what it can parse from a file's first bytes (venos/parse_api.py); the viewer's worker
// parses the rest. It boots from the runtime the viewer's start already fetched (Cache Storage, else the network),
// checking the Python site against the build's sha256.

import { checkSha256, unpackFiles } from "./net/archive.js";
import { buildCache, writeSite } from "./runtime.js";

let api = null;

async function boot({ indexURL, base, build, site }) {
  const [{ loadPyodide }, cache] = await Promise.all([import(indexURL + "pyodide.mjs"), buildCache(build)]);
  if (cache) { // Pyodide's own files as the viewer's start kept them (a first visit fetched their LZMA2 copies)
    const plain = self.fetch.bind(self);
    self.fetch = async (input, init) => {
      const url = input instanceof Request ? input.url : new URL(String(input), self.location.href).href;
      const kept = url.startsWith(indexURL) ? await cache.match(url).catch(() => null) : null;
      return kept || plain(input, init);
    };
  }
  const py = await loadPyodide({ indexURL, fullStdLib: false, packages: [], stdout: () => {}, stderr: () => {} });
  const kept = cache ? await cache.match(site.url).catch(() => null) : null;
  const res = kept || await fetch(site.url);
  if (!res.ok) throw new Error(`${site.url}: HTTP ${res.status}`);
  const buf = await res.arrayBuffer();
  await checkSha256(buf, site.sha256, site.url);
  writeSite(py, await unpackFiles(buf));
  py.pyimport("venos._lazy").install(base); // modules left out of the site arrive on first import, as in the viewer
  api = py.pyimport("venos.parse_api");
}

self.onmessage = async ({ data }) => {
  if (data.boot) {
    const t = performance.now();
    try {
      await boot(data.boot);
      const ms = Math.round(performance.now() - t);
      const warm = api.warm_up();
      self.postMessage({ up: { ms, warmUp: warm.toJs({ dict_converter: Object.fromEntries }) } });
      warm.destroy();
    } catch (e) {
      self.postMessage({ down: { message: String((e && e.message) || e) } });
    }
    return;
  }
  if (data.parse) {
    const { id, name, head, size } = data.parse;
    let answer = null;
    try {
      const r = api.parse_head(name, head, size); // pickled bytes, or None: the viewer's worker parses it
      if (r) { answer = r.toJs(); r.destroy(); }
    } catch { answer = null; }
    self.postMessage({ parsed: { id, answer } }, answer ? [answer.buffer] : []);
  }
};
