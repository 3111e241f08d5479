// Layouts of viewports (1×1, 1×2, 2×1, 2×2, 1×3): each viewport a Viewer of its own on the one Python worker, with
// its own view state, overlays and measurements layer; one active viewport takes the toolbar, the keyboard and the
// series list. Between viewports: synchronised scrolling by patient position (same Frame of Reference, parallel
// planes), window and zoom/pan; reference lines where one viewport's plane cuts another's; the MPR arrangement
// (axial, coronal and sagittal of one volume) with a crosshair that moves the other planes and rotates them.
//
// Geometry comes from Python with every render (meta.geometry: origin of pixel (0,0), row and column directions,
// spacing, in patient mm); the page only intersects planes to draw lines. Which slice is nearest to a point and
// where a pixel lies in space are Python's answers (sliceAt, pointAt), never guessed here.

import { Viewer } from "./viewer.js";
import { Annotations } from "./annotations.js";

/** Layout name → [rows, columns]. */
export const LAYOUTS = { "1x1": [1, 1], "1x2": [1, 2], "2x1": [2, 1], "2x2": [2, 2], "1x3": [1, 3] };
export const LAYOUT_ORDER = Object.keys(LAYOUTS);
const SVG = "http://www.w3.org/2000/svg";
export const PANE_COLOURS = ["#4fc3f7", "#ff8a65", "#81c784", "#ce93d8"]; // a viewport's reference lines and frame
const OV = ["tl", "tr", "lossy", "bl", "probe", "br", "left", "right", "top", "bottom"];

/** The DOM of one viewport after the first (which is index.html's #viewport): the same parts, found by class. */
export function paneDom(index) {
  const make = (tag, cls, parent) => { const e = document.createElement(tag); if (cls) e.className = cls; parent.append(e); return e; };
  const el = document.createElement("section");
  el.className = "pane";
  el.tabIndex = 0;
  el.setAttribute("aria-label", `Image viewport ${index + 1}`);
  const canvas = make("canvas", "", el);
  const svg = document.createElementNS(SVG, "svg");
  svg.setAttribute("class", "annotations");
  svg.setAttribute("aria-hidden", "true");
  const refs = document.createElementNS(SVG, "svg");
  refs.setAttribute("class", "reflines");
  refs.setAttribute("aria-hidden", "true");
  el.append(refs, svg);
  const ov = {};
  ov.tl = make("div", "corner tl", el);
  const tr = make("div", "corner tr", el);
  ov.tr = make("div", "", tr);
  ov.lossy = make("div", "lossy", tr);
  const bl = make("div", "corner bl", el);
  ov.bl = make("div", "", bl);
  ov.probe = make("div", "probe", bl);
  ov.br = make("div", "corner br", el);
  for (const side of ["left", "right", "top", "bottom"]) ov[side] = make("div", `edge ${side}`, el);
  ov.message = make("div", "message", el);
  ov.message.hidden = true;
  return { el, canvas, svg, refs, ov };
}

/** The first viewport's DOM, from index.html's ids. */
export function primaryDom($) {
  const ov = {};
  for (const k of OV) ov[k] = $(`ov-${k}`);
  ov.message = $("message");
  return { el: $("viewport"), canvas: $("canvas"), svg: $("annotations"), refs: $("reflines"), ov };
}

export class Pane {
  constructor(index, dom, viewer, annotations) {
    Object.assign(this, dom);
    this.index = index;
    this.viewer = viewer;
    this.annotations = annotations;
    this.role = ""; // in the MPR arrangement: "axial" | "coronal" | "sagittal" (what the crosshair rotates)
    this.note = ""; // why a synchronised scroll left this viewport where it was
  }

  get geometry() { return this.viewer.meta && !this.viewer.meta.error && this.viewer.meta.geometry || null; }
}

