// DWV side of bench/localload.py: File objects already in memory handed to DWV's App.loadFiles(), drawn by DWV's
// own rendering. window.__loadFiles(files) starts a load and resolves with window.__peer once it has ended.
// Times are performance.now() (ms since navigation) in window.__peer.t:
//   ready   — App.init() has run (dwv.min.js and its dependencies loaded): it can load;
//   call    — just before app.loadFiles(files);
//   first   — the first `renderend` after `call`: fired by ViewLayer.draw() right after drawImage() put the slice on
//             the layer's canvas; the App renders on the first `loaditem` (viewOnFirstLoadItem defaults to true);
//   load    — DWV's `load`: FilesLoader counted one `load` per file (each read by a FileReader as an ArrayBuffer
//             and parsed by DicomBufferToData.convert; uncompressed pixels need no decoder), then fired it once;
//   loadend — DWV's `loadend`: every file ended, loaded or not (read errors, parse errors, aborts count too).
// Input DWV needs (io/filesLoader.js, io/dicomDataLoader.js): the loader is chosen from files[0].name — DICOM
// only for a ".dcm" extension or none — and every other file must pass the same check, else loadFiles throws.
import { App, AppOptions, ToolConfig, ViewConfig } from "dwv";

const peer = (window.__peer = { viewer: "dwv", t: {}, items: 0, total: 0, errors: [] });
const now = () => performance.now();

const app = new App();
const options = new AppOptions({ "*": [new ViewConfig("layerGroup0")] });
options.tools = { Scroll: new ToolConfig(), WindowLevel: new ToolConfig() };
app.init(options);

let loading = null; // {resolve} of the load in progress
app.addEventListener("renderend", () => {
  if (peer.t.call !== undefined && peer.t.first === undefined) peer.t.first = now();
});
app.addEventListener("loaditem", () => { peer.items++; });
app.addEventListener("load", () => { if (peer.t.load === undefined) peer.t.load = now(); });
app.addEventListener("error", (e) => {
  if (peer.errors.length < 20) peer.errors.push(String((e.error && e.error.message) || e.error || "error"));
});
app.addEventListener("loadend", () => {
  if (peer.t.loadend !== undefined) return;
  peer.t.loadend = now();
  if (loading) loading.resolve(summary());
});
peer.t.ready = now();

function summary() {
  const image = peer.dataId && peer.dataId !== "-1" ? app.getImage(peer.dataId) : undefined;
  peer.size = image ? image.getGeometry().getSize().getValues() : null; // [columns, rows, slices]
  return JSON.parse(JSON.stringify(peer));
}

/** Load `files` (File[]) with app.loadFiles; resolves with window.__peer once DWV's `loadend` fired. */
window.__loadFiles = (files) => new Promise((resolve) => {
  peer.t = { ready: peer.t.ready };
  peer.items = 0;
  peer.total = files.length;
  peer.errors = [];
  loading = { resolve };
  peer.t.call = now();
  try {
    peer.dataId = app.loadFiles(files);
  } catch (e) {  // e.g. "No loader found for file": no event will come
    peer.errors.push(String((e && e.message) || e));
    peer.t.loadend = now();
    resolve(summary());
  }
});
