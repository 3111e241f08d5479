// DWV side of bench/coldlink.py: read the share link's query, fetch the case list, load it with DWV's App API
// and DWV's own rendering. Times are performance.now() (ms since navigation), written into window.__peer:
//   ready  — the App is initialised (dwv.min.js and its dependencies loaded and run): it can load;
//   listed — the manifest / URL list is known;
//   first  — DWV's first `renderend`: fired by ViewLayer.draw() right after drawImage() put the first slice on
//            the layer's canvas (the App renders on the first `loaditem` since viewOnFirstLoadItem defaults to true);
//   load   — DWV's `load`: every URL arrived and was parsed (UrlsLoader counts one per item, then fires it once);
//   loadend — DWV's `loadend`: the load finished, successfully or not (errors and aborts count too).
import { App, AppOptions, ToolConfig, ViewConfig } from "dwv";

const peer = (window.__peer = { viewer: "dwv", t: {}, items: 0, total: 0, errors: [] });
const now = () => performance.now();
const q = new URLSearchParams(location.search);

/** The file URLs a link names: ?url=… (repeatable), or ?manifest= an OHIF DICOM JSON or a JSON list. */
async function linkUrls() {
  if (q.getAll("url").length) return q.getAll("url").map((u) => new URL(u, location.href).href);
  const src = q.get("manifest");
  if (!src) throw new Error("dwv.html needs ?manifest=<url> or ?url=<url>…");
  const r = await fetch(src);
  if (!r.ok) throw new Error(`manifest: HTTP ${r.status}`);
  const m = await r.json();
  const list = Array.isArray(m) ? m : m.studies.flatMap((st) => st.series.flatMap((se) => se.instances.map((i) => i.url)));
  return list.map((u) => new URL(String(u).replace(/^(dicomweb|wadouri):/, ""), r.url).href);
}

const app = new App();
const options = new AppOptions({ "*": [new ViewConfig("layerGroup0")] });
options.tools = { Scroll: new ToolConfig(), WindowLevel: new ToolConfig() };
app.init(options);
app.addEventListener("renderend", () => { if (peer.t.first === undefined) peer.t.first = now(); });
app.addEventListener("loaditem", () => { peer.items++; });
app.addEventListener("load", () => { peer.t.load = now(); });
app.addEventListener("loadend", () => { peer.t.loadend = now(); });
app.addEventListener("error", (e) => peer.errors.push(String(e.error && e.error.message || e.error || "error")));
peer.t.ready = now();

try {
  const urls = await linkUrls();
  peer.t.listed = now();
  peer.total = urls.length;
  app.loadURLs(urls);
} catch (e) {
  peer.errors.push(String(e && e.message || e));
  peer.t.loadend = now();
}