export class Layout extends EventTarget {
  /**
   * `grid`: the element holding the viewports; `primary`: the first viewport's {dom, viewer}; `setup(pane)`: wires a
   * new viewport (input, overlays) — called for every viewport, the first included.
   */
  constructor(grid, primary, { setup }) {
    super();
    this.grid = grid;
    this.client = primary.viewer.client;
    this.store = { items: [] };
    this.events = primary.viewer;
    this.setup = setup;
    this.name = "1x1";
    this.activeIndex = 0;
    this.sync = { scroll: false, window: false, zoom: false };
    this.referenceLines = "active"; // "off" | "active" (the active viewport's plane on the others) | "all"
    this.panes = [];
    this._add(primary.dom, primary.viewer);
    this.angle = 0; // the crosshair's rotation in the MPR arrangement (degrees)
    this._cross = null; // the latest crosshair request while one is being answered
    this._crossBusy = false;
    this.events.addEventListener("measurements", () => { for (const p of this.panes) if (p !== this.active) p.annotations.draw(); });
    this.events.addEventListener("cleared", () => {
      for (const p of this.panes.slice(1)) p.viewer.reset();
      for (const p of this.panes) { p.role = ""; p.note = ""; }
      this.angle = 0;
    });
  }

  get active() { return this.panes[this.activeIndex]; }
  get count() { const [r, c] = LAYOUTS[this.name]; return r * c; }
  get visible() { return this.panes.slice(0, this.count); }

  _add(dom, viewer) {
    const index = this.panes.length;
    const annotations = new Annotations(dom.svg, viewer, { store: this.store, events: this.events });
    const pane = new Pane(index, dom, viewer, annotations);
    this.panes.push(pane);
    dom.el.dataset.pane = String(index);
    dom.el.style.setProperty("--pane-colour", PANE_COLOURS[index]);
    dom.el.addEventListener("focus", () => this.activate(index));
    dom.el.addEventListener("pointerdown", () => this.activate(index), { capture: true });
    viewer.addEventListener("rendered", (e) => this._rendered(pane, e.detail));
    viewer.addEventListener("pending", (e) => {
      this.dispatchEvent(new CustomEvent("pending", { detail: { ...e.detail, viewport: index } }));
      this.drawReferenceLines();
    });
    viewer.view.onDraw = () => { annotations.draw(); this._drawRefs(pane); }; // both follow the camera
    this.setup(pane, this);
    return pane;
  }

  _ensure(n) {
    while (this.panes.length < n) {
      const index = this.panes.length;
      const dom = paneDom(index);
      this.grid.append(dom.el);
      this._add(dom, new Viewer(dom.canvas, this.client, { secondary: true, key: `pane${index}` }));
    }
  }

  /** Show `name` (one of LAYOUTS). Viewports beyond it are hidden, keeping their state for when they come back;
   * empty viewports that appear take the next series not shown yet. */
  async setLayout(name, { fill = true } = {}) {
    if (!LAYOUTS[name]) throw { code: "bad-call", message: `unknown layout ${JSON.stringify(name)}: use one of ${LAYOUT_ORDER.join(", ")}` };
    this._ensure(LAYOUTS[name][0] * LAYOUTS[name][1]);
    this.name = name;
    for (const n of LAYOUT_ORDER) this.grid.classList.toggle(`layout-${n}`, n === name);
    this.grid.classList.toggle("multi", this.count > 1);
    this.panes.forEach((p, i) => { p.el.hidden = i >= this.count; });
    if (this.activeIndex >= this.count) this.activate(0);
    this._changed();
    if (fill) await this._fill();
    this._changed();
    this.drawReferenceLines();
  }

  async _fill() {
    const list = this.panes[0].viewer.seriesList;
    const shown = new Set(this.visible.map((p) => p.viewer.state.series).filter(Boolean));
    const next = list.filter((s) => !shown.has(s.id));
    const waits = [];
    for (const p of this.visible) {
      if (p.viewer.state.series || !next.length) continue;
      waits.push(p.viewer.setViewState({ series: next.shift().id }));
    }
    await Promise.all(waits);
  }

