// Bidirectional (RECIST/WHO): drag the long axis, then drag across it; Python makes the second line exactly
// perpendicular in the patient plane and the page draws the corrected one.

export const bidirectional = {
  name: "bidirectional", kind: "measure", label: "Bidir", listLabel: "Bidirectional",
  title: "Bidirectional: drag the long axis, then drag across it; long × short axis (Esc cancels)",
  gestures: ["drag", "drag"],
  draw(shape, pts) {
    const nodes = [shape("line", { x1: pts[0][0], y1: pts[0][1], x2: pts[1][0], y2: pts[1][1] })];
    if (pts.length === 4) nodes.push(shape("line", { x1: pts[2][0], y1: pts[2][1], x2: pts[3][0], y2: pts[3][1], class: "short-axis" }));
    return { nodes, text: [pts[1][0] + 6, pts[1][1] - 6] };
  },
  text(r) {
    if (r.short == null) return ["no long axis"];
    const u = r.units === "mm" ? " mm" : " px (no spacing)";
    return [`${r.long.toFixed(1)} × ${r.short.toFixed(1)}${u}`];
  },
};
