// Angle: drag the first arm to the vertex, then click the end of the second arm (Esc cancels); in the patient
// plane, so non-square pixels give the true angle.

export const angle = {
  name: "angle", kind: "measure", label: "Angle",
  title: "Measure an angle: drag the first arm to the vertex, then click the end of the second arm (Esc cancels)",
  gestures: ["drag", "click"],
  draw(shape, pts) {
    return { nodes: [shape("polyline", { points: pts.map((q) => q.join(",")).join(" ") })], text: [pts[1][0] + 8, pts[1][1] + 16] };
  },
  text(r) { return [r.value == null ? "no angle (an arm has no length)" : `${r.value.toFixed(1)}°`]; },
};
