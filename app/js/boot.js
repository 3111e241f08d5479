// Main thread: start the Python worker, wire the page's controls, paint overlays, expose window.venos.
// Every string that comes from a file or a URL is inserted with textContent, never as HTML.

import { WorkerClient } from "./rpc.js";

// start.js (an async classic script) has started the worker — almost always before this module runs
const early = window.__venosEarly || await new Promise((resolve) =>
  window.addEventListener("venos-early", () => resolve(window.__venosEarly), { once: true }));
import { Viewer } from "./viewer.js";
import { attachInput } from "./input.js";
import { filesFromDataTransfer, filesFromInput, isHidden } from "./files.js";
import { Annotations } from "./annotations.js";
import { TOOLS } from "./tools/index.js";
import { installTags } from "./tags.js";
import { installMeasurements } from "./measurements.js";
import { installCloud } from "./cloud/ui.js"; // links, URLs, manifests, case library, DICOMweb

const $ = (id) => document.getElementById(id);
const vp = $("viewport");
const client = new WorkerClient(early); // the worker was started by start.js, before this graph loaded
const viewer = new Viewer($("canvas"), client);
let activeTool = "window_level";
const bootStart = performance.now();

// ------------------------------------------------------------------------------------------------ status
function setStatus(text) { $("status").textContent = text; }

function showMessage(text) {
  const m = $("message");
  m.textContent = text || "";
  m.hidden = !text;
}

// Start-up progress: the runtime's bytes as they arrive, then Python's start; a shared case's title and size as
// soon as its manifest is in (before Python is up).
let caseLine = "";
const mb = (n) => (n / 1e6).toFixed(1);
function startupProgress(fraction, text) {
  if (viewer.runtime) return;
  $("progress").hidden = false;
  $("progress-bar").style.width = `${Math.round(100 * Math.min(1, fraction))}%`;
  $("progress-text").textContent = text;
}
viewer.addEventListener("stage", (e) => {
  const d = e.detail;
  if (d.stage === "runtime") setStatus(d.source === "local" ? "Loading the viewer…" : `Loading Python from ${d.indexURL}…`);
  if (d.stage === "download" && d.total) startupProgress(d.loaded / d.total, `Loading the viewer: ${mb(d.loaded)} / ${mb(d.total)} MB`);
  if (d.stage === "python") {
    startupProgress(1, "Starting Python…");
    setStatus(caseLine || "Starting Python…");
  }
});
viewer.client.on("caseinfo", (d) => {
  const parts = [d.title, d.series != null ? `${d.series} series` : "", d.instances != null ? `${d.instances} images` : ""];
  caseLine = `Opening ${parts.filter(Boolean).join(" · ") || "the shared case"}…`;
  setStatus(caseLine);
});
viewer.addEventListener("ready", (e) => {
  const v = e.detail.versions;
  if ($("progress-text").textContent.startsWith("Loading the viewer") || $("progress-text").textContent === "Starting Python…") $("progress").hidden = true;
  setStatus(caseLine || `Ready in ${((performance.now() - bootStart) / 1000).toFixed(1)} s · pydicom ${v.pydicom} · numpy ${v.numpy}`);
});
viewer.addEventListener("fatal", (e) => {
  setStatus("Failed to start");
  showMessage(`VeNOS could not start: ${e.detail.message}`);
});

// ------------------------------------------------------------------------------------------------ progress
viewer.addEventListener("loadstart", (e) => {
  $("progress").hidden = false;
  $("progress-bar").style.width = "0";
  $("progress-text").textContent = `0 / ${e.detail.total}`;
  $("drop-hint").hidden = true;
});
viewer.addEventListener("progress", (e) => {
  const { done, total, failed, bytes } = e.detail;
  $("progress-bar").style.width = `${total ? (100 * done) / total : 0}%`;
  $("progress-text").textContent = `${done} / ${total} files · ${(bytes / 1e6).toFixed(1)} MB${failed ? ` · ${failed} skipped` : ""}`;
});
viewer.addEventListener("loadend", (e) => {
  const { loaded, failed, ms, total } = e.detail;
  $("progress").hidden = true;
  setStatus(`${loaded} of ${total} files loaded in ${(ms / 1000).toFixed(2)} s${failed ? `, ${failed} skipped` : ""}`);
  if (!viewer.state.series) $("drop-hint").hidden = false;
});

