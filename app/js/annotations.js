// The measurement layer: measurements drawn in image coordinates on an SVG layer above the canvas, redrawn through
// the camera. Each belongs to one slice (its anchor: instance + frame) and shows what Python computed, with units
// and where the pixel spacing came from. What a tool is — its gestures, its shape, its label — comes from the tool
// registry (app/js/tools/); this file only runs the gestures and keeps the list. Labels are SVG text nodes set with
// textContent.

import { TOOLS, isMeasurement } from "./tools/index.js";

const SVG = "http://www.w3.org/2000/svg";

export class Annotations {
  /** One layer per viewport. The viewports of a layout share one `store` ({items}), so a measurement shows in every
   * viewport that shows its image, and one `events` target (the first viewer) announces the list's changes. */
  constructor(svg, viewer, { store = { items: [] }, events = viewer } = {}) {
    this.svg = svg;
    this.viewer = viewer;
    this.store = store; // .items: {kind, anchor, series, slice, source, frame, points, result}
    this.events = events;
    this.draft = null; // {kind, points, stage}: the measurement being drawn
    this.cursor = null; // [x, y] in image pixels: the keyboard's pointer (input.js), drawn while it is in use
    viewer.addEventListener("rendered", () => this.draw());
    viewer.addEventListener("cleared", () => { this.items = []; this.cursor = null; this._changed(); this.draw(); });
  }

  get items() { return this.store.items; }
  set items(list) { this.store.items = list; }

  current() {
    const a = this.viewer.anchor;
    return this.items.filter((it) => it.anchor === a && it.series === this.viewer.state.series);
  }

  /** Between two gestures of a tool (an angle's arm drawn, waiting for its end): the next press is its. */
  awaitingPoint() { return !!(this.draft && this.draft.stage > 0); }
  /** Inside a drag gesture (pressed, not yet released). */
  holding() { return !!(this.draft && (this.draft.stage === 0 || this.draft.dragging)); }
  cancel() { if (this.draft || this.cursor) { this.draft = null; this.cursor = null; this.draw(); } }
  _drop() { this.draft = null; this.draw(); }
  /** Something to tell a screen reader (the announcer says it). */
  hint(text) { this.events.dispatchEvent(new CustomEvent("hint", { detail: { text } })); }

  /** A press with a measurement tool: starts one, or makes the next gesture of the one being drawn. */
  press(p, kind = null) {
    if (!this.draft) {
      if (!isMeasurement(kind)) return null;
      this.draft = { kind, points: [p, p], stage: 0 };
      this.draw();
      return null;
    }
    const gesture = TOOLS.get(this.draft.kind).gestures[this.draft.stage];
    if (gesture === "click") {
      this.draft.points[this.draft.points.length - 1] = p;
      return this._next();
    }
    this.draft.points.push(p, p); // the start of a drag gesture
    this.draft.dragging = true;
    this.draw();
    return null;
  }

  /** The pointer moved: the live end of the gesture follows it. */
  move(p) {
    if (!this.draft) return;
    const gesture = TOOLS.get(this.draft.kind).gestures[this.draft.stage];
    if (gesture === "drag" && this.draft.stage > 0 && !this.draft.dragging) return; // hovering before the next drag
    this.draft.points[this.draft.points.length - 1] = p;
    this.draw();
  }

  /** The end of a drag gesture. */
  release(p) {
    if (!this.draft || (this.draft.stage > 0 && !this.draft.dragging)) return null;
    this.draft.points[this.draft.points.length - 1] = p;
    const [a, b] = this.draft.points.slice(-2);
    if (Math.abs(b[0] - a[0]) < 1 && Math.abs(b[1] - a[1]) < 1) { this._drop(); return null; } // a click: nothing drawn
    if (TOOLS.get(this.draft.kind).area
        && (Math.abs(b[0] - a[0]) < 1 || Math.abs(b[1] - a[1]) < 1)) { this._drop(); return null; } // a flat box
    this.draft.dragging = false;
    return this._next();
  }

  _next() {
    const draft = this.draft;
    const tool = TOOLS.get(draft.kind);
    draft.stage++;
    if (draft.stage < tool.gestures.length) {
      if (tool.gestures[draft.stage] === "click") draft.points.push(draft.points[draft.points.length - 1]);
      this.draw();
      return null;
    }
    this.draft = null;
    return this._measure(draft.kind, draft.points);
  }

  async _measure(kind, points) {
    const state = this.viewer.state;
    const where = this._where(state);
    const result = await this.viewer.client.call("measure", { name: kind, state, points });
    const shown = result.points || points; // a tool may correct what was drawn (a perpendicular made exact)
    this.items.push({ kind, anchor: result.anchor, ...where, points: shown, result });
    this._changed();
    this.draw();
    const [p1, p2, p3] = shown;
    this.events.dispatchEvent(new CustomEvent("measurement", { detail: { kind, ...result, points: shown, p1, p2, ...(p3 ? { p3 } : {}) } }));
    return result;
  }

  /** Where a measurement is: slice and frame of its file, both 0-based like everything in the JS API (the
   * overlay counts from 1 for people, and so does the CSV). */
  _where(state) {
    const o = (this.viewer.meta && this.viewer.meta.overlay) || {};
    return { series: state.series, slice: state.slice, source: o.source || "", frame: Math.max(0, (o.frame || 1) - 1),
      seriesDescription: o.seriesDescription || "", at: Date.now(),
      // a reformatted plane: going back to the measurement means going back to that plane
      ...(state.plane ? { plane: state.plane, angle: state.angle || 0, slab: state.slab || 0, slabMode: state.slabMode } : {}) };
  }

