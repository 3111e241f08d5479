// The viewer controller: owns the view state on the page side, asks the Python worker for frames, and keeps
// at most one request per viewport in flight (later gestures are merged into the next request), so a drag never
// queues up stale work.

import { WorkerClient } from "./rpc.js";
import { ViewportCanvas } from "./canvas.js";

const EMPTY_STATE = { series: "", slice: 0, center: null, width: null, invert: false, voiFunction: "", voiLut: -1, overlays: true,
  plane: "", slab: 0, slabMode: "mip", angle: 0, zoom: 0, pan: [0, 0] };
// changes that need Python (plane: "" = as acquired, or axial/coronal/sagittal/oblique reformatted from the volume)
const PY_KEYS = ["slice", "center", "width", "invert", "voiFunction", "voiLut", "overlays", "plane", "slab", "slabMode", "angle"];

export class Viewer extends EventTarget {
  /** `worker`: a running WorkerClient, or the URL of worker.js to start one. A `secondary` viewer (another viewport
   * of the layout, sharing the worker) leaves the loading events and the series list to the first. */
  constructor(canvas, worker, { secondary = false, key = "main" } = {}) {
    super();
    this.key = key; // the worker answers an older render of the same viewport as superseded
    this.client = worker instanceof WorkerClient ? worker : new WorkerClient(worker);
    this.view = new ViewportCanvas(canvas);
    this.state = { ...EMPTY_STATE };
    this.anchor = null; // instance+frame shown, so a re-sort during loading keeps the same image
    this.meta = null; // last render's metadata (overlay fields, presets)
    this.seriesList = [];
    this.loadingFiles = 0; // local loads in flight (the series list keeps its thumbnails meanwhile)
    this._countShownAt = 0; // when a render last followed the slice count during a load
    this._inflight = false;
    this._wantRender = false;
    this._pendingTool = null; // {name, event} merged while a request is in flight
    this._renderWaiters = [];
    this.ready = new Promise((resolve, reject) => {
      this.client.on("ready", (info) => { this.runtime = info; resolve(info); this._fire("ready", info); });
      this.client.on("fatal", (e) => { this._fire("fatal", e); reject(Object.assign(new Error(e.message), e)); });
    });
    this.secondary = secondary;
    this._seriesTimer = 0;
    if (secondary) {
      this.client.on("added", (d) => { if (this.meta && this.meta.pending && d.series === this.state.series) this.requestRender(); });
      return;
    }
    this.client.on("stage", (d) => this._fire("stage", d));
    this.client.on("caseinfo", (d) => this._fire("caseinfo", d));
    this.client.on("progress", (d) => this._fire("progress", d));
    this.client.on("skipped", (d) => {
      this._fire("error", d);
      // a compressed file listed before its first frame was decoded may have been removed again
      if (this.seriesList.length && !this._seriesTimer) {
        this._seriesTimer = setTimeout(() => { this._seriesTimer = 0; this.refreshSeries(); }, 150);
      }
    });
    this.client.on("warning", (d) => this._fire("warning", d));
    this.client.on("added", (d) => this._onAdded(d));
  }

  _fire(type, detail) { this.dispatchEvent(new CustomEvent(type, { detail })); }

  // ---------------------------------------------------------------------------------------------- loading
  /** Load File objects, {file, path} items and URL strings. Resolves with a summary when all are parsed. */
  async load(sources) {
    await this.ready;
    const items = [];
    for (const s of sources) {
      if (typeof s === "string") items.push({ url: s, name: s });
      else if (s instanceof URL) items.push({ url: s.href, name: s.href });
      else if (s instanceof File) items.push({ file: s, path: s.webkitRelativePath || s.name });
      else if (s && s.file) items.push({ file: s.file, path: s.path || s.file.name });
      else if (s && s.url) items.push({ url: s.url, name: s.name || s.url });
    }
    // Zip archives are unpacked by the worker, member by member (a damaged one is reported, the rest load). The
    // worker answers once the load has settled (plain images and first frames decoded), with the series list: no
    // further round trips, which queued behind the worker's idle decoding.
    this._fire("loadstart", { total: items.length });
    this.loadingFiles++;
    this._countShownAt = performance.now(); // the load's first image shows its count: the next update 0.5 s later
    const stopHeads = this.client.sendHeads(items, (this.runtime && this.runtime.headBytes) || 0);
    let summary, series;
    try {
      ({ series, ...summary } = await this.client.call("load", { items, settle: true }));
    } finally {
      stopHeads();
      this.loadingFiles--;
    }
    this._setSeries(series);
    this._fire("loadend", summary);
    return summary;
  }

