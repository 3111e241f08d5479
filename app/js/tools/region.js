// Elliptical and rectangular regions: drag the box; mean, SD, min, max in modality units (HU) and the area.

const num = (v) => (v == null ? "–" : Math.abs(v) >= 100 || Number.isInteger(v) ? v.toFixed(0) : v.toFixed(1));

function regionText(r) {
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

function box([a, b]) {
  return [Math.min(a[0], b[0]), Math.min(a[1], b[1]), Math.abs(b[0] - a[0]), Math.abs(b[1] - a[1])];
}

export const ellipse = {
  name: "ellipse", kind: "measure", label: "Ellipse",
  title: "Elliptical region: drag; mean, SD, min, max in modality units (HU) and area",
  gestures: ["drag"], area: true,
  draw(shape, pts) {
    const [l, t, w, h] = box(pts);
    return { nodes: [shape("ellipse", { cx: l + w / 2, cy: t + h / 2, rx: w / 2, ry: h / 2 })], text: [l + w + 6, t + 12] };
  },
  text: regionText,
};

export const rectangle = {
  name: "rectangle", kind: "measure", label: "Rect", listLabel: "Rectangle",
  title: "Rectangular region: drag; mean, SD, min, max in modality units (HU) and area",
  gestures: ["drag"], area: true,
  draw(shape, pts) {
    const [l, t, w, h] = box(pts);
    return { nodes: [shape("rect", { x: l, y: t, width: w, height: h })], text: [l + w + 6, t + 12] };
  },
  text: regionText,
};