  clearSlice() {
    const mine = new Set(this.current());
    this.items = this.items.filter((it) => !mine.has(it));
    this._changed();
    this.draw();
  }

  clearAll() { this.items = []; this._changed(); this.draw(); }

  _changed() { this.events.dispatchEvent(new CustomEvent("measurements", { detail: this.list() })); }

  /** Every measurement made, oldest first, as plain data: what it is, where, its value(s) and units. */
  list() {
    return this.items.filter((it) => isMeasurement(it.kind)).map((it, i) => ({
      n: i + 1, kind: it.kind, series: it.series, seriesDescription: it.seriesDescription, slice: it.slice,
      ...(it.plane ? { plane: it.plane, angle: it.angle, slab: it.slab, slabMode: it.slabMode } : {}),
      source: it.source, frame: it.frame,
      text: label(it).join(" · "), ...it.result, points: it.points.map((q) => q.map((v) => +v.toFixed(2))),
    }));
  }

  /** The list as CSV (RFC 4180 quoting; cells that a spreadsheet would run as a formula are neutralised). */
  csv() {
    const cols = ["n", "kind", "text", "value", "units", "long", "short", "mean", "sd", "min", "max", "pixels", "area", "areaUnits",
      "spacing", "series", "seriesDescription", "slice", "source", "frame", "points", "note"];
    const cell = (v) => {
      let s = v == null ? "" : typeof v === "number" ? String(+v.toPrecision(10)) : Array.isArray(v) ? JSON.stringify(v) : String(v);
      if (typeof v !== "number") s = neutraliseFormula(s);
      return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
    };
    const rows = this.list().map((m) => cols.map((c) => cell(c === "slice" || c === "frame" ? m[c] + 1 : m[c])).join(","));
    return [cols.join(","), ...rows].join("\r\n") + "\r\n";
  }

  draw() {
    const v = this.viewer.view;
    this.svg.replaceChildren();
    if (!v.width) return;
    const shapes = this.current().map((it) => ({ ...it, text: label(it) }));
    if (this.draft) shapes.push({ ...this.draft, text: [] });
    for (const it of shapes) {
      const tool = TOOLS.get(it.kind);
      const { nodes, text: [tx, ty] } = tool.draw(svgEl, it.points.map((q) => v.toScreen(q[0], q[1])), it);
      this.svg.append(...nodes);
      if (!it.text.length) continue;
      const t = svgEl("text", { x: tx, y: ty });
      it.text.forEach((line, i) => {
        const span = svgEl("tspan", { x: tx, dy: i ? "1.25em" : "0" });
        span.textContent = line;
        t.append(span);
      });
      if (it.result.spacing) {
        const tip = document.createElementNS(SVG, "title");
        tip.textContent = `Pixel spacing: ${it.result.spacing}${it.result.note ? `\n${it.result.note}` : ""}`;
        t.append(tip);
      }
      this.svg.append(t);
    }
    if (this.cursor) {
      const [x, y] = v.toScreen(this.cursor[0], this.cursor[1]);
      this.svg.append(svgEl("circle", { cx: x, cy: y, r: 6, class: "kb-cursor" }),
        svgEl("line", { x1: x - 12, y1: y, x2: x + 12, y2: y, class: "kb-cursor" }),
        svgEl("line", { x1: x, y1: y - 12, x2: x, y2: y + 12, class: "kb-cursor" }));
    }
  }
}

// CSV injection (OWASP): a text cell a spreadsheet could run as a formula gets a leading ' (shown as text, and the
// cell keeps its characters). The rule, for text only:
// * a cell starting with a tab, CR or LF is prefixed (some spreadsheets drop them and read what follows);
// * otherwise leading whitespace (ASCII and Unicode, e.g. U+00A0, U+3000), control and invisible format characters
//   (U+200B, U+FEFF, bidi marks) are skipped, as spreadsheets trim some of them, and the cell is prefixed when what
//   comes next is = + - @, or one of their full-width (＝ ＋ － ＠) or small (﹦ ﹢ ﹣ ﹫) forms or the minus sign −,
//   which East Asian input methods and some spreadsheets read as the ASCII ones;
// * a text cell that is exactly a plain decimal number ("-12.5", "3e-4") is left alone: a spreadsheet reads it as
//   that number, which is no formula, and a prefix would turn a value into text.
// Numbers the viewer computed are JS numbers and never pass through here: "-12.5" HU stays a number.
const FORMULA_START = /^[=+\-@\uFF1D\uFF0B\uFF0D\uFF20\uFE66\uFE62\uFE63\uFE6B\u2212]/;
const LEADING_INVISIBLE = /^[\s\p{Cc}\p{Cf}]+/u;
const PLAIN_NUMBER = /^-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?$/;

/** `s` as a CSV text cell that no spreadsheet runs as a formula (see the rule above). */
function neutraliseFormula(s) {
  if (PLAIN_NUMBER.test(s)) return s;
  if (/^[\t\r\n]/.test(s) || FORMULA_START.test(s.replace(LEADING_INVISIBLE, ""))) return "'" + s;
  return s;
}

function svgEl(tag, attrs) {
  const e = document.createElementNS(SVG, tag);
  for (const [k, val] of Object.entries(attrs)) e.setAttribute(k, String(val));
  return e;
}

/** Text lines under a measurement (units always said; "px" when the file gives no spacing): its tool's. */
export function label(it) {
  return TOOLS.get(it.kind).text(it.result);
}
