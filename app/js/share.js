// Share a case: what is loaded in this page, de-identified here if asked (DICOM PS3.15 Annex E, in Python:
// app/py/venos/deid), with rectangles blacked out on every frame, downloaded as a zip for any static host (the files,
// an OHIF DICOM JSON manifest, a README, the de-identification report), or sent by STOW-RS to the DICOMweb server
// the user names (net/stow.js): nothing goes anywhere else.
// Every string from a file is set with textContent.

import { download, el, makeDialog } from "./cloud/dom.js";

const OPTIONS = [
  ["modifiedDates", "Keep the time between dates, moved", "Retain Longitudinal Temporal Information with Modified Dates: every date is shifted by the same number of days"],
  ["patientCharacteristics", "Keep age, sex, size, weight", "Retain Patient Characteristics"],
  ["deviceIdentity", "Keep the device identity", "Retain Device Identity (manufacturer's model, serial numbers, station)"],
  ["cleanDescriptors", "Keep descriptions, cleaned", "Clean Descriptors: series and study descriptions kept, with the file's own identifying values, dates and long numbers removed. A name written only in a description survives: read them before sharing"],
];

/** The black-out rectangles: the Rect measurements drawn on acquired images, by series (they apply to every frame of
 * their series). */
export function blackoutRectangles(annotations) {
  const out = {};
  for (const it of annotations.items) {
    if (it.kind !== "rectangle" || it.plane) continue;
    const [[x0, y0], [x1, y1]] = it.points;
    (out[it.series] = out[it.series] || []).push([x0, y0, x1, y1]);
  }
  return out;
}

/** Make the case: `opts` as docs/api.md "Share a case" says → {blob, files, skipped, problems, report, uncompressed}. */
export async function exportCase(client, opts = {}) {
  const r = await client.call("exportCase", opts);
  const blob = new Blob([r.zip], { type: "application/zip" });
  delete r.zip;
  return { ...r, blob };
}

/** The loaded series (de-identified if asked: the same options) stored on a DICOMweb server by STOW-RS, with the
 * bearer token set in the PACS dialog or by venos.dicomweb.setToken → {..., stow: {stored, failed, requests}, links}:
 * a share link per study written, opening it from that server by QIDO-RS/WADO-RS. */
export async function stowCase(client, root, opts = {}) {
  const r = await client.call("stowCase", { root, options: opts });
  const links = r.studies.map((uid) => {
    const u = new URL("index.html", location.href);
    u.search = new URLSearchParams({ dicomweb: String(root).replace(/\/+$/, ""), study: uid }).toString();
    return u.href;
  });
  return { ...r, links };
}


const mb = (n) => `${(n / 1e6).toFixed(n < 1e7 ? 1 : 0)} MB`;

