// Measurement overlay: lengths and regions (rectangle, ellipse) drawn in image coordinates on an SVG layer above
// the canvas, redrawn through the camera. Each annotation belongs to one slice (its anchor: instance + frame) and
// shows what Python computed — a length, or a region's statistics in modality units with its area — with units
// and where the pixel spacing came from. Labels are SVG text nodes set with textContent.

const SVG = "http://www.w3.org/2000/svg";
export const MEASURE_TOOLS = new Set(["length", "rectangle", "ellipse", "angle"]);

export class Annotations {
  constructor(svg, viewer) {
    this.svg = svg;
    this.viewer = viewer;
    this.items = []; // {kind, anchor, series, p1, p2, result}
    this.draft = null;
    viewer.addEventListener("rendered", () => this.draw());
    viewer.addEventListener("cleared", () => { this.items = []; this._changed(); this.draw(); });
  }

  current() {
    const a = this.viewer.anchor;
    return this.items.filter((it) => it.anchor === a && it.series === this.viewer.state.series);
  }

  begin(p, kind = "length") { this.draft = { kind, p1: p, p2: p, p3: null }; this.draw(); }
  move(p) {
    if (!this.draft) return;
    if (this.draft.p3) this.draft.p3 = p; else this.draft.p2 = p;
    this.draw();
  }

  /** An angle whose first arm is drawn waits for its third point (the next click or tap). */
  awaitingPoint() { return !!(this.draft && this.draft.kind === "angle" && this.draft.p3); }
  cancel() { if (this.draft) { this.draft = null; this.draw(); } }

  /** Where a measurement is: slice number, file and frame as shown when it was made (for lists and exports). */
  _where(state) {
    const o = (this.viewer.meta && this.viewer.meta.overlay) || {};
    return { series: state.series, slice: state.slice, source: o.source || "", frame: o.frame || 1,
      seriesDescription: o.seriesDescription || "", at: Date.now() };
  }

  async place(p) {
    const { p1, p2 } = this.draft;
    this.draft = null;
    const state = this.viewer.state;
    const where = this._where(state);
    const result = await this.viewer.client.call("measureAngle", { state, p1, p2, p3: p });
    this.items.push({ kind: "angle", anchor: result.anchor, ...where, p1, p2, p3: p, result });
    this._changed();
    this.draw();
    this.viewer.dispatchEvent(new CustomEvent("measurement", { detail: { kind: "angle", ...result, p1, p2, p3: p } }));
    return result;
  }

  async end(p) {
    if (!this.draft || this.draft.p3) return null;
    const { kind, p1 } = this.draft;
    if (kind === "angle") { // first arm drawn (p1 → vertex): now the third point
      if (Math.hypot(p[0] - p1[0], p[1] - p1[1]) < 1) { this.cancel(); return null; }
      this.draft.p2 = p;
      this.draft.p3 = p;
      this.draw();
      return null;
    }
    this.draft = null;
    const dx = Math.abs(p[0] - p1[0]), dy = Math.abs(p[1] - p1[1]);
    if (kind === "length" ? Math.hypot(dx, dy) < 1 : dx < 1 || dy < 1) { this.draw(); return null; }
    const state = this.viewer.state;
    const where = this._where(state);
    const result = kind === "length"
      ? await this.viewer.client.call("measureLength", { state, p1, p2: p })
      : await this.viewer.client.call("measureRegion", { state, shape: kind, p1, p2: p });
    this.items.push({ kind, anchor: result.anchor, ...where, p1, p2: p, result });
    this._changed();
    this.draw();
    this.viewer.dispatchEvent(new CustomEvent("measurement", { detail: { kind, ...result, p1, p2: p } }));
    return result;
  }

  clearSlice() {
    const mine = new Set(this.current());
    this.items = this.items.filter((it) => !mine.has(it));
    this._changed();
    this.draw();
  }

  clearAll() { this.items = []; this._changed(); this.draw(); }

  _changed() { this.viewer.dispatchEvent(new CustomEvent("measurements", { detail: this.list() })); }

  /** Every measurement made, oldest first, as plain data: what it is, where, its value(s) and units. */
  list() {
    return this.items.map((it, i) => ({
      n: i + 1, kind: it.kind, series: it.series, seriesDescription: it.seriesDescription, slice: it.slice,
      source: it.source, frame: it.frame, points: [it.p1, it.p2, it.p3].filter(Boolean).map((q) => q.map((v) => +v.toFixed(2))),
      text: label(it).join(" · "), ...it.result,
    }));
  }