  activate(index) {
    if (index === this.activeIndex || index >= this.count) return;
    this.activeIndex = index;
    this.panes.forEach((p, i) => p.el.classList.toggle("active", i === index));
    this._changed();
    this.drawReferenceLines();
  }

  _changed() {
    this.panes.forEach((p, i) => p.el.classList.toggle("active", i === this.activeIndex));
    this.dispatchEvent(new CustomEvent("change", { detail: this.describe() }));
  }

  /** The layout as plain data: {layout, active, viewports: [view states], sync, referenceLines}. */
  describe() {
    return { layout: this.name, active: this.activeIndex, viewports: this.visible.map((p) => p.viewer.viewState()),
      sync: { ...this.sync }, referenceLines: this.referenceLines, angle: this.angle };
  }

  pane(index) {
    const i = index == null ? this.activeIndex : Number(index);
    if (!Number.isInteger(i) || i < 0 || i >= this.count) {
      throw { code: "bad-call", message: `no viewport ${index}: the layout ${this.name} has ${this.count}` };
    }
    return this.panes[i];
  }

  setSync(patch) {
    for (const k of Object.keys(this.sync)) if (patch[k] !== undefined) this.sync[k] = !!patch[k];
    this._changed();
    if (this.sync.scroll || this.sync.window || this.sync.zoom) this._follow(this.active, { camera: true });
    return { ...this.sync };
  }

  setReferenceLines(mode) {
    const m = mode === true ? "active" : mode === false ? "off" : String(mode);
    if (!["off", "active", "all"].includes(m)) throw { code: "bad-call", message: `reference lines: use off, active or all, not ${JSON.stringify(mode)}` };
    this.referenceLines = m;
    this._changed();
    this.drawReferenceLines();
    return m;
  }

  // ---------------------------------------------------------------------------------------------- synchronisation
  _rendered(pane, detail) {
    // every viewport's renders, as one stream for the JS API (venos.on("rendered")), saying which viewport
    this.dispatchEvent(new CustomEvent("rendered", { detail: { ...detail, viewport: pane.index } }));
    this.drawReferenceLines();
    if (pane === this.active) this._follow(pane, detail);
    if (pane === this.active) this._changed();
  }

  /** The other viewports follow the active one, as the sync toggles say. */
  async _follow(src, detail) {
    // one follow at a time; what the active viewport did meanwhile is merged into the next, so its last state
    // always reaches the others (a fast scroll skips intermediate slices, never the last)
    if (this._following) {
      const was = this._again && this._again.src === src ? this._again.detail : null;
      const camera = !!(detail.camera || detail.cameraOnly || (was && (was.camera || was.cameraOnly)));
      this._again = { src, detail: { camera, cameraOnly: !!detail.cameraOnly && (!was || !!was.cameraOnly) } };
      return;
    }
    const g = src.geometry;
    const st = src.viewer.state;
    const others = this.visible.filter((p) => p !== src && p.viewer.state.series);
    if (!others.length) return;
    this._following = true;
    try {
      const jobs = [];
      for (const p of others) {
        if (this.sync.zoom && (detail.camera || detail.cameraOnly)) {
          jobs.push(p.viewer.setViewState({ zoom: src.viewer.view.zoom, pan: [...src.viewer.view.pan] }));
        }
        if (detail.cameraOnly) continue;
        if (this.sync.window && st.center != null && st.width != null
            && (p.viewer.state.center !== st.center || p.viewer.state.width !== st.width)) {
          jobs.push(p.viewer.setViewState({ center: st.center, width: st.width }));
        }
        if (this.sync.scroll && g) jobs.push(this._scrollTo(src, p, centre(g)));
      }
      await Promise.all(jobs);
    } finally {
      this._following = false;
      const again = this._again;
      this._again = null;
      if (again && again.src === this.active) this._follow(again.src, again.detail);
    }
  }

