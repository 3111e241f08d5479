// Cloud and PACS controls: Open URL, Case library, PACS (DICOMweb) dialogs, Copy link, and the "slice loading"
// badge. Installed into the existing toolbar (Link: the slice bar) by JavaScript, so the page's HTML stays as it is.
// Every string from a manifest, an index, a server or a URL is shown with textContent, never as HTML.

import { CloudSession } from "./session.js";
import { parseLink } from "./link.js";
import { openLibrary } from "./library.js";
import { openDicomweb } from "./dicomweb.js";
import { el, makeDialog } from "./dom.js";

function installStylesheet() {
  const href = new URL("../../css/cloud.css", import.meta.url).href;
  if (![...document.querySelectorAll("link[rel=stylesheet]")].some((l) => l.href === href)) {
    document.head.append(el("link", { rel: "stylesheet", href }));
  }
}

/** Wire the cloud features into the page; returns the additions to window.venos. */
export function installCloud(viewer, { toolbar, viewport, layout = null, onMessage = () => {}, measurements = null }) {
  installStylesheet();
  const session = new CloudSession(viewer, layout);
  session.measurements = measurements; // {list(), place(list)}: what a link carries of the measurements, and back
  const report = (e) => onMessage(e && e.message ? e.message : String(e));
  const open = (input, opts) => session.open(input, opts).catch((e) => { report(e); throw e; });

  // ---------------------------------------------------------------------------------------------- toolbar
  const openBtn = el("button", { class: "btn", id: "open-url", type: "button", text: "URL…", title: "Open DICOM, image, zip or manifest addresses (URLs)" });
  const libBtn = el("button", { class: "btn", id: "open-library", type: "button", text: "Cases…", title: "Browse a case library" });
  const pacsBtn = el("button", { class: "btn", id: "open-pacs", type: "button", text: "PACS…", title: "Search a DICOMweb server (QIDO-RS) and open studies" });
  const linkBtn = el("button", { class: "btn", id: "copy-link", type: "button", text: "Link", title: "Copy a link that opens this case at this view" });
  const anchor = toolbar.querySelector(".grow");
  for (const b of [el("span", { class: "sep" }), openBtn, libBtn, pacsBtn]) toolbar.insertBefore(b, anchor);
  // sharing the view sits with the other ways out (PNG, measurements) in the slice bar; the toolbar keeps one row
  const exportBtn = document.getElementById("export");
  if (exportBtn) exportBtn.before(linkBtn); else toolbar.insertBefore(linkBtn, anchor);

  // ---------------------------------------------------------------------------------------------- open URL
  const openDlg = makeDialog("open-url-dialog", "Open from the web");
  const urlsField = el("textarea", { id: "open-url-text", rows: 6, spellcheck: false, placeholder: "https://host/case/manifest.json\nhttps://host/images/1.dcm\nhttps://host/study.zip" });
  const openHint = el("p", { class: "muted", text: "One address per line: DICOM, JPEG or PNG files, a zip, a DICOMDIR, or one case manifest (OHIF DICOM JSON or a list). The host must allow this page (CORS)." });
  const go = el("button", { class: "btn primary", type: "button", text: "Open" });
  openDlg.body.append(openHint, urlsField, el("div", { class: "row" }, go));
  go.addEventListener("click", () => {
    const lines = urlsField.value.split(/\s+/).map((s) => s.trim()).filter(Boolean);
    if (!lines.length) return;
    openDlg.dialog.close();
    let input;
    if (lines.length === 1 && parseLink(new URL(lines[0], location.href).href).spec) input = lines[0];
    else if (lines.length === 1 && /\.(json|txt)(\?|#|$)/i.test(lines[0])) input = { manifest: lines[0] };
    else if (lines.length === 1 && /(^|\/)DICOMDIR(\?|#|$)/i.test(lines[0])) input = { dicomdir: lines[0] };
    else input = { urls: lines };
    open(input).catch(() => {});
  });
  openBtn.addEventListener("click", () => openDlg.dialog.showModal());

  libBtn.addEventListener("click", () => openLibrary({ viewer, open, url: null }));
  pacsBtn.addEventListener("click", () => openDicomweb({ viewer, open }));

  // ---------------------------------------------------------------------------------------------- copy link
  const linkBox = el("div", { class: "link-box", id: "share-box", hidden: true });
  const linkField = el("input", { id: "share-link", readOnly: true, type: "text", "aria-label": "Link to this view" });
  const linkNote = el("span", { class: "muted", id: "share-note" });
  linkBox.append(linkField, linkNote);
  toolbar.after(linkBox);
  linkBtn.addEventListener("click", async () => {
    const link = session.link();
    linkBox.hidden = false;
    if (!link) {
      linkField.value = "";
      linkNote.textContent = session.localToo ? "Files opened from this computer cannot be put in a link." : "Open a case from the web first.";
      return;
    }
    linkField.value = link;
    linkField.select();
    try {
      await navigator.clipboard.writeText(link);
      linkNote.textContent = "Copied.";
    } catch {
      linkNote.textContent = "Select and copy the link (the clipboard is not available here).";
    }
    linkBox.dispatchEvent(new CustomEvent("linkready", { bubbles: true, detail: link }));
  });

  // ---------------------------------------------------------------------------------------------- loading badge
  const badge = el("div", { class: "slice-loading", id: "slice-loading", hidden: true, role: "status" });
  viewport.append(badge);
  viewer.addEventListener("pending", (e) => {
    const o = e.detail.meta.overlay || {};
    badge.textContent = `Loading slice ${o.slice} / ${o.slices}…`;
    badge.hidden = false;
  });
  for (const t of ["rendered", "cleared", "error"]) viewer.addEventListener(t, () => { badge.hidden = true; });

  // ---------------------------------------------------------------------------------------------- start-up link
  const start = parseLink(location.href);
  // the case of the page's own address, requested by start.js before anything else loaded
  if (viewer.client.startedCase) session.adopt({ ...start, summary: viewer.client.startedCase }).catch(report);
  if (start.library) viewer.ready.then(() => openLibrary({ viewer, open, url: start.library })).catch(() => {});

  const dicomweb = {
    search: (q) => viewer.client.call("dicomwebSearch", q || {}),
    thumbnail: async (q) => {
      const r = await viewer.client.call("dicomwebThumbnail", q || {});
      return r ? new Blob([r.buf], { type: r.type }) : null;
    },
    setToken: (token) => viewer.client.call("setToken", { token: token || "" }).then((r) => r.hasToken),
  };
  return {
    open,
    cancel: () => session.cancel(),
    link: () => session.link(),
    dicomweb,
    net: {
      configure: (o) => viewer.client.call("netConfigure", o || {}),
      stats: () => viewer.client.call("netStats"),
      clearCache: () => viewer.client.call("netClearCache"),
    },
    library: (url) => openLibrary({ viewer, open, url }),
  };
}
