// The case library (the 2014 "cross-domain cloud case file" dialog, re-made): a JSON index hosted on any origin,
//
//   {"title": "Teaching cases", "cases": [{"title": "…", "description": "…", "modality": "CT",
//     "thumbnail": "thumbs/1.jpg", "manifest": "case1/manifest.json"}]}      (or just the array of cases)
//
// browsed and searched here, one click to open. Addresses are resolved against the index's own address; only
// http(s) manifests and http(s)/data:image thumbnails are used; every text is shown as text.

import { el, makeDialog } from "./dom.js";

let dlg = null;

export function parseIndex(text, indexUrl) {
  let doc;
  try { doc = JSON.parse(text); } catch (e) { throw new Error(`the case index is not JSON: ${e.message}`); }
  const list = Array.isArray(doc) ? doc : doc && Array.isArray(doc.cases) ? doc.cases : null;
  if (!list) throw new Error("the case index has no 'cases' list");
  const abs = (v, image) => {
    if (typeof v !== "string" || !v.trim()) return "";
    try {
      const u = new URL(v.trim(), indexUrl);
      if (u.protocol === "http:" || u.protocol === "https:") return u.href;
      if (image && u.protocol === "data:" && /^data:image\/(png|jpeg|gif|webp);/i.test(v.trim())) return u.href;
    } catch { /* not an address */ }
    return "";
  };
  const str = (v) => (typeof v === "string" ? v : v == null ? "" : String(v)).slice(0, 2000);
  const cases = list.filter((c) => c && typeof c === "object").slice(0, 5000).map((c) => ({
    title: str(c.title) || "Untitled case", description: str(c.description), modality: str(c.modality),
    thumbnail: abs(c.thumbnail, true), manifest: abs(c.manifest || c.url, false),
  })).filter((c) => c.manifest);
  return { title: str(doc && doc.title), cases };
}

function matches(c, words) {
  const hay = `${c.title} ${c.description} ${c.modality}`.toLowerCase();
  return words.every((w) => hay.includes(w));
}

export async function openLibrary({ viewer, open, url }) {
  if (!dlg) dlg = build(viewer, open);
  dlg.dialog.showModal();
  if (url) {
    dlg.urlField.value = url;
    await dlg.load(url);
  }
  return dlg;
}

function build(viewer, open) {
  const { dialog, body } = makeDialog("library-dialog", "Case library");
  const urlField = el("input", { id: "library-url", type: "url", placeholder: "https://host/cases/index.json", "aria-label": "Case index address" });
  const loadBtn = el("button", { class: "btn", type: "button", text: "Load" });
  const search = el("input", { id: "library-search", type: "search", placeholder: "Search title, description, modality", "aria-label": "Search cases" });
  const status = el("p", { class: "muted", id: "library-status" });
  const list = el("ul", { class: "case-list", id: "library-list" });
  body.append(el("div", { class: "row" }, urlField, loadBtn), search, status, list);
  let cases = [];

  function render() {
    const words = search.value.toLowerCase().split(/\s+/).filter(Boolean);
    const shown = cases.filter((c) => matches(c, words));
    list.replaceChildren(...shown.map((c) => {
      const img = c.thumbnail ? el("img", { alt: "", loading: "lazy", referrerPolicy: "no-referrer", src: c.thumbnail }) : el("div", { class: "thumb-none" });
      const btn = el("button", { class: "btn primary", type: "button", text: "Open" });
      btn.addEventListener("click", () => { dialog.close(); open({ manifest: c.manifest }).catch(() => {}); });
      return el("li", { class: "case" }, img,
        el("div", { class: "case-text" }, el("div", { class: "case-title", text: c.title }),
          el("div", { class: "muted", text: [c.modality, c.description].filter(Boolean).join(" · ") })), btn);
    }));
    status.textContent = `${shown.length} of ${cases.length} cases`;
  }

  async function load(url) {
    status.textContent = "Loading…";
    list.replaceChildren();
    try {
      const abs = new URL(url, location.href).href;
      const text = await viewer.client.call("fetchText", { url: abs });
      const idx = parseIndex(text, abs);
      cases = idx.cases;
      dialog.querySelector("h2").textContent = idx.title ? `Case library — ${idx.title}` : "Case library";
      render();
    } catch (e) {
      cases = [];
      status.textContent = `Cannot load the case index: ${e.message || e}`;
    }
  }

  loadBtn.addEventListener("click", () => urlField.value && load(urlField.value));
  urlField.addEventListener("keydown", (e) => { if (e.key === "Enter") { e.preventDefault(); loadBtn.click(); } });
  search.addEventListener("input", render);
  return { dialog, load, urlField };
}
