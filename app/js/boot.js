// Main thread: start the Python worker, wire the page's controls, paint overlays, expose window.venos.
// Every string that comes from a file or a URL is inserted with textContent, never as HTML.

import { WorkerClient } from "./rpc.js";

// start.js (an async classic script) has started the worker — almost always before this module runs
const early = window.__venosEarly || await new Promise((resolve) =>
  window.addEventListener("venos-early", () => resolve(window.__venosEarly), { once: true }));
import { Viewer } from "./viewer.js";
import { attachInput } from "./input.js";
import { filesFromDataTransfer, filesFromInput, isHidden } from "./files.js";
import { Layout, LAYOUT_ORDER, primaryDom } from "./layout.js";
import { installSeriesList, SERIES_TYPE } from "./serieslist.js";
import { clearOverlay, fmt, paintCorners } from "./overlay.js";
import { installAnnouncer, installHelp, keyboardPickers } from "./a11y.js";
import { installCasework } from "./casework.js";
import { installConsole } from "./console.js";
import { TOOLS } from "./tools/index.js";
import { installTags } from "./tags.js";
import { installMeasurements } from "./measurements.js";
import { installCloud } from "./cloud/ui.js"; // links, URLs, manifests, case library, DICOMweb

const $ = (id) => document.getElementById(id);
const vp = $("viewport");
const client = new WorkerClient(early); // the worker was started by start.js, before this graph loaded
const viewer = new Viewer($("canvas"), client); // the first viewport; loading and the series list go through it
let activeTool = "window_level";
let layout = null; // the viewports (app/js/layout.js), made once the page's functions below exist
const act = () => layout.active.viewer; // the active viewport: the toolbar, keyboard and series list act on it
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
  if (d.code === "render" || d.frame !== undefined && d.frame !== null || d.code === "decode" || d.code === "not-a-volume") {
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
const seriesList = installSeriesList(viewer, $("series-list"), {
  shown: () => act().state.series,
  pick: (id) => { showMessage(""); act().setViewState({ series: id }); },
});

// ------------------------------------------------------------------------------------------------ overlay
function paintOverlay(pane, detail) {
  const active = pane === layout.active;
  if (active) markActiveSeries();
  if (!detail.meta || !detail.meta.overlay) return;
  if (!detail.cameraOnly) paneMessage(pane, "");
  paintCorners(pane, detail.meta.overlay);
  if (active) paintControls(detail.meta.overlay);
}

/** The toolbar and slice bar show the active viewport. */
function paintControls(o) {
  const v = act();
  const slider = $("slider");
  slider.max = String(o.slices);
  slider.value = String(o.slice);
  slider.disabled = o.slices < 2;
  $("slice-label").textContent = `${o.slice} / ${o.slices}`;
  $("invert").setAttribute("aria-pressed", String(v.state.invert));
  $("overlays").disabled = !o.overlayPlanes;
  $("overlays").setAttribute("aria-pressed", String(!!o.overlayPlanes && v.state.overlays !== false));
  updatePresets(o.presets || []);
  $("flip").setAttribute("aria-pressed", String(v.view.flip));
}
const markActiveSeries = () => seriesList.mark();
function paneMessage(pane, text) {
  if (pane.index === 0) return showMessage(text);
  pane.ov.message.textContent = text || "";
  pane.ov.message.hidden = !text;
}

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
  if (p && p.voiLut != null) act().setViewState({ voiLut: p.voiLut });
  else if (p) act().setViewState({ center: p.center, width: p.width, voiLut: -1 });
}
$("rotate").addEventListener("click", () => act().setViewState({ rotate: (act().view.rotate + 90) % 360 }));
$("flip").addEventListener("click", () => act().setViewState({ flip: !act().view.flip }));
$("presets").addEventListener("change", (e) => { if (e.target.value !== "") applyPreset(Number(e.target.value)); e.target.value = ""; });