// ------------------------------------------------------------------------------------------------ errors
const skippedSeen = new Set();
viewer.addEventListener("error", (e) => {
  const d = e.detail;
  if (d.code === "render" || d.frame !== undefined && d.frame !== null || d.code === "decode") {
    showMessage(`${d.source ? d.source + "\n" : ""}${d.message}`);
  }
  const key = `${d.source}|${d.message}`;
  if (skippedSeen.has(key) || !d.source) return;
  skippedSeen.add(key);
  const li = document.createElement("li");
  const f = document.createElement("div"); f.className = "file"; f.textContent = d.source;
  const w = document.createElement("div"); w.className = "why"; w.textContent = d.message;
  li.append(f, w);
  $("skipped-list").append(li);
  $("skipped-count").textContent = String(skippedSeen.size);
  $("skipped-box").hidden = false;
});

// ------------------------------------------------------------------------------------------------ series list
viewer.addEventListener("series", (e) => renderSeriesList(e.detail));
function renderSeriesList(list) {
  const ul = $("series-list");
  ul.replaceChildren();
  for (const s of list) {
    const li = document.createElement("li");
    li.dataset.series = s.id;
    li.tabIndex = 0;
    if (s.id === viewer.state.series) li.classList.add("active");
    const title = document.createElement("div");
    title.textContent = `${s.modality || "?"} · ${s.description || (s.seriesNumber != null ? `Series ${s.seriesNumber}` : "Unnamed series")}`;
    const sub = document.createElement("div");
    sub.className = "sub";
    sub.textContent = `${s.slices} ${s.slices === 1 ? "image" : "images"} · ${s.columns}×${s.rows}${s.multiframe ? " · multi-frame" : ""}${s.pending ? ` · ${s.slices - s.pending} loaded` : ""}`;
    const who = document.createElement("div");
    who.className = "sub";
    who.textContent = [s.patientName && s.patientName.replace(/\^/g, " "), fmtDate(s.studyDate)].filter(Boolean).join(" · ");
    const thumb = document.createElement("canvas");
    thumb.className = "thumb";
    thumb.width = thumb.height = 1;
    li.append(thumb, title, sub, who);
    drawThumb(thumb, s);
    const pick = () => { showMessage(""); viewer.setViewState({ series: s.id }); };
    li.addEventListener("click", pick);
    li.addEventListener("keydown", (ev) => { if (ev.key === "Enter" || ev.key === " ") { ev.preventDefault(); pick(); } });
    ul.append(li);
  }
}

const thumbs = new Map(); // series id → {slices, image: Promise<ImageData|null>}
function drawThumb(canvas, s) {
  let t = thumbs.get(s.id);
  if (!t || t.slices !== s.slices) {
    const image = viewer.client.call("thumbnail", { series: s.id, size: 64 })
      .then((r) => (r.rgba ? new ImageData(r.rgba, r.meta.width, r.meta.height) : null), () => null);
    t = { slices: s.slices, image };
    thumbs.set(s.id, t);
  }
  t.image.then((img) => {
    if (!img) return;
    canvas.width = img.width;
    canvas.height = img.height;
    canvas.getContext("2d").putImageData(img, 0, 0);
  });
}
viewer.addEventListener("cleared", () => thumbs.clear());

