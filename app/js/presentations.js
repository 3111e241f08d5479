// Grayscale Softcopy Presentation States (GSPS): one loaded with its images is applied — its window, inversion,
// rotation, flip and displayed area to the active viewport (showing its series), its graphic and text annotations
// drawn on their images (tools/graphic.js). Python reads and places it (app/py/venos/pstate, venos/presentations.py);
// what it holds that VeNOS does not apply is listed by venos.presentations(), never dropped silently.

export function installPresentations({ client, viewer, annotations, active, redraw, say = () => {} }) {
  const applied = new Set(); // presentation states whose view was applied (by SOP Instance UID)
  const drawn = new Set(); // graphics placed (state, image, index): those on images that come later follow them
  let last = [];
  let timer = 0;

  /** Zoom and pan that show a displayed area (image pixels [x0, y0, x1, y1]) as its size mode asks. */
  function areaView(v, area) {
    const view = active().view;
    if (!view.width) return {};
    const { w: vw, h: vh } = view.cssSize();
    const [x0, y0, x1, y1] = area.box;
    const turned = v.rotate === 90 || v.rotate === 270;
    const [w, h] = turned ? [(y1 - y0) * view.aspect, x1 - x0] : [x1 - x0, (y1 - y0) * view.aspect];
    const fit = Math.min(vw / w, vh / h);
    const zoom = area.sizeMode === "MAGNIFY" && area.magnification > 0 ? area.magnification : fit; // TRUE SIZE: fit (screen size unknown)
    return { zoom, pan: [(x0 + x1) / 2 - view.width / 2, (y0 + y1) / 2 - view.height / 2] };
  }

  async function apply() {
    const { presentations } = await client.call("presentations");
    last = presentations;
    let placed = 0;
    for (const pr of presentations) {
      pr.graphics.forEach((g, i) => {
        const id = `${pr.uid}|${g.key}|${i}`;
        if (drawn.has(id)) return;
        drawn.add(id);
        placed++;
        annotations.items.push({ kind: "graphic", anchor: g.key, series: g.series, slice: g.slice, source: g.source,
          frame: g.frame, points: g.points, graphic: g, result: { text: g.kind === "text" ? g.text : "" },
          presentation: pr.uid, at: Date.now() });
      });
      if (applied.has(pr.uid) || !pr.views.length) continue; // applied already, or its images are not here yet
      applied.add(pr.uid);
      const v = pr.views[0];
      const patch = { series: v.series, slice: v.slice, rotate: v.rotate, flip: v.flip, invert: v.invert };
      if (v.center != null) Object.assign(patch, { center: v.center, width: v.width, voiFunction: v.voiFunction });
      await active().setViewState(patch);
      if (v.area) await active().setViewState(areaView(v, v.area));
      redraw();
      const name = pr.label || pr.description || pr.source;
      say(`Presentation state ${name} applied${pr.unsupported.length ? `; ${pr.unsupported.length} part(s) not applied (see venos.presentations())` : ""}`);
    }
    if (placed) redraw();
    return last;
  }
  const soon = () => { clearTimeout(timer); timer = setTimeout(() => apply().catch((e) => console.warn("presentation state:", e.message || e)), 150); };
  client.on("presentation", soon);
  viewer.addEventListener("series", () => { if (last.some((p) => !applied.has(p.uid) || p.waiting)) soon(); });
  viewer.addEventListener("cleared", () => { applied.clear(); drawn.clear(); last = []; });
  return { apply, list: () => last.slice() };
}