// ------------------------------------------------------------------------------------------------ controls
// the left-button tools, one button each, from the tool registry (app/js/tools/index.js)
$("tools").append(...[...TOOLS.values()].filter((t) => !t.hidden).map((t) => {
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
    for (const p of layout.panes) p.annotations.cancel(); // a half-drawn angle belongs to the tool it was started with
    for (const o of document.querySelectorAll("[data-tool]")) {
      o.classList.toggle("active", o === b);
      o.setAttribute("aria-pressed", String(o === b));
    }
  });
}
$("fit").addEventListener("click", () => act().setViewState({ zoom: 0, pan: [0, 0] }));
$("reset").addEventListener("click", () => act().setViewState({ center: null, width: null, invert: false, zoom: 0, pan: [0, 0] }));
$("invert").addEventListener("click", () => act().setViewState({ invert: !act().state.invert }));
$("overlays").addEventListener("click", () => act().setViewState({ overlays: !act().state.overlays }));
$("export").addEventListener("click", async () => {
  const blob = await act().exportPng();
  if (!blob) return;
  const a = document.createElement("a");
  a.href = URL.createObjectURL(blob);
  a.download = `venos-slice-${act().state.slice + 1}.png`;
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
  const v = act(); // the viewport it started in plays on
  while (playing && v.meta && v.meta.overlay) {
    const o = v.meta.overlay;
    const period = o.frameTimeMs || 100;
    const t = performance.now();
    await v.setViewState({ slice: (v.state.slice + 1) % o.slices });
    await new Promise((r) => setTimeout(r, Math.max(0, period - (performance.now() - t))));
  }
  if (playing) play();
}
$("play").addEventListener("click", play);
viewer.addEventListener("cleared", () => { if (playing) play(); });
$("slider").addEventListener("input", (e) => act().setViewState({ slice: Number(e.target.value) - 1 }));

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
  if (!e.dataTransfer) return;
  // a series dragged from the list into a viewport (not files from outside the page)
  if ([...e.dataTransfer.types].includes(SERIES_TYPE)) {
    const target = e.target instanceof Element && e.target.closest("[data-pane]");
    const id = e.dataTransfer.getData(SERIES_TYPE);
    if (target && id) {
      const pane = layout.panes[Number(target.dataset.pane)];
      layout.activate(pane.index);
      pane.role = "";
      await pane.viewer.setViewState({ series: id });
    }
    return;
  }
  openItems(await filesFromDataTransfer(e.dataTransfer));
});

// Pixel probe: the value under the mouse, in modality units (throttled to one request per frame).
let probeAt = null, probeBusy = false;
async function probe() {
  if (probeBusy || !probeAt || !probeAt.pane.viewer.state.series) return;
  probeBusy = true;
  const { pane, x, y } = probeAt;
  const viewer = pane.viewer;
  probeAt = null;
  try {
    const [ix, iy] = viewer.view.toImage(x, y);
    const v = await viewer.client.call("valueAt", { state: viewer.state, x: ix, y: iy });
    pane.ov.probe.textContent = !v.inside ? "" : v.rgb ? `(${v.x}, ${v.y})  RGB ${v.rgb.join(" ")}`
      : `(${v.x}, ${v.y})  ${fmt(v.value)}${v.units ? " " + v.units : ""}${v.value !== v.stored ? `  [stored ${v.stored}]` : ""}${v.padding ? "  padding (not image)" : ""}`;
  } catch { /* probing is best effort */ } finally {
    probeBusy = false;
    if (probeAt) requestAnimationFrame(probe);
  }
}

// ------------------------------------------------------------------------------------------------ viewports
/** Wire one viewport of the layout: pointer and keys, its overlay, its errors. */
function setupPane(pane, lay) {
  const v = pane.viewer;
  attachInput(v, pane.el, {
    getTool: () => activeTool, onPreset: applyPreset, annotations: pane.annotations,
    onProbe: (x, y) => { probeAt = { pane, x, y }; requestAnimationFrame(probe); },
    onTags: () => tagBrowser.open(),
    onCrosshair: (x, y) => lay.crosshair(pane, x, y),
    onRotate: (deg) => lay.rotate(deg).catch((e) => paneMessage(pane, e.message)),
  });
  pane.el.addEventListener("keydown", (e) => {
    if (e.altKey || e.ctrlKey || e.metaKey) return;
    if (e.key === " ") play();
    else if (e.key === "l" || e.key === "L") nextLayout(e.shiftKey ? -1 : 1);
    else if (e.key === "m" || e.key === "M") openMpr();
    else if (e.key === "s" || e.key === "S") nextSeries(pane, e.shiftKey ? -1 : 1);
    else if (e.key === "`") pyConsole.open();
    else return;
    e.preventDefault();
  });
  const paint = (e) => paintOverlay(pane, e.detail);
  v.addEventListener("rendered", paint);
  v.addEventListener("pending", paint); // a remote slice still loading: overlay and slider follow
  v.addEventListener("cleared", () => clearOverlay(pane));
  if (pane.index > 0) {
    v.addEventListener("error", (e) => paneMessage(pane, `${e.detail.source ? e.detail.source + "\n" : ""}${e.detail.message}`));
    pane.el.addEventListener("dragover", (e) => e.preventDefault());
  }
}
layout = new Layout($("viewports"), { dom: primaryDom($), viewer }, { setup: setupPane });
vp.addEventListener("dragover", (e) => e.preventDefault());
layout.addEventListener("change", (e) => {
  const d = e.detail;
  $("layout").value = d.layout;
  for (const k of ["scroll", "window", "zoom"]) $(`sync-${k}`).checked = d.sync[k];
  $("sync-lines").value = d.referenceLines;
  const v = act();
  markActiveSeries();
  if (v.meta && v.meta.overlay) paintControls(v.meta.overlay);
});
layout.addEventListener("note", (e) => { const p = e.detail; if (p.viewer.meta) paintOverlay(p, { meta: p.viewer.meta, cameraOnly: true }); });
layout.addEventListener("error", (e) => showMessage(e.detail.message || String(e.detail)));
const annotations = layout.panes[0].annotations; // the measurements of every viewport (one shared list)