// ------------------------------------------------------------------------------------------------ overlay
const onRendered = (e) => {
  const { meta } = e.detail;
  for (const li of $("series-list").children) li.classList.toggle("active", li.dataset.series === viewer.state.series);
  if (!meta || !meta.overlay) return;
  if (!e.detail.cameraOnly) showMessage("");
  const o = meta.overlay;
  const z = viewer.view.scale();
  $("ov-tl").textContent = [o.patientName, o.patientId, o.studyDate, o.studyDescription].filter(Boolean).join("\n");
  $("ov-tr").textContent = [o.modality, o.seriesDescription, o.seriesNumber != null ? `Series ${o.seriesNumber}` : ""].filter(Boolean).join("\n");
  const spacing = o.pixelSpacing ? `Pixel ${o.pixelSpacing[1].toFixed(3)}×${o.pixelSpacing[0].toFixed(3)} mm (${o.spacingSource})`
    : o.usCalibration ? `Pixel ${o.usCalibration[1].toFixed(3)}×${o.usCalibration[0].toFixed(3)} mm in the ultrasound region`
      : "Pixel spacing unknown";
  $("ov-bl").textContent = [`Slice ${o.slice} / ${o.slices}`, o.frames > 1 ? `Frame ${o.frame} / ${o.frames}` : "", spacing].filter(Boolean).join("\n");
  const wl = o.voiLut ? `VOI LUT: ${o.voiLut}` : o.center != null ? `W ${fmt(o.width)}  L ${fmt(o.center)}${o.units ? " " + o.units : ""}` : "";
  $("ov-br").textContent = [wl, `Zoom ${(z * 100).toFixed(0)}%`, viewer.state.invert ? "Inverted" : ""].filter(Boolean).join("\n");
  const slider = $("slider");
  slider.max = String(o.slices);
  slider.value = String(o.slice);
  slider.disabled = o.slices < 2;
  $("slice-label").textContent = `${o.slice} / ${o.slices}`;
  $("invert").setAttribute("aria-pressed", String(viewer.state.invert));
  $("overlays").disabled = !o.overlayPlanes;
  $("overlays").setAttribute("aria-pressed", String(!!o.overlayPlanes && viewer.state.overlays !== false));
  updatePresets(o.presets || []);
  // Patient orientation at the image edges (letters from Image Orientation (Patient), see view/orientation.py)
  $("ov-lossy").textContent = o.lossy || ""; // the pixels are not the original ones: always said
  const edges = o.orientation || {};
  const shown = viewer.view.edges(); // rotation and flip move the stored image's edges around the screen
  for (const side of EDGES) $(`ov-${side}`).textContent = edges[shown[side]] || "";
  $("flip").setAttribute("aria-pressed", String(viewer.view.flip));
};
const EDGES = ["left", "right", "top", "bottom"];
viewer.addEventListener("cleared", () => {
  for (const id of ["ov-tl", "ov-tr", "ov-lossy", "ov-bl", "ov-br", "ov-probe", ...EDGES.map((s) => `ov-${s}`)]) $(id).textContent = "";
});
viewer.addEventListener("rendered", onRendered);
viewer.addEventListener("pending", onRendered); // a remote slice still loading: overlay and slider follow

function fmtDate(da) { return /^\d{8}$/.test(da || "") ? `${da.slice(0, 4)}-${da.slice(4, 6)}-${da.slice(6)}` : da || ""; }
function fmt(v) { return Number.isInteger(v) || Math.abs(v) >= 100 ? v.toFixed(0) : v.toFixed(Math.abs(v) >= 10 ? 1 : 2); }

let presetKey = "";
let presets = [];
function updatePresets(list) {
  const key = JSON.stringify(list);
  if (key === presetKey) return;
  presetKey = key;
  presets = list;
  const sel = $("presets");
  sel.replaceChildren(new Option("Window…", ""));
  list.forEach((p, i) => sel.append(new Option(p.voiLut != null ? `${i + 1}. ${p.name} (VOI LUT)` : `${i + 1}. ${p.name} (${fmt(p.width)}/${fmt(p.center)})`, String(i))));
}
function applyPreset(i) {
  const p = presets[i];
  if (p && p.voiLut != null) viewer.setViewState({ voiLut: p.voiLut });
  else if (p) viewer.setViewState({ center: p.center, width: p.width, voiLut: -1 });
}
$("rotate").addEventListener("click", () => viewer.setViewState({ rotate: (viewer.view.rotate + 90) % 360 }));
$("flip").addEventListener("click", () => viewer.setViewState({ flip: !viewer.view.flip }));
$("presets").addEventListener("change", (e) => { if (e.target.value !== "") applyPreset(Number(e.target.value)); e.target.value = ""; });