/** Install the Share dialog; `button` opens it. Returns {open, dialog}. */
export function installShare({ client, annotations, button, measurements = () => [] }) {
  const dlg = makeDialog("share-dialog", "Share a case");
  const deid = el("input", { type: "checkbox", id: "share-deid", checked: true });
  const opts = OPTIONS.map(([key, text, title]) => {
    const box = el("input", { type: "checkbox", id: `share-${key}` });
    return { key, box, label: el("label", { title }, box, ` ${text}`) };
  });
  const offset = el("input", { type: "number", id: "share-offset", step: 1, placeholder: "random", "aria-label": "Date shift in days" });
  const withSr = el("input", { type: "checkbox", id: "share-sr", checked: true });
  const srNote = el("span", { class: "muted", id: "share-sr-note" });
  const blackout = el("input", { type: "checkbox", id: "share-blackout" });
  const blackoutNote = el("span", { class: "muted", id: "share-blackout-note" });
  const title = el("input", { type: "text", id: "share-title", value: "Teaching case", maxLength: 200, "aria-label": "Case title" });
  const description = el("input", { type: "text", id: "share-description", maxLength: 2000, placeholder: "What the case teaches (optional)", "aria-label": "Case description" });
  const library = el("input", { type: "file", id: "share-library", accept: ".json,application/json", "aria-label": "A library index to extend (library.json, optional)" });
  const base = el("input", { type: "url", id: "share-base", placeholder: "https://bucket.example/cases/case1/ (optional, for OHIF)", "aria-label": "Public address of the case folder" });
  const flagged = el("ul", { class: "share-flags", id: "share-flags" });
  const go = el("button", { class: "btn primary", type: "button", id: "share-download", text: "Download zip" });
  const stowRoot = el("input", { type: "url", id: "share-stow-root", placeholder: "https://pacs.example/dicom-web", "aria-label": "DICOMweb root to send to" });
  const stowGo = el("button", { class: "btn", type: "button", id: "share-stow", text: "Send" });
  const status = el("p", { class: "muted", id: "share-status", role: "status" });
  const result = el("div", { id: "share-result" });
  dlg.body.append(
    el("p", { class: "muted", text: "Everything happens in this page: the files are written here and downloaded. Nothing is sent, unless you send them to a server below." }),
    el("fieldset", { class: "share-set" }, el("legend", {}, el("label", {}, deid, " De-identify (DICOM PS3.15 Basic Application Level Confidentiality Profile)")),
      el("div", { class: "share-options" }, ...opts.map((o) => o.label),
        el("label", {}, "Date shift (days) ", offset))),
    el("fieldset", { class: "share-set" }, el("legend", { text: "Text burned into the pixels" }), flagged,
      el("label", {}, blackout, " Black out the rectangles drawn with the Rect tool, on every image of their series "), blackoutNote),
    el("label", {}, withSr, " Include the measurements, as a DICOM SR Measurement Report ", srNote),
    el("fieldset", { class: "share-set" }, el("legend", { text: "The case in its library" }),
      el("label", { class: "share-base" }, "Title (shown to everyone: no patient's name) ", title),
      el("label", { class: "share-base" }, "Description ", description),
      el("label", { class: "share-base" }, "Add it to a library already online: its library.json (optional) ", library),
      el("label", { class: "share-base" }, "Where the folder will be served ", base)),
    el("div", { class: "row" }, go),
    el("fieldset", { class: "share-set" }, el("legend", { text: "Or send to a DICOMweb server (STOW-RS)" }),
      el("div", { class: "row" }, stowRoot, stowGo),
      el("p", { class: "muted", text: "A bearer token, if the server needs one, is the PACS dialog's (kept in memory only). The server must allow this page (CORS) to POST." })),
    status, result);

  const sync = () => {
    for (const o of opts) o.box.disabled = !deid.checked;
    offset.disabled = !deid.checked || !opts[0].box.checked;
  };
  deid.addEventListener("change", sync);
  opts[0].box.addEventListener("change", sync);

  async function refresh() {
    sync();
    result.replaceChildren();
    status.textContent = "";
    const rects = blackoutRectangles(annotations);
    const n = Object.values(rects).reduce((a, r) => a + r.length, 0);
    blackoutNote.textContent = n ? `(${n} rectangle${n > 1 ? "s" : ""} on ${Object.keys(rects).length} series)` : "(none drawn)";
    blackout.disabled = !n;
    if (!n) blackout.checked = false;
    const m = measurements().length;
    srNote.textContent = m ? `(${m})` : "(none made)";
    withSr.disabled = !m;
    const survey = await client.call("shareSurvey");
    go.disabled = !survey.series.length;
    const items = survey.series.filter((s) => s.burnedIn.length).map((s) => el("li", {},
      el("strong", { text: `${s.modality} ${s.description || "(no description)"}` }), ` — ${s.burnedIn.join("; ")}`,
      rects[s.id] ? "" : el("span", { class: "warn", text: " · nothing blacked out yet" })));
    flagged.replaceChildren(...(items.length ? items : [el("li", { class: "muted", text: survey.series.length
      ? "No series is flagged (no Burned In Annotation, no ultrasound or secondary capture). Look at the images anyway."
      : "Nothing is loaded." })]));
  }

  async function options() {
    const o = { deidentify: deid.checked, baseUrl: base.value.trim(), title: title.value.trim() || "Teaching case",
      description: description.value.trim() };
    if (library.files && library.files[0]) o.library = await library.files[0].text();
    if (deid.checked) {
      for (const x of opts) o[x.key] = x.box.checked;
      if (x0(offset.value)) o.dateOffsetDays = Number(offset.value);
    }
    if (blackout.checked) o.blackout = blackoutRectangles(annotations);
    if (withSr.checked && !withSr.disabled) o.measurements = measurements();
    return o;
  }
  const x0 = (v) => v !== "" && Number.isFinite(Number(v));

  go.addEventListener("click", async () => {
    go.disabled = true;
    status.textContent = "Writing the case…";
    result.replaceChildren();
    try {
      const t0 = performance.now();
      const r = await exportCase(client, await options());
      download(r.blob, `${r.folder}.zip`);
      status.textContent = `${r.files} files, ${mb(r.blob.size)}, in ${((performance.now() - t0) / 1000).toFixed(1)} s: downloaded.`;
      result.append(...summary(r));
    } catch (e) {
      status.textContent = `Not written: ${e.message || e}`;
    } finally {
      go.disabled = false;
    }
  });

  stowGo.addEventListener("click", async () => {
    const root = stowRoot.value.trim();
    if (!root) { status.textContent = "Give the server's DICOMweb root first."; stowRoot.focus(); return; }
    stowGo.disabled = go.disabled = true;
    status.textContent = "Sending…";
    result.replaceChildren();
    const off = client.on("stow", ({ done, total }) => { status.textContent = `Sending… ${done} of ${total} files`; });
    try {
      const r = await stowCase(client, root, await options());
      const ok = r.stow.failed.length === 0;
      status.textContent = ok ? `${r.stow.stored.length} files stored on ${root}.`
        : `${r.stow.stored.length} stored, ${r.stow.failed.length} refused by the server.`;
      result.append(...summary(r), ...r.stow.failed.slice(0, 20).map((f) => el("p", { class: "warn", text: `${f.sop || "a file"}: ${f.reason}` })),
        ...r.links.map((href) => el("input", { class: "share-link", type: "text", readOnly: true, value: href, "aria-label": "Link that opens the stored study" })));
    } catch (e) {
      status.textContent = `Not sent: ${e.message || e}`;
    } finally {
      off();
      stowGo.disabled = go.disabled = false;
    }
  });

  const open = async () => {
    if (!dlg.dialog.open) dlg.dialog.showModal();
    try { await refresh(); } catch (e) { status.textContent = e.message || String(e); }
  };
  button.addEventListener("click", open);
  return { open, dialog: dlg.dialog };
}

