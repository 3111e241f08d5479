// Tag browser: every DICOM element of the file the current slice comes from, in a dialog with a filter.
// Rows come from Python (venos.dicom.tags); every string is put in with textContent, never as HTML.

import { el, makeDialog } from "./cloud/dom.js";

/** Install the dialog; returns {open(), refresh()} . `button` opens it. */
export function installTags(viewer, button) {
  const dlg = makeDialog("tags-dialog", "DICOM elements");
  const file = el("p", { class: "muted", id: "tags-file" });
  const filter = el("input", { type: "search", id: "tags-filter", placeholder: "Filter by tag, keyword, name or value",
    "aria-label": "Filter elements", autocomplete: "off", spellcheck: false });
  const count = el("span", { class: "muted", id: "tags-count" });
  const note = el("p", { class: "muted", id: "tags-note" });
  const tbody = el("tbody");
  const table = el("table", { class: "tags-table", id: "tags-table" },
    el("thead", {}, el("tr", {}, ...["Tag", "Name", "VR", "Value"].map((h) => el("th", { scope: "col", text: h })))),
    tbody);
  dlg.body.append(file, el("div", { class: "row" }, filter, count), note, table);

  let shown = ""; // "series:slice" listed now
  let rows = [];

  function applyFilter() {
    const q = filter.value.trim().toLowerCase();
    let n = 0;
    for (const tr of tbody.children) {
      const hit = !q || tr.dataset.search.includes(q);
      tr.hidden = !hit;
      if (hit) n++;
    }
    count.textContent = q ? `${n} of ${rows.length}` : `${rows.length} elements`;
  }

  async function refresh() {
    const st = viewer.state;
    if (!st.series) {
      shown = "";
      rows = [];
      file.textContent = "No image is open.";
      note.textContent = "";
      tbody.replaceChildren();
      applyFilter();
      return;
    }
    const key = `${st.series}:${st.slice}`;
    if (key === shown) return;
    shown = key;
    let out;
    try {
      out = await viewer.tags(st.series, st.slice);
    } catch (e) {
      file.textContent = "";
      note.textContent = `The elements cannot be listed: ${e.message || e}`;
      tbody.replaceChildren();
      return;
    }
    if (shown !== key) return; // the slice changed while this was on its way
    rows = out.rows;
    file.textContent = out.frames > 1 ? `${out.source} (frame ${out.frame + 1} of ${out.frames}; one file)` : out.source;
    note.textContent = out.note || (out.truncated ? `Only the first ${rows.length} elements are listed.` : "");
    tbody.replaceChildren(...rows.map((r) => {
      const name = el("td", { text: r.name || r.keyword || "" });
      name.style.paddingLeft = `${6 + 14 * r.depth}px`; // nesting inside sequences (CSSOM, allowed by the CSP)
      const tr = el("tr", {}, el("td", { class: "mono", text: r.tag }), name, el("td", { class: "mono", text: r.vr }),
        el("td", { class: "value", text: r.value }));
      if (r.keyword && r.keyword !== r.name) tr.title = r.keyword;
      tr.dataset.search = `${r.tag} ${r.keyword} ${r.name} ${r.value}`.toLowerCase();
      return tr;
    }));
    applyFilter();
  }

  filter.addEventListener("input", applyFilter);
  viewer.addEventListener("rendered", () => { if (dlg.dialog.open) refresh(); });
  viewer.addEventListener("cleared", () => { shown = ""; if (dlg.dialog.open) refresh(); });
  const open = () => {
    if (!dlg.dialog.open) dlg.dialog.showModal();
    shown = "";
    return refresh();
  };
  button.addEventListener("click", open);
  return { open, refresh, dialog: dlg.dialog };
}