// ------------------------------------------------------------------------------------------------ controls
// the left-button tools, one button each, from the tool registry (app/js/tools/index.js)
$("tools").append(...[...TOOLS.values()].map((t) => {
  const b = document.createElement("button");
  b.className = t.name === activeTool ? "btn tool active" : "btn tool";
  b.dataset.tool = t.name;
  b.setAttribute("aria-pressed", String(t.name === activeTool));
  b.title = t.title;
  b.textContent = t.label;
  return b;
}));
for (const b of document.querySelectorAll("[data-tool]")) {
  b.addEventListener("click", () => {
    activeTool = b.dataset.tool;
    annotations.cancel(); // a half-drawn angle belongs to the tool it was started with
    for (const o of document.querySelectorAll("[data-tool]")) {
      o.classList.toggle("active", o === b);
      o.setAttribute("aria-pressed", String(o === b));
    }
  });
}
$("fit").addEventListener("click", () => viewer.setViewState({ zoom: 0, pan: [0, 0] }));
$("reset").addEventListener("click", () => viewer.setViewState({ center: null, width: null, invert: false, zoom: 0, pan: [0, 0] }));
$("invert").addEventListener("click", () => viewer.setViewState({ invert: !viewer.state.invert }));
$("overlays").addEventListener("click", () => viewer.setViewState({ overlays: !viewer.state.overlays }));
$("export").addEventListener("click", async () => {
  const blob = await viewer.exportPng();
  if (!blob) return;
  const a = document.createElement("a");
  a.href = URL.createObjectURL(blob);
  a.download = `venos-slice-${viewer.state.slice + 1}.png`;
  a.click();
  setTimeout(() => URL.revokeObjectURL(a.href), 10000);
});
// Cine: loop through the slices at the file's frame rate (10 frames/s when it gives none). Each step waits for
// the previous frame to be drawn, so a slow device drops frames instead of queueing them.
let playing = false;
async function play() {
  playing = !playing;
  $("play").setAttribute("aria-pressed", String(playing));
  $("play").textContent = playing ? "Stop" : "Play";
  while (playing && viewer.meta && viewer.meta.overlay) {
    const o = viewer.meta.overlay;
    const period = o.frameTimeMs || 100;
    const t = performance.now();
    await viewer.setViewState({ slice: (viewer.state.slice + 1) % o.slices });
    await new Promise((r) => setTimeout(r, Math.max(0, period - (performance.now() - t))));
  }
  if (playing) play();
}
$("play").addEventListener("click", play);
viewer.addEventListener("cleared", () => { if (playing) play(); });
vp.addEventListener("keydown", (e) => { if (e.key === " ") { e.preventDefault(); play(); } });
$("slider").addEventListener("input", (e) => viewer.setViewState({ slice: Number(e.target.value) - 1 }));

async function openItems(items) {
  items = items.filter((it) => !isHidden(it.path));
  if (!items.length) return;
  showMessage("");
  await viewer.load(items);
}
$("open-files").addEventListener("change", (e) => { openItems(filesFromInput(e.target)); e.target.value = ""; });
$("open-folder").addEventListener("change", (e) => { openItems(filesFromInput(e.target)); e.target.value = ""; });

for (const t of ["dragenter", "dragover"]) {
  document.addEventListener(t, (e) => { e.preventDefault(); vp.classList.add("over"); });
}
document.addEventListener("dragleave", (e) => { if (!e.relatedTarget) vp.classList.remove("over"); });
document.addEventListener("drop", async (e) => {
  e.preventDefault();
  vp.classList.remove("over");
  if (e.dataTransfer) openItems(await filesFromDataTransfer(e.dataTransfer));
});

const annotations = new Annotations($("annotations"), viewer);
viewer.view.onDraw = () => annotations.draw();

// Pixel probe: the value under the mouse, in modality units (throttled to one request per frame).
let probeAt = null, probeBusy = false;
async function probe() {
  if (probeBusy || !probeAt || !viewer.state.series) return;
  probeBusy = true;
  const [x, y] = probeAt;
  probeAt = null;
  try {
    const [ix, iy] = viewer.view.toImage(x, y);
    const v = await viewer.client.call("valueAt", { state: viewer.state, x: ix, y: iy });
    $("ov-probe").textContent = !v.inside ? "" : v.rgb ? `(${v.x}, ${v.y})  RGB ${v.rgb.join(" ")}`
      : `(${v.x}, ${v.y})  ${fmt(v.value)}${v.units ? " " + v.units : ""}${v.value !== v.stored ? `  [stored ${v.stored}]` : ""}${v.padding ? "  padding (not image)" : ""}`;
  } catch { /* probing is best effort */ } finally {
    probeBusy = false;
    if (probeAt) requestAnimationFrame(probe);
  }
}
attachInput(viewer, vp, {
  getTool: () => activeTool, onPreset: applyPreset, annotations,
  onProbe: (x, y) => { probeAt = [x, y]; requestAnimationFrame(probe); },
  onTags: () => tagBrowser.open(),
});

