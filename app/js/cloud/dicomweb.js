// The PACS dialog: a DICOMweb root (and an optional bearer token, kept in the worker's memory only), a QIDO-RS
// study search (patient name/ID, date range, modality, accession), the series of a study with rendered thumbnails
// where the server offers them, and one click to open a study or a series (metadata first, then WADO-RS).

import { el, makeDialog } from "./dom.js";

let dlg = null;

export function openDicomweb({ viewer, open, root = "" }) {
  if (!dlg) dlg = build(viewer, open);
  if (root) dlg.rootField.value = root;
  dlg.dialog.showModal();
  return dlg;
}

const fmtDate = (d) => (typeof d === "string" && /^\d{8}$/.test(d) ? `${d.slice(0, 4)}-${d.slice(4, 6)}-${d.slice(6)}` : String(d || ""));
const fmtName = (n) => String(n || "").replace(/\^+/g, " ").trim();
const list = (v) => (Array.isArray(v) ? v.join(", ") : String(v == null ? "" : v));

function build(viewer, open) {
  const { dialog, body } = makeDialog("pacs-dialog", "PACS (DICOMweb)");
  const field = (id, label, props = {}) => {
    const input = el("input", { id, ...props });
    return [el("label", { htmlFor: id, text: label }), input];
  };
  const [rootL, rootField] = field("pacs-root", "DICOMweb root", { type: "url", placeholder: "https://pacs.example.org/dicom-web" });
  const [tokL, tokField] = field("pacs-token", "Bearer token (optional, kept in memory only)", { type: "password", autocomplete: "off" });
  const [nameL, nameField] = field("pacs-name", "Patient name", { type: "text" });
  const [pidL, pidField] = field("pacs-pid", "Patient ID", { type: "text" });
  const [fromL, fromField] = field("pacs-from", "Date from", { type: "date" });
  const [toL, toField] = field("pacs-to", "Date to", { type: "date" });
  const [modL, modField] = field("pacs-modality", "Modality", { type: "text", placeholder: "CT, MR…", size: 6 });
  const [accL, accField] = field("pacs-accession", "Accession", { type: "text" });
  const searchBtn = el("button", { class: "btn primary", id: "pacs-search", type: "submit", text: "Search" });
  const form = el("form", { class: "pacs-form" },
    el("div", { class: "grid2" }, rootL, rootField, tokL, tokField, nameL, nameField, pidL, pidField, fromL, fromField,
      toL, toField, modL, modField, accL, accField), el("div", { class: "row" }, searchBtn));
  const status = el("p", { class: "muted", id: "pacs-status", role: "status" });
  const table = el("table", { class: "pacs-results", id: "pacs-results" });
  body.append(form, status, table);

  const root = () => rootField.value.trim();

  async function useToken() {
    // Sent once to the worker; the field keeps it for the user to see, nothing else stores it.
    await viewer.client.call("setToken", { token: tokField.value });
  }

  form.addEventListener("submit", async (e) => {
    e.preventDefault();
    status.textContent = "Searching…";
    table.replaceChildren();
    try {
      await useToken();
      const filters = { PatientName: nameField.value, PatientID: pidField.value, StudyDateFrom: fromField.value,
        StudyDateTo: toField.value, ModalitiesInStudy: modField.value.trim().toUpperCase(), AccessionNumber: accField.value };
      const rows = await viewer.client.call("dicomwebSearch", { root: root(), level: "studies", filters, limit: 200 });
      status.textContent = `${rows.length} ${rows.length === 1 ? "study" : "studies"}`;
      table.append(el("tr", {}, ...["Patient", "ID", "Date", "Description", "Modalities", "Series / images", ""].map((t) => el("th", { text: t }))));
      for (const r of rows) table.append(studyRow(r));
    } catch (err) {
      status.textContent = `Search failed: ${err.message || err}`;
    }
  });

  function studyRow(r) {
    const study = String(r.StudyInstanceUID || "");
    const openBtn = el("button", { class: "btn primary", type: "button", text: "Open study" });
    const seriesBtn = el("button", { class: "btn", type: "button", text: "Series ▸" });
    const tr = el("tr", { class: "study" },
      el("td", { text: fmtName(r.PatientName) }), el("td", { text: String(r.PatientID || "") }),
      el("td", { text: fmtDate(r.StudyDate) }), el("td", { text: String(r.StudyDescription || "") }),
      el("td", { text: list(r.ModalitiesInStudy) }),
      el("td", { text: `${r.NumberOfStudyRelatedSeries ?? "?"} / ${r.NumberOfStudyRelatedInstances ?? "?"}` }),
      el("td", {}, openBtn, seriesBtn));
    tr.dataset.study = study;
    openBtn.addEventListener("click", () => { dialog.close(); open({ dicomweb: { root: root(), study } }).catch(() => {}); });
    let shown = null;
    seriesBtn.addEventListener("click", async () => {
      if (shown) { shown.remove(); shown = null; return; }
      const cell = el("td", { colSpan: 7 });
      shown = el("tr", { class: "series-row" }, cell);
      tr.after(shown);
      cell.textContent = "Loading series…";
      try {
        const series = await viewer.client.call("dicomwebSearch", { root: root(), level: "series", study, limit: 500 });
        cell.replaceChildren(el("ul", { class: "pacs-series" }, ...series.map((s) => seriesItem(study, s))));
      } catch (err) {
        cell.textContent = `Cannot list series: ${err.message || err}`;
      }
    });
    return tr;
  }

  function seriesItem(study, s) {
    const series = String(s.SeriesInstanceUID || "");
    const thumb = el("div", { class: "thumb-none" });
    const btn = el("button", { class: "btn", type: "button", text: "Open" });
    btn.addEventListener("click", () => { dialog.close(); open({ dicomweb: { root: root(), study, series } }).catch(() => {}); });
    const li = el("li", {}, thumb, el("div", { class: "case-text" },
      el("div", { class: "case-title", text: `${s.Modality || "?"} · ${s.SeriesDescription || `Series ${s.SeriesNumber ?? ""}`}` }),
      el("div", { class: "muted", text: `${s.NumberOfSeriesRelatedInstances ?? "?"} images` })), btn);
    li.dataset.series = series;
    viewer.client.call("dicomwebThumbnail", { root: root(), study, series }).then((r) => {
      if (!r) return;
      const url = URL.createObjectURL(new Blob([r.buf], { type: r.type }));
      const img = el("img", { alt: "", src: url, onload: () => URL.revokeObjectURL(url) });
      thumb.replaceWith(img);
    }, () => {});
    return li;
  }

  return { dialog, rootField };
}