  _onAdded(d) {
    if (!this.state.series) {
      this.state = { ...EMPTY_STATE, series: d.series };
      this.requestRender();
    } else if (this.meta && this.meta.pending && d.series === this.state.series) {
      this.requestRender(); // the slice shown as loading may be the one that arrived
    }
    if (!this._seriesTimer) {
      this._seriesTimer = setTimeout(() => { this._seriesTimer = 0; this.refreshSeries(); }, 150);
    }
  }

  /** Every DICOM element of the file a slice comes from ({source, frame, frames, rows, truncated, note}). */
  tags(series = this.state.series, slice = this.state.slice) {
    return this.client.call("tags", { series: String(series), slice: Number(slice) || 0 });
  }

  async refreshSeries() {
    return this._setSeries(await this.client.call("series"));
  }

  _setSeries(list) {
    this.seriesList = list;
    this._fire("series", list);
    const cur = list.find((s) => s.id === this.state.series);
    if (cur && this.meta && this.meta.overlay && this.meta.overlay.slices !== cur.slices) {
      // while files load, the overlay's slice count follows at most twice a second: each update is a render
      // between the files (measured ~10 % of a 140-file load at every 150 ms); the load's end brings the last one
      const now = performance.now();
      if (!this.loadingFiles || now - this._countShownAt > 500) {
        this._countShownAt = now;
        this.requestRender();
      }
    }
    return list;
  }

  async clear() {
    await this.client.call("clear");
    this.reset();
  }

  /** Forget what this viewport shows (the worker's side is cleared by clear()). */
  reset() {
    this.state = { ...EMPTY_STATE };
    this.anchor = null;
    this.meta = null;
    this.seriesList = [];
    this.view.clear();
    this._fire("series", []);
    this._fire("cleared", {});
  }

  // ---------------------------------------------------------------------------------------------- view state
  viewState() {
    return { ...this.state, zoom: this.view.zoom, pan: [...this.view.pan], rotate: this.view.rotate, flip: this.view.flip };
  }

  /** Change any of {series, slice, center, width, invert, voiFunction, voiLut, overlays, zoom, pan, rotate, flip};
   * resolves when drawn. */
  setViewState(patch) {
    const next = { ...this.state };
    if (patch.series !== undefined && String(patch.series) !== this.state.series) {
      Object.assign(next, EMPTY_STATE, { series: String(patch.series) });
      this.view.zoom = 0;
      this.view.pan = [0, 0];
      this.view.rotate = 0;
      this.view.flip = false;
      this.anchor = null;
    }
    for (const k of PY_KEYS) {
      if (patch[k] !== undefined) next[k] = patch[k];
    }
    // a window given without a VOI LUT choice means "use this window", not the VOI LUT shown before
    if ((patch.center !== undefined || patch.width !== undefined) && patch.voiLut === undefined) next.voiLut = -1;
    if (patch.slice !== undefined) this.anchor = null;
    if (patch.zoom !== undefined) this.view.zoom = Math.max(0, Number(patch.zoom) || 0);
    if (patch.pan !== undefined) this.view.pan = [Number(patch.pan[0]) || 0, Number(patch.pan[1]) || 0];
    if (patch.rotate !== undefined) this.view.rotate = ((Math.round((Number(patch.rotate) || 0) / 90) * 90) % 360 + 360) % 360;
    if (patch.flip !== undefined) this.view.flip = !!patch.flip;
    const needsPython = ["series", ...PY_KEYS].some((k) => next[k] !== this.state[k]);
    this.state = next;
    if (needsPython || !this.meta) return this.requestRender();
    return this._redraw();
  }