  /** Scroll `p` to the slice nearest to `point` when its plane is parallel to `src`'s and in the same frame. */
  async _scrollTo(src, p, point) {
    const g = src.geometry, h = p.geometry;
    if (!h || !sameFrame(src, p) || Math.abs(dot(g.normal, h.normal)) < 0.99) return;
    const r = await this.client.call("sliceAt", { state: p.viewer.state, point });
    if (!r.ok) return;
    p.note = r.within ? "" : `No slice within half a slice spacing (nearest ${r.distance.toFixed(1)} mm away)`;
    if (r.within && r.slice !== p.viewer.state.slice) await p.viewer.setViewState({ slice: r.slice });
    else this.dispatchEvent(new CustomEvent("note", { detail: p }));
  }

  // ---------------------------------------------------------------------------------------------- MPR
  /** Axial, coronal and sagittal of one series side by side (1×3), each in the middle of the volume, with
   * reference lines: the crosshair tool then moves and rotates the planes. Refused (code not-a-volume) with the
   * reason when the series is not a volume. */
  async mpr(seriesId) {
    const series = String(seriesId || this.active.viewer.state.series || "");
    if (!series) throw { code: "bad-call", message: "MPR: no series is shown" };
    const info = await this.client.call("volumeInfo", { series });
    if (!info.ok) throw { code: "not-a-volume", message: `This series cannot be reformatted: ${info.reason}` };
    await this.setLayout("1x3", { fill: false });
    this.angle = 0;
    const roles = ["axial", "coronal", "sagittal"];
    await Promise.all(roles.map(async (plane, i) => {
      const p = this.panes[i];
      p.role = plane;
      p.note = "";
      await p.viewer.setViewState({ series, plane, slab: 0, angle: 0, slice: 0, zoom: 0, pan: [0, 0], rotate: 0, flip: false });
      const n = p.viewer.meta && p.viewer.meta.overlay ? p.viewer.meta.overlay.slices : 1;
      await p.viewer.setViewState({ slice: Math.floor(n / 2) });
    }));
    this.referenceLines = "all";
    this.activate(0);
    this._changed();
    this.drawReferenceLines();
    return info;
  }

  /** The crosshair at image point (x, y) of `pane`: every other viewport of the same frame whose plane crosses it
   * scrolls to the slice through that point. Drags merge: one request at a time, the latest point wins. */
  crosshair(pane, x, y) {
    this._cross = { pane, x, y };
    if (!this._crossBusy) this._crossNext();
  }

  async _crossNext() {
    const job = this._cross;
    this._cross = null;
    if (!job) return;
    this._crossBusy = true;
    try {
      const g = job.pane.geometry;
      if (!g) return;
      const { point } = await this.client.call("pointAt", { state: job.pane.viewer.state, x: job.x, y: job.y });
      if (!point) return;
      await Promise.all(this.visible.filter((p) => p !== job.pane && sameFrame(job.pane, p)
        && Math.abs(dot(g.normal, p.geometry.normal)) < 0.99).map(async (p) => {
        const r = await this.client.call("sliceAt", { state: p.viewer.state, point });
        if (r.ok && r.slice !== p.viewer.state.slice) await p.viewer.setViewState({ slice: r.slice });
      }));
    } catch (e) {
      this.dispatchEvent(new CustomEvent("error", { detail: e }));
    } finally {
      this._crossBusy = false;
      if (this._cross) this._crossNext();
    }
  }

  /** Rotate the crosshair of the MPR arrangement by `degrees` about the axial plane's normal: the coronal and
   * sagittal viewports become oblique planes at `angle` and `angle + 90` (back to coronal and sagittal at 0). */
  async rotate(degrees) {
    const cor = this.panes.find((p) => p.role === "coronal");
    const sag = this.panes.find((p) => p.role === "sagittal");
    if (!cor || !sag) throw { code: "bad-call", message: "rotation needs the MPR arrangement (venos.mpr())" };
    this.angle = ((((this.angle + Number(degrees || 0)) % 360) + 540) % 360) - 180; // (-180, 180]
    const a = Math.round(this.angle * 10) / 10;
    const plane = (name, extra) => (a === 0 ? { plane: name, angle: 0 } : { plane: "oblique", angle: a + extra });
    await Promise.all([cor.viewer.setViewState(plane("coronal", 0)), sag.viewer.setViewState(plane("sagittal", 90))]);
    this._changed();
    return this.angle;
  }