/** What was done: the check's verdict, the files skipped, those rewritten, the attributes changed. */
function summary(r) {
  const out = [];
  if (r.deidentified) {
    out.push(el("p", { id: "share-check", class: r.problems.length ? "warn" : "ok", text: r.problems.length
      ? `Check FAILED on ${r.problems.length} point(s): ${r.problems.slice(0, 3).map((p) => `${p.source}: ${p.problem}`).join("; ")}`
      : `Checked: each written file was read back and holds no value the profile removes or replaces, and no private attribute.` }));
  }
  const list = (title, rows) => rows.length && out.push(el("details", {}, el("summary", { text: `${title} (${rows.length})` }),
    el("ul", {}, ...rows.map((t) => el("li", { text: t })))));
  list("Skipped", r.skipped.map((s) => `${s.source}: ${s.reason}`));
  list("Pixels rewritten", r.uncompressed.map((u) => `${u.source}: ${u.note}`));
  if (r.measurements) {
    out.push(el("p", { id: "share-sr-result", text: `Measurements: ${r.measurements.saved} saved in a DICOM SR in the case.` }));
    list("Measurements not saved", r.measurements.notSaved);
  }
  if (r.report) {
    const counts = {};
    for (const st of Object.values(r.report.studies)) {
      for (const row of st.attributes || []) counts[`${row.action}: ${row.keyword || row.tag}`] = (counts[`${row.action}: ${row.keyword || row.tag}`] || 0) + (row.count || 1);
    }
    list("Attributes changed", Object.entries(counts).map(([k, n]) => `${k} (${n})`));
  }
  return out;
}
