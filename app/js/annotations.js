// Measurement overlay: lines drawn in image coordinates on an SVG layer above the canvas, redrawn through the
// camera. Each annotation belongs to one slice (its anchor: instance + frame) and shows the length Python
// computed, with units and where the pixel spacing came from. Labels are SVG text nodes set with textContent.

const SVG = "http://www.w3.org/2000/svg";

export class Annotations {
  constructor(svg, viewer) {
    this.svg = svg;
    this.viewer = viewer;
    this.items = []; // {anchor, series, p1, p2, result}
    this.draft = null;
    viewer.addEventListener("rendered", () => this.draw());
    viewer.addEventListener("cleared", () => { this.items = []; this.draw(); });
  }

  current() {
    const a = this.viewer.anchor;
    return this.items.filter((it) => it.anchor === a && it.series === this.viewer.state.series);
  }

  begin(p) { this.draft = { p1: p, p2: p }; this.draw(); }
  move(p) { if (this.draft) { this.draft.p2 = p; this.draw(); } }

  async end(p) {
    if (!this.draft) return null;
    const { p1 } = this.draft;
    this.draft = null;
    if (Math.hypot(p[0] - p1[0], p[1] - p1[1]) < 1) { this.draw(); return null; }
    const result = await this.viewer.client.call("measureLength", { state: this.viewer.state, p1, p2: p });
    const item = { anchor: result.anchor, series: this.viewer.state.series, p1, p2: p, result };
    this.items.push(item);
    this.draw();
    this.viewer.dispatchEvent(new CustomEvent("measurement", { detail: { ...result, p1, p2: p } }));
    return result;
  }

  clearSlice() {
    const mine = new Set(this.current());
    this.items = this.items.filter((it) => !mine.has(it));
    this.draw();
  }

  draw() {
    const v = this.viewer.view;
    this.svg.replaceChildren();
    if (!v.width) return;
    const lines = this.current().map((it) => [it.p1, it.p2, label(it.result), it.result.spacing]);
    if (this.draft) lines.push([this.draft.p1, this.draft.p2, "", ""]);
    for (const [p1, p2, text, title] of lines) {
      const [x1, y1] = v.toScreen(p1[0], p1[1]);
      const [x2, y2] = v.toScreen(p2[0], p2[1]);
      const line = document.createElementNS(SVG, "line");
      for (const [k, val] of Object.entries({ x1, y1, x2, y2 })) line.setAttribute(k, String(val));
      this.svg.append(line);
      if (text) {
        const t = document.createElementNS(SVG, "text");
        t.setAttribute("x", String(x2 + 6));
        t.setAttribute("y", String(y2 - 6));
        t.textContent = text;
        const tip = document.createElementNS(SVG, "title");
        tip.textContent = `Pixel spacing: ${title}`;
        t.append(tip);
        this.svg.append(t);
      }
    }
  }
}

function label(r) {
  return r.units === "mm" ? `${r.value.toFixed(1)} mm` : `${r.value.toFixed(1)} px (no spacing)`;
}