  /** Apply a Python interaction tool (window_level, scroll); deltas merge while a request is in flight. */
  applyTool(name, event) {
    if (!this.state.series) return Promise.resolve();
    if (this._pendingTool && this._pendingTool.name === name) {
      const e = this._pendingTool.event;
      if (event.to !== undefined) { delete e.delta; e.to = event.to; } // a jump replaces the steps before it
      for (const k of ["dx", "dy", "delta"]) {
        if (event[k] === undefined) continue;
        if (k === "delta" && e.to !== undefined) e.to += event[k]; // steps after a jump move from its target
        else e[k] = (e[k] || 0) + event[k];
      }
    } else {
      if (this._pendingTool) this._wantRender = true;
      this._pendingTool = { name, event: { ...event } };
    }
    if (name === "scroll") this.anchor = null;
    return this._pump();
  }

  camera({ zoom, pan }) {
    if (zoom !== undefined) this.view.zoom = zoom;
    if (pan !== undefined) this.view.pan = pan;
    return this._redraw();
  }

  async _redraw() {
    await this.view.requestDraw();
    this._fire("rendered", { state: this.viewState(), meta: this.meta, cameraOnly: true });
  }

  requestRender() {
    this._wantRender = true;
    return this._pump();
  }

  _pump() {
    const p = new Promise((resolve) => this._renderWaiters.push(resolve));
    if (!this._inflight) this._next();
    return p;
  }

  async _next() {
    if (!this.state.series || (!this._wantRender && !this._pendingTool)) {
      const w = this._renderWaiters; this._renderWaiters = [];
      w.forEach((f) => f());
      return;
    }
    this._inflight = true;
    const waiters = this._renderWaiters; this._renderWaiters = [];
    try {
      if (this._pendingTool) {
        const { name, event } = this._pendingTool;
        this._pendingTool = null;
        this.state = await this.client.call("tool", { name, state: this._pyState(), event });
        // The tool scrolled from the image on screen (the anchor); the render must now show the slice it chose,
        // not that image again. (A render that finished while the tool was queued may have set the anchor anew.)
        if (name === "scroll") this.anchor = null;
      }
      this._wantRender = false;
      const t0 = performance.now();
      const sent = this._pyState();
      const res = await this.client.call("render", { state: sent }, { key: this.key });
      if (!res.superseded) await this._show(res, t0, sent);
    } catch (e) {
      this._fire("error", { code: e.code || "render", message: e.message, source: e.source || "" });
    } finally {
      this._inflight = false;
      waiters.forEach((f) => f());
      if (this._wantRender || this._pendingTool) this._next();
    }
  }

  _pyState() {
    const s = { ...this.state };
    if (this.anchor) s.anchor = this.anchor;
    return s;
  }

  async _show(res, t0, sent) {
    const { meta, rgba } = res;
    this.meta = meta;
    if (meta.error) {
      this._fire("error", meta.error);
      this.view.clear();
    } else {
      // Adopt what Python resolved (default window, slice index after a re-sort) unless the user changed
      // that part of the state while this frame was being made.
      const s = { ...this.state };
      if (s.series === sent.series && s.slice === sent.slice) {
        s.slice = meta.state.slice;
        this.anchor = meta.anchor || null;
      }
      if (s.series === sent.series && s.center === sent.center && s.width === sent.width) {
        s.center = meta.state.center;
        s.width = meta.state.width;
        if (s.voiLut === sent.voiLut && meta.state.voiLut !== undefined) s.voiLut = meta.state.voiLut;
      }
      this.state = s;
      // A remote slice known from metadata but not yet arrived: nothing stale is shown in its place.
      if (meta.pending) this.view.clear();
      else this.view.setFrame(rgba, meta.width, meta.height, meta.aspect || 1);
    }
    await this.view.requestDraw();
    this._fire(meta.pending ? "pending" : "rendered", { state: this.viewState(), meta, ms: performance.now() - t0, computeMs: meta.computeMs });
  }

  // ---------------------------------------------------------------------------------------------- output
  /** The current rendered frame at native resolution: {width, height, data: Uint8ClampedArray RGBA}. */
  frame() {
    if (!this.view.rgba) return null;
    return { width: this.view.width, height: this.view.height, data: new Uint8ClampedArray(this.view.rgba) };
  }

  async exportPng() {
    if (!this.view.rgba) return null;
    return await new Promise((resolve) => this.view.image.toBlob(resolve, "image/png"));
  }
}