/** The next (or previous) series of the list into a viewport: the keyboard's way to fill one. */
function nextSeries(pane, step) {
  const list = viewer.seriesList;
  if (!list.length) return;
  const i = list.findIndex((s) => s.id === pane.viewer.state.series);
  pane.role = "";
  pane.viewer.setViewState({ series: list[(i + step + list.length) % list.length].id });
}
function nextLayout(step) {
  const i = LAYOUT_ORDER.indexOf(layout.name);
  layout.setLayout(LAYOUT_ORDER[(i + step + LAYOUT_ORDER.length) % LAYOUT_ORDER.length]);
}
async function openMpr() {
  try {
    await layout.mpr();
    if (activeTool !== "crosshair") document.querySelector('[data-tool="crosshair"]').click();
  } catch (e) { paneMessage(layout.active, e.message || String(e)); }
}
$("layout").addEventListener("change", (e) => layout.setLayout(e.target.value));
$("mpr").addEventListener("click", openMpr);
for (const k of ["scroll", "window", "zoom"]) $(`sync-${k}`).addEventListener("change", (e) => layout.setSync({ [k]: e.target.checked }));
$("sync-lines").addEventListener("change", (e) => layout.setReferenceLines(e.target.value));

// ------------------------------------------------------------------------------------------------ offline
// The service worker (sw.js, written by build.py) keeps this build for repeat and offline visits. It is registered
// once this visit has what it came for (the shared case loaded, or the viewer ready with nothing to fetch), so its
// installation never competes with the first image for the network.
viewer.ready.then(async (info) => {
  const skip = (reason) => { info.rehearsal = { state: "skipped", reason, ms: 0 }; };
  if (!info.build || !("serviceWorker" in navigator)) return skip("no service worker");
  info.rehearsal = { state: "waiting", reason: "", ms: 0 };
  if (client.startedCase) await client.startedCase.catch(() => {});
  try {
    const reg = await navigator.serviceWorker.register("sw.js");
    // On a repeat visit register() is a no-op and the browser's own check after a navigation may be skipped or
    // cut short (measured: a deployed build went unnoticed for a minute of visits). Ask once per visit: a new
    // build then installs beside this one and serves the next visit.
    reg.update().catch(() => {});
  } catch (e) {
    console.warn("offline copy unavailable:", e.message || e);
    return skip(`no offline copy: ${e.message || e}`);
  }
  // the first visit rehearses the second once it is idle (./rehearsal.js; loaded only now, off the start's path)
  const { rehearse, rehearsal } = await import("./rehearsal.js");
  info.rehearsal = rehearsal;
  await rehearse(early, (quietMs) => viewer.loadingFiles > 0 || performance.now() - client.lastCall < quietMs);
}).catch(() => {});

// ------------------------------------------------------------------------------------------------ JS API
const VIEWPORT_EVENTS = new Set(["rendered", "pending"]); // from every viewport, with its index (layout.js)
function on(type, fn) {
  const h = (e) => fn(e.detail);
  const source = VIEWPORT_EVENTS.has(type) ? layout : viewer;
  source.addEventListener(type, h);
  return () => source.removeEventListener(type, h);
}

const casework = installCasework({ client, viewer, annotations, layout, active: act, shareButton: $("share") });
const cloud = installCloud(viewer, { toolbar: document.querySelector(".toolbar"), viewport: vp, layout, onMessage: showMessage,
  measurements: casework.linkMeasurements });
installAnnouncer(layout, viewer, $("announce"));
const pyConsole = installConsole({ client, state: () => act().state, button: $("console"),
  added: async (ids) => { await viewer.refreshSeries(); await act().setViewState({ series: ids[ids.length - 1] }); } });
installHelp($("help"));
keyboardPickers(document.querySelectorAll(".toolbar label.btn"));
// a reformatted image comes from every file of its series: the tag browser lists the middle one's
const tagState = () => {
  const st = act().state;
  if (!st.plane) return st;
  const s = viewer.seriesList.find((x) => x.id === st.series);
  return { ...st, slice: s ? Math.floor(s.slices / 2) : 0 };
};
const tagBrowser = installTags({ get state() { return tagState(); }, tags: (s, i) => viewer.tags(s, i),
  addEventListener: (t, f) => { for (const p of layout.panes) p.viewer.addEventListener(t, f); } }, $("tags"));