// ------------------------------------------------------------------------------------------------ offline
// The service worker (sw.js, written by build.py) keeps this build for repeat and offline visits. It is registered
// once this visit has what it came for (the shared case loaded, or the viewer ready with nothing to fetch), so its
// installation never competes with the first image for the network.
viewer.ready.then(async (info) => {
  if (!info.build || !("serviceWorker" in navigator)) return;
  if (client.startedCase) await client.startedCase.catch(() => {});
  try {
    const reg = await navigator.serviceWorker.register("sw.js");
    // On a repeat visit register() is a no-op and the browser's own check after a navigation may be skipped or
    // cut short (measured: a deployed build went unnoticed for a minute of visits). Ask once per visit: a new
    // build then installs beside this one and serves the next visit.
    reg.update().catch(() => {});
  } catch (e) { console.warn("offline copy unavailable:", e.message || e); }
}).catch(() => {});

// ------------------------------------------------------------------------------------------------ JS API
function on(type, fn) {
  const h = (e) => fn(e.detail);
  viewer.addEventListener(type, h);
  return () => viewer.removeEventListener(type, h);
}

const cloud = installCloud(viewer, { toolbar: document.querySelector(".toolbar"), viewport: vp, onMessage: showMessage });
const tagBrowser = installTags(viewer, $("tags"));
installMeasurements(viewer, annotations, $("measurements"));

window.venos = Object.freeze({
  ...cloud, // open(link | address | spec), cancel, link, dicomweb {search, thumbnail, setToken}, net, library
  ready: viewer.ready,
  load: (sources) => viewer.load(Array.from(sources)),
  series: () => viewer.refreshSeries().then((l) => l.map((s) => ({ ...s }))),
  viewState: () => viewer.viewState(),
  setViewState: (patch) => viewer.setViewState(patch || {}),
  frame: () => viewer.frame(),
  exportPng: () => viewer.exportPng(),
  skipped: () => viewer.client.call("skipped"),
  valueAt: (x, y) => viewer.client.call("valueAt", { state: viewer.state, x, y }),
  measure: (name, points) => viewer.client.call("measure", { name, state: viewer.state, points }),
  measureLength: (p1, p2) => viewer.client.call("measureLength", { state: viewer.state, p1, p2 }),
  measureAngle: (p1, vertex, p3) => viewer.client.call("measureAngle", { state: viewer.state, p1, p2: vertex, p3 }),
  measureRegion: (shape, p1, p2) => viewer.client.call("measureRegion", { state: viewer.state, shape, p1, p2 }),
  pixelData: (series, slice) => viewer.client.call("pixelData", { series: String(series), slice }),
  stats: () => viewer.client.call("stats"),
  // the one memory budget for everything held (bytes; at least 256 MB) → how it is spent, as stats().memory
  setMemoryBudget: (bytes) => viewer.client.call("memory", { budget: bytes }),
  measurements: () => annotations.list(), // sync: every measurement made, oldest first
  measurementsCsv: () => annotations.csv(), // sync: the same as CSV text
  tags: (series, slice) => viewer.tags(series ?? viewer.state.series, slice ?? viewer.state.slice),
  // decode a file's frames in the worker without adding it (codec checks, benchmarks) ({dtype, shape, sha256, errors[, data]})
  decode: async (source, { pixels = false, frames = null, name = "" } = {}) => {
    await viewer.ready;
    const buf = source instanceof ArrayBuffer ? source.slice(0) : ArrayBuffer.isView(source)
      ? source.buffer.slice(source.byteOffset, source.byteOffset + source.byteLength)
      : source instanceof Blob ? await source.arrayBuffer() : await (await fetch(source)).arrayBuffer();
    const label = name || (source instanceof File ? source.name : typeof source === "string" ? source : "file");
    return viewer.client.call("decodeFile", { name: label, data: buf, pixels, frames }, { transfer: [buf] });
  },
  codecs: () => viewer.client.call("codecs"),
  // the time one compressed frame may take to decode: {baseMs, perMegapixelMs} (either may be left out) → both,
  // with counts of frames decoded, failed and abandoned
  setDecodeBudget: (o) => viewer.client.call("decodeBudget", o || {}),
  clear: () => viewer.clear(),
  on,
  get runtime() { return viewer.runtime; },
});
