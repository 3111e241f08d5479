// The measurements made so far, in a dialog: what, where (slice and file) and the values with units; a click
// goes to the slice, "Download CSV" saves them for a spreadsheet, "Save as DICOM SR" as a Measurement Report that
// reopens with the images (app/js/reports.js). Strings are set with textContent only.

import { download, el, makeDialog } from "./cloud/dom.js";
import { TOOLS } from "./tools/index.js";

const kindLabel = (kind) => { const t = TOOLS.get(kind); return t ? t.listLabel || t.label : kind; };

/** Install the dialog; `button` opens it. Returns {open, dialog}. */
export function installMeasurements(viewer, annotations, button, { reports = null } = {}) {
  const dlg = makeDialog("measurements-dialog", "Measurements");
  const empty = el("p", { class: "muted", id: "measurements-empty", text: `No measurements yet: use ${[...TOOLS.values()].filter((t) => t.kind === "measure").map((t) => t.label).join(", ")} on the image.` });
  const tbody = el("tbody");
  const table = el("table", { class: "tags-table", id: "measurements-table" },
    el("thead", {}, el("tr", {}, ...["#", "What", "Result", "Slice", "File"].map((h) => el("th", { scope: "col", text: h })))),
    tbody);
  const csvButton = el("button", { class: "btn primary", type: "button", id: "measurements-csv", text: "Download CSV" });
  const clear = el("button", { class: "btn", type: "button", id: "measurements-clear", text: "Clear all" });
  const saveSr = el("button", { class: "btn", type: "button", id: "measurements-sr", text: "Save as DICOM SR",
    title: "A DICOM Measurement Report (TID 1500): open it with the images, here or in another viewer, to see the measurements again" });
  const note = el("p", { class: "muted", id: "measurements-note", role: "status" });
  const unshown = el("ul", { class: "muted", id: "measurements-unshown" });
  dlg.body.append(empty, table, el("div", { class: "row" }, csvButton, ...(reports ? [saveSr] : []), clear), note, unshown);

  function refresh() {
    const list = annotations.list();
    empty.hidden = list.length > 0;
    table.hidden = csvButton.disabled = clear.disabled = saveSr.disabled = list.length === 0;
    // what loaded reports hold that no tool draws (a point, a 3D coordinate, an image not loaded): said, not dropped
    unshown.replaceChildren(...(reports ? reports.unshown() : []).map((t) => el("li", { text: t })));
    tbody.replaceChildren(...list.map((m) => {
      const tr = el("tr", { class: "clickable", title: `${m.spacing ? `Spacing: ${m.spacing}` : ""}${m.note ? `\n${m.note}` : ""}` },
        el("td", { text: String(m.n) }), el("td", { text: kindLabel(m.kind) }), el("td", { class: "value", text: m.text }),
        el("td", { text: String(m.slice + 1) }), el("td", { class: "value", text: m.frame > 1 ? `${m.source} (frame ${m.frame})` : m.source }));
      const go = () => { dlg.dialog.close(); viewer.setViewState({ series: m.series, slice: m.slice,
        plane: m.plane || "", ...(m.plane ? { angle: m.angle, slab: m.slab, slabMode: m.slabMode } : {}) }); };
      tr.tabIndex = 0; // a row is reached by Tab and opened with Enter, as by a click
      tr.addEventListener("click", go);
      tr.addEventListener("keydown", (ev) => { if (ev.key === "Enter" || ev.key === " ") { ev.preventDefault(); go(); } });
      return tr;
    }));
  }

  csvButton.addEventListener("click", () => download(new Blob([annotations.csv()], { type: "text/csv" }), "venos-measurements.csv"));
  clear.addEventListener("click", () => annotations.clearAll());
  saveSr.addEventListener("click", async () => {
    note.textContent = "";
    try {
      const r = await reports.save();
      download(r.blob, r.name);
      note.textContent = `Saved ${r.saved} measurement${r.saved === 1 ? "" : "s"} as ${r.name}.${r.notSaved.length ? " " + r.notSaved.join(" ") : ""}`;
    } catch (e) { note.textContent = `Not saved: ${e.message || e}`; }
  });
  viewer.addEventListener("measurements", () => { if (dlg.dialog.open) refresh(); });
  const open = () => { refresh(); if (!dlg.dialog.open) dlg.dialog.showModal(); };
  button.addEventListener("click", open);
  return { open, dialog: dlg.dialog };
}