installMeasurements({ setViewState: (p) => act().setViewState(p), addEventListener: (t, f) => viewer.addEventListener(t, f) },
  annotations, $("measurements"), { reports: casework.reports });

// ------------------------------------------------------------------------------------------------ sample case
// A real CT that build.py ships beside the viewer (runtime.sample), for a first look without data of one's own.
const sample = early && early.runtime && early.runtime.sample;
if (sample) {
  $("sample-credit").textContent = sample.credit;
  $("sample-box").hidden = false;
  $("open-sample").addEventListener("click", () => {
    cloud.open({ manifest: new URL(sample.manifest, location.href).href }).catch(() => {});
  });
}

window.venos = Object.freeze({
  ...cloud, // open(link | address | spec), cancel, link, dicomweb {search, thumbnail, setToken}, net, library
  ...casework.api, // saveReport, reports, presentations, exportCase, stowCase, shareSurvey, share (./casework.js)
  ready: viewer.ready,
  load: (sources) => viewer.load(Array.from(sources)),
  series: () => viewer.refreshSeries().then((l) => l.map((s) => ({ ...s }))),
  // a viewport's view state (the active one's when `viewport` is left out; 0-based index in the layout)
  viewState: (viewport) => layout.pane(viewport).viewer.viewState(),
  setViewState: (patch, viewport) => layout.pane(viewport).viewer.setViewState(patch || {}),
  frame: (viewport) => layout.pane(viewport).viewer.frame(),
  exportPng: () => act().exportPng(),
  skipped: () => viewer.client.call("skipped"),
  valueAt: (x, y) => viewer.client.call("valueAt", { state: act().state, x, y }),
  measure: (name, points) => viewer.client.call("measure", { name, state: act().state, points }),
  measureLength: (p1, p2) => viewer.client.call("measureLength", { state: act().state, p1, p2 }),
  measureAngle: (p1, vertex, p3) => viewer.client.call("measureAngle", { state: act().state, p1, p2: vertex, p3 }),
  measureRegion: (shape, p1, p2) => viewer.client.call("measureRegion", { state: act().state, shape, p1, p2 }),
  // layouts, synchronisation, reference lines and MPR (app/js/layout.js)
  layout: () => layout.describe(),
  setLayout: (name) => layout.setLayout(String(name)).then(() => layout.describe()),
  setActiveViewport: (i) => { layout.activate(layout.pane(i).index); return layout.describe(); },
  setSync: (patch) => layout.setSync(patch || {}),
  setReferenceLines: (mode) => layout.setReferenceLines(mode),
  referenceLines: (viewport) => [...layout.pane(viewport).refs.querySelectorAll("line")].map((l) => ({
    from: Number(l.dataset.from), x1: +l.getAttribute("x1"), y1: +l.getAttribute("y1"), x2: +l.getAttribute("x2"), y2: +l.getAttribute("y2") })),
  mpr: (series) => layout.mpr(series),
  rotateCrosshair: (degrees) => layout.rotate(degrees),
  volumeInfo: (series) => viewer.client.call("volumeInfo", { series: String(series ?? act().state.series) }),
  pointAt: (x, y, viewport) => viewer.client.call("pointAt", { state: layout.pane(viewport).viewer.state, x, y }),
  sliceAt: (point, viewport) => viewer.client.call("sliceAt", { state: layout.pane(viewport).viewer.state, point }),
  pixelData: (series, slice) => viewer.client.call("pixelData", { series: String(series), slice }),
  stats: () => viewer.client.call("stats"),
  // the one memory budget for everything held (bytes; at least 256 MB) → how it is spent, as stats().memory
  setMemoryBudget: (bytes) => viewer.client.call("memory", { budget: bytes }),
  // parsing helpers for local loads (n: how many from now on; none given: their state), as stats().parsers
  setParsers: (n) => viewer.client.call("parsers", n === undefined ? {} : { helpers: Number(n) }),
  measurements: () => annotations.list(), // sync: every measurement made, oldest first
  measurementsCsv: () => annotations.csv(), // sync: the same as CSV text
  tags: (series, slice) => viewer.tags(series ?? act().state.series, slice ?? tagState().slice),
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
  // the Python console: run(code, {timeoutMs}) → {ok, output, error, ms, added} against the active viewport
  console: Object.freeze({ run: (code, opts) => pyConsole.run(code, opts || {}), open: () => pyConsole.open() }),
  // the time one compressed frame may take to decode: {baseMs, perMegapixelMs} (either may be left out) → both,
  // with counts of frames decoded, failed and abandoned
  setDecodeBudget: (o) => viewer.client.call("decodeBudget", o || {}),
  clear: () => viewer.clear(),
  on,
  get runtime() { return viewer.runtime; },
});