  // ---------------------------------------------------------------------------------------------- reference lines
  drawReferenceLines() { for (const p of this.panes) this._drawRefs(p); }

  _drawRefs(b) {
    if (!b.refs) return;
    b.refs.replaceChildren();
    const h = b.geometry;
    if (this.referenceLines === "off" || !h || b.el.hidden || this.count < 2 || !b.viewer.view.width) return;
    const sources = this.referenceLines === "all" ? this.visible.filter((p) => p !== b) : (b === this.active ? [] : [this.active]);
    for (const a of sources) {
      const g = a.geometry;
      if (!g || !sameFrame(a, b)) continue;
      const seg = cut(g, h);
      if (!seg) continue;
      // pixel (u, v)'s centre is at (u + ½, v + ½) in the canvas' image coordinates (pixel c covers [c, c + 1))
      const [p1, p2] = seg.map(([u, v]) => b.viewer.view.toScreen(u + 0.5, v + 0.5));
      const line = document.createElementNS(SVG, "line");
      for (const [k, v] of Object.entries({ x1: p1[0], y1: p1[1], x2: p2[0], y2: p2[1] })) line.setAttribute(k, String(v));
      line.setAttribute("stroke", PANE_COLOURS[a.index]);
      line.dataset.from = String(a.index);
      b.refs.append(line);
    }
  }
}

// ------------------------------------------------------------------------------------------------ geometry
const dot = (a, b) => a[0] * b[0] + a[1] * b[1] + a[2] * b[2];

/** Whether two viewports' images share one patient coordinate system: one Frame of Reference, or one series. */
function sameFrame(a, b) {
  const g = a.geometry, h = b.geometry;
  return !!(g && h) && (!!(g.frameOfReference && g.frameOfReference === h.frameOfReference)
    || (!!a.viewer.state.series && a.viewer.state.series === b.viewer.state.series));
}

/** The patient point at the centre of an image. */
function centre(g) {
  const u = (g.columns - 1) / 2, v = (g.rows - 1) / 2;
  return [0, 1, 2].map((k) => g.origin[k] + u * g.spacing[1] * g.row[k] + v * g.spacing[0] * g.col[k]);
}

/** Where plane `g` cuts image `h`: the two ends of the segment in `h`'s pixel coordinates, or null when the planes
 * are parallel or the line misses the image. Pixel (u, v) of h lies at origin + u·Δc·row + v·Δr·col. */
export function cut(g, h) {
  const n = g.normal;
  const a = dot(n, h.row) * h.spacing[1];
  const b = dot(n, h.col) * h.spacing[0];
  const c = dot(n, [0, 1, 2].map((k) => h.origin[k] - g.origin[k]));
  if (Math.hypot(a, b) < 1e-6 * Math.hypot(h.spacing[0], h.spacing[1])) return null;
  const [u0, u1, v0, v1] = [-0.5, h.columns - 0.5, -0.5, h.rows - 0.5];
  const pts = [];
  const add = (u, v) => {
    if (u >= u0 - 1e-9 && u <= u1 + 1e-9 && v >= v0 - 1e-9 && v <= v1 + 1e-9
        && !pts.some((q) => Math.abs(q[0] - u) < 1e-6 && Math.abs(q[1] - v) < 1e-6)) pts.push([u, v]);
  };
  if (Math.abs(b) > 1e-12) { add(u0, -(c + a * u0) / b); add(u1, -(c + a * u1) / b); }
  if (Math.abs(a) > 1e-12) { add(-(c + b * v0) / a, v0); add(-(c + b * v1) / a, v1); }
  return pts.length >= 2 ? [pts[0], pts[1]] : null;
}
