// The series list: one item per series with its thumbnail, grouped by study (date, description) so that a current
// and a prior study of one patient sit apart. A click, Enter or a tap puts the series into the active viewport; an
// item dragged onto a viewport puts it there (boot.js handles the drop). Strings from files go in as textContent.

export const SERIES_TYPE = "application/x-venos-series"; // the drag's data type: a series id

export function fmtDate(da) { return /^\d{8}$/.test(da || "") ? `${da.slice(0, 4)}-${da.slice(4, 6)}-${da.slice(6)}` : da || ""; }

/** `viewer`: the first viewport (its "series" events carry the list); `shown()`: the active viewport's series;
 * `pick(id)`: put a series into the active viewport. Returns {mark()} to re-mark the shown series. */
export function installSeriesList(viewer, ul, { shown, pick }) {
  const thumbs = new Map(); // series id → {slices, image: Promise<ImageData|null>}
  // While files are parsed, a series that has its thumbnail keeps it (each new one costs the worker a file read and
  // a render between files: ~10 % of a 140-file load); the series list the load ends with draws the final one.
  viewer.addEventListener("cleared", () => thumbs.clear());
  viewer.addEventListener("series", (e) => render(e.detail));

  function render(list) {
    ul.replaceChildren();
    const studies = new Map();
    for (const s of list) {
      const k = s.studyUid || `${s.patientId}|${s.studyDate}|${s.studyDescription}`;
      if (!studies.has(k)) studies.set(k, []);
      studies.get(k).push(s);
    }
    const newestFirst = [...studies.values()].sort((a, b) => String(b[0].studyDate || "").localeCompare(String(a[0].studyDate || "")));
    for (const group of newestFirst) {
      if (studies.size > 1) {
        const h = document.createElement("li");
        h.className = "study";
        h.setAttribute("role", "presentation");
        h.textContent = [fmtDate(group[0].studyDate) || "Undated study", group[0].studyDescription].filter(Boolean).join(" · ");
        ul.append(h);
      }
      for (const s of group) ul.append(item(s));
    }
  }

  function item(s) {
    const li = document.createElement("li");
    li.dataset.series = s.id;
    li.tabIndex = 0;
    li.draggable = true;
    li.addEventListener("dragstart", (ev) => {
      ev.dataTransfer.setData(SERIES_TYPE, s.id);
      ev.dataTransfer.effectAllowed = "copy";
    });
    if (s.id === shown()) li.classList.add("active");
    const title = document.createElement("div");
    title.textContent = `${s.modality || "?"} · ${s.description || (s.seriesNumber != null ? `Series ${s.seriesNumber}` : "Unnamed series")}`;
    const sub = document.createElement("div");
    sub.className = "sub";
    sub.textContent = `${s.slices} ${s.slices === 1 ? "image" : "images"} · ${s.columns}×${s.rows}${s.multiframe ? " · multi-frame" : ""}${s.pending ? ` · ${s.slices - s.pending} loaded` : ""}`;
    const who = document.createElement("div");
    who.className = "sub";
    who.textContent = [s.patientName && s.patientName.replace(/\^/g, " "), fmtDate(s.studyDate)].filter(Boolean).join(" · ");
    const thumb = document.createElement("canvas");
    thumb.className = "thumb";
    thumb.width = thumb.height = 1;
    li.append(thumb, title, sub, who);
    drawThumb(thumb, s);
    li.addEventListener("click", () => pick(s.id));
    li.addEventListener("keydown", (ev) => { if (ev.key === "Enter" || ev.key === " ") { ev.preventDefault(); pick(s.id); } });
    return li;
  }

  function drawThumb(canvas, s) {
    let t = thumbs.get(s.id);
    if (!t || (t.slices !== s.slices && !viewer.loadingFiles)) {
      const image = viewer.client.call("thumbnail", { series: s.id, size: 64 })
        .then((r) => (r.rgba ? new ImageData(r.rgba, r.meta.width, r.meta.height) : null), () => null);
      t = { slices: s.slices, image };
      thumbs.set(s.id, t);
    }
    t.image.then((img) => {
      if (!img) return;
      canvas.width = img.width;
      canvas.height = img.height;
      canvas.getContext("2d").putImageData(img, 0, 0);
    });
  }

  return { mark: () => { for (const li of ul.children) li.classList.toggle("active", li.dataset.series === shown()); } };
}
