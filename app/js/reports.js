// Measurement reports (DICOM SR, TID 1500 Measurement Report): a report loaded with its images puts its
// measurements back on them (Python reads it: app/py/venos/sr, places it: venos/reports.py); the measurements made
// here are saved as one. What a report holds that cannot be drawn is listed, never dropped silently.

import { isMeasurement } from "./tools/index.js";

/** The fields of a measurement-layer item that a report keeps (app/js/annotations.js). */
const keep = ({ kind, anchor, series, slice, points, result, plane, angle, slab, slabMode }) =>
  ({ kind, anchor, series, slice, points, result, ...(plane ? { plane, angle, slab, slabMode } : {}) });

export function installReports({ client, viewer, annotations, redraw, say = () => {} }) {
  const placed = new Set(); // report measurement ids already on the layer
  let last = { items: [], waiting: 0, unshown: [], reports: 0 };
  let timer = 0;

  /** Put the loaded reports' measurements whose images are loaded on the layer; → what Python said. */
  async function place() {
    last = await client.call("reports");
    const fresh = last.items.filter((it) => !placed.has(it.id));
    for (const it of fresh) {
      placed.add(it.id);
      annotations.items.push({ kind: it.kind, anchor: it.anchor, series: it.series, slice: it.slice, source: it.source,
        frame: it.frame, points: it.points, result: it.result, seriesDescription: "", at: Date.now(), report: it.report });
    }
    if (fresh.length) {
      annotations._changed();
      redraw();
      const from = [...new Set(fresh.map((it) => it.report))].join(", ");
      say(`${fresh.length} measurement${fresh.length > 1 ? "s" : ""} from ${from} shown${last.unshown.length ? `; ${last.unshown.length} not shown (see Measures)` : ""}`);
    }
    return last;
  }
  const soon = () => { clearTimeout(timer); timer = setTimeout(() => place().catch(() => {}), 150); };
  client.on("report", soon);
  // a report may come before its images: place the rest as they arrive
  viewer.addEventListener("series", () => { if (last.waiting) soon(); });
  viewer.addEventListener("cleared", () => { placed.clear(); last = { items: [], waiting: 0, unshown: [], reports: 0 }; });

  /** The layer's measurements as a DICOM SR file → {blob, name, saved, notSaved}. */
  async function save() {
    const r = await client.call("reportWrite", { items: annotations.items.filter((it) => isMeasurement(it.kind)).map(keep) });
    return { blob: new Blob([r.data], { type: "application/dicom" }), name: r.name, saved: r.saved, notSaved: r.notSaved };
  }

  /** A share link's measurements ({kind, sop, frame, points}), measured again on the images loaded: the link
   * says what was drawn, the pixels give the numbers. → {placed, missing}. */
  async function placeLinked(list) {
    const where = await client.call("locate", { refs: list.map(({ sop, frame }) => ({ sop, frame })) });
    let placed = 0, missing = 0;
    for (let i = 0; i < list.length; i++) {
      const m = list[i], w = where[i];
      if (!w) { missing++; continue; }
      let result;
      try {
        result = await client.call("measure", { name: m.kind, state: { series: w.series, slice: w.slice }, points: m.points });
      } catch { missing++; continue; }
      annotations.items.push({ kind: m.kind, anchor: result.anchor, series: w.series, slice: w.slice, source: w.source,
        frame: m.frame, points: result.points || m.points, result, seriesDescription: "", at: Date.now(), fromLink: true });
      placed++;
    }
    if (placed) { annotations._changed(); redraw(); }
    if (placed || missing) say(`${placed} measurement${placed === 1 ? "" : "s"} from the link shown${missing ? `; ${missing} not: their images are not in this case` : ""}`);
    return { placed, missing };
  }

  /** The measurements a link can carry: those made on one image (not on a reformatted plane). */
  const linkable = () => annotations.items.filter((it) => isMeasurement(it.kind) && it.result && it.result.ref)
    .map((it) => ({ kind: it.kind, sop: it.result.ref.sop, frame: it.result.ref.frame, points: it.points }));

  const measured = () => annotations.items.filter((it) => isMeasurement(it.kind)); // not a presentation state's graphics
  return { place, save, placeLinked, linkable, items: () => measured().map(keep), unshown: () => last.unshown.slice() };
}
