// The measurements made so far, in a dialog: what, where (slice and file) and the values with units; a click
// goes to the slice, "Download CSV" saves them for a spreadsheet. Strings are set with textContent only.

import { el, makeDialog } from "./cloud/dom.js";
import { TOOLS } from "./tools/index.js";

const kindLabel = (kind) => { const t = TOOLS.get(kind); return t ? t.listLabel || t.label : kind; };

/** Install the dialog; `button` opens it. Returns {open, dialog}. */
export function installMeasurements(viewer, annotations, button) {
  const dlg = makeDialog("measurements-dialog", "Measurements");
  const empty = el("p", { class: "muted", id: "measurements-empty", text: `No measurements yet: use ${[...TOOLS.values()].filter((t) => t.kind === "measure").map((t) => t.label).join(", ")} on the image.` });
  const tbody = el("tbody");
  const table = el("table", { class: "tags-table", id: "measurements-table" },
    el("thead", {}, el("tr", {}, ...["#", "What", "Result", "Slice", "File"].map((h) => el("th", { scope: "col", text: h })))),
    tbody);
  const download = el("button", { class: "btn primary", type: "button", id: "measurements-csv", text: "Download CSV" });
  const clear = el("button", { class: "btn", type: "button", id: "measurements-clear", text: "Clear all" });
  dlg.body.append(empty, table, el("div", { class: "row" }, download, clear));

  function refresh() {
    const list = annotations.list();
    empty.hidden = list.length > 0;
    table.hidden = download.disabled = clear.disabled = list.length === 0;
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

  download.addEventListener("click", () => {
    const url = URL.createObjectURL(new Blob([annotations.csv()], { type: "text/csv" }));
    const a = el("a", { href: url, download: "venos-measurements.csv" });
    document.body.append(a);
    a.click();
    a.remove();
    setTimeout(() => URL.revokeObjectURL(url), 10_000);
  });
  clear.addEventListener("click", () => annotations.clearAll());
  viewer.addEventListener("measurements", () => { if (dlg.dialog.open) refresh(); });
  const open = () => { refresh(); if (!dlg.dialog.open) dlg.dialog.showModal(); };
  button.addEventListener("click", open);
  return { open, dialog: dlg.dialog };
}
