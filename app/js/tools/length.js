// Length: drag from one end to the other; in mm in the patient plane when the file gives a spacing.

export const length = {
  name: "length", kind: "measure", label: "Length",
  title: "Measure a length: drag (Delete removes this slice's measurements)",
  gestures: ["drag"],
  draw(shape, [a, b]) {
    return { nodes: [shape("line", { x1: a[0], y1: a[1], x2: b[0], y2: b[1] })], text: [b[0] + 6, b[1] - 6] };
  },
  text(r) { return [r.units === "mm" ? `${r.value.toFixed(1)} mm` : `${r.value.toFixed(1)} px (no spacing)`]; },
};
