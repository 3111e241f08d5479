// A presentation state's graphic annotation (GSPS, PS3.3 C.10.5): drawn on its image, never made with the mouse
// (no toolbar button), not a measurement. Points in image pixels; the layer's colour when it gives one.

const pointsAttr = (pts) => pts.map((p) => `${p[0]},${p[1]}`).join(" ");

export const graphic = {
  name: "graphic", kind: "annotation", hidden: true, label: "Graphic",
  title: "A graphic annotation of a presentation state", gestures: [],
  draw(shape, pts, it) {
    const g = it.graphic || {};
    // the layer's colour as presentation attributes (the page's CSP allows no inline style); the class sets the rest
    const colour = /^#[0-9a-f]{6}$/i.test(g.color || "") ? g.color : "#80deea";
    const attrs = (a) => ({ ...a, class: `pr-graphic${g.filled ? " filled" : ""}`, stroke: colour, fill: g.filled ? colour : "none" });
    const at = pts[0] || [0, 0];
    let nodes = [];
    if (g.kind === "polyline" || g.kind === "interpolated") {
      nodes = [shape(g.closed ? "polygon" : "polyline", attrs({ points: pointsAttr(pts) }))];
    } else if (g.kind === "point") {
      nodes = [shape("circle", attrs({ cx: at[0], cy: at[1], r: 3 }))];
    } else if (g.kind === "circle" && pts.length >= 2) {
      nodes = [shape("circle", attrs({ cx: at[0], cy: at[1], r: Math.hypot(pts[1][0] - at[0], pts[1][1] - at[1]) }))];
    } else if (g.kind === "ellipse" && pts.length >= 4) { // major axis ends, then minor axis ends (on screen)
      const [a, b, c, d] = pts;
      const cx = (a[0] + b[0]) / 2, cy = (a[1] + b[1]) / 2;
      const deg = (Math.atan2(b[1] - a[1], b[0] - a[0]) * 180) / Math.PI;
      nodes = [shape("ellipse", attrs({ cx, cy, rx: Math.hypot(b[0] - a[0], b[1] - a[1]) / 2,
        ry: Math.hypot(d[0] - c[0], d[1] - c[1]) / 2, transform: `rotate(${deg} ${cx} ${cy})` }))];
    }
    return { nodes, text: [at[0] + 4, at[1] - 4] };
  },
  text(r) { return r && r.text ? String(r.text).split("\n").slice(0, 20) : []; },
};