  /** The list as CSV (RFC 4180 quoting; cells that a spreadsheet would run as a formula are neutralised). */
  csv() {
    const cols = ["n", "kind", "value", "units", "mean", "sd", "min", "max", "pixels", "area", "areaUnits",
      "spacing", "series", "seriesDescription", "slice", "source", "frame", "points", "note"];
    const cell = (v) => {
      let s = v == null ? "" : typeof v === "number" ? String(+v.toPrecision(10)) : Array.isArray(v) ? JSON.stringify(v) : String(v);
      if (typeof v === "string" && /^[=+\-@\t\r]/.test(s)) s = "'" + s;
      return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
    };
    const rows = this.list().map((m) => cols.map((c) => cell(c === "slice" ? m.slice + 1 : m[c])).join(","));
    return [cols.join(","), ...rows].join("\r\n") + "\r\n";
  }

  draw() {
    const v = this.viewer.view;
    this.svg.replaceChildren();
    if (!v.width) return;
    const shapes = this.current().map((it) => ({ ...it, text: label(it) }));
    if (this.draft) shapes.push({ ...this.draft, text: [] });
    for (const it of shapes) {
      const [x1, y1] = v.toScreen(it.p1[0], it.p1[1]);
      const [x2, y2] = v.toScreen(it.p2[0], it.p2[1]);
      let node, tx, ty;
      if (it.kind === "length") {
        node = svgEl("line", { x1, y1, x2, y2 });
        tx = x2 + 6; ty = y2 - 6;
      } else if (it.kind === "angle") {
        const pts = [[x1, y1], [x2, y2]];
        if (it.p3) pts.push(v.toScreen(it.p3[0], it.p3[1]));
        node = svgEl("polyline", { points: pts.map((q) => q.join(",")).join(" ") });
        tx = x2 + 8; ty = y2 + 16;
      } else {
        const [l, t, w, h] = [Math.min(x1, x2), Math.min(y1, y2), Math.abs(x2 - x1), Math.abs(y2 - y1)];
        node = it.kind === "rectangle" ? svgEl("rect", { x: l, y: t, width: w, height: h })
          : svgEl("ellipse", { cx: l + w / 2, cy: t + h / 2, rx: w / 2, ry: h / 2 });
        tx = l + w + 6; ty = t + 12;
      }
      this.svg.append(node);
      if (it.text.length) {
        const t = svgEl("text", { x: tx, y: ty });
        it.text.forEach((line, i) => {
          const span = svgEl("tspan", { x: tx, dy: i ? "1.25em" : "0" });
          span.textContent = line;
          t.append(span);
        });
        const tip = document.createElementNS(SVG, "title");
        tip.textContent = `Pixel spacing: ${it.result.spacing}${it.result.note ? `\n${it.result.note}` : ""}`;
        t.append(tip);
        this.svg.append(t);
      }
    }
  }
}

function svgEl(tag, attrs) {
  const e = document.createElementNS(SVG, tag);
  for (const [k, val] of Object.entries(attrs)) e.setAttribute(k, String(val));
  return e;
}

const num = (v) => (v == null ? "–" : Math.abs(v) >= 100 || Number.isInteger(v) ? v.toFixed(0) : v.toFixed(1));

/** Text lines under a measurement (units always said; "px" when the file gives no spacing). */
export function label(it) {
  const r = it.result;
  if (it.kind === "angle") return [r.value == null ? "no angle (an arm has no length)" : `${r.value.toFixed(1)}°`];
  if (it.kind === "length") return [r.units === "mm" ? `${r.value.toFixed(1)} mm` : `${r.value.toFixed(1)} px (no spacing)`];
  const area = r.areaUnits === "mm²"
    ? (r.area >= 100 ? `${(r.area / 100).toFixed(2)} cm²` : `${r.area.toFixed(1)} mm²`)
    : `${r.area.toFixed(0)} px² (no spacing)`;
  if (!r.pixels) return [`Area ${area}`, r.paddingExcluded ? "only padding pixels inside" : "no pixel centre inside"];
  if (r.channels) {
    return [`Mean R ${num(r.channels[0].mean)} G ${num(r.channels[1].mean)} B ${num(r.channels[2].mean)}`,
      `Area ${area}  (${r.pixels} px)`];
  }
  const u = r.units ? ` ${r.units}` : "";
  const lines = [`Mean ${num(r.mean)}${u}  SD ${num(r.sd)}`, `Min ${num(r.min)}  Max ${num(r.max)}${u}`,
    `Area ${area}  (${r.pixels} px)`];
  if (r.paddingExcluded) lines.push(`${r.paddingExcluded} padding px left out`);
  return lines;
}
