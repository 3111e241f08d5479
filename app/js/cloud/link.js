// Share links. The query says what to open, the fragment how to look at it:
//
//   index.html?manifest=<url>                            an OHIF DICOM JSON manifest or a list of URLs
//   index.html?url=<u1>&url=<u2>[&base=<b>]              DICOM/JPEG/PNG/zip files (relative ones against base)
//   index.html?dicomweb=<root>&study=<uid>[&series=<uid>][&wadouri=<root>]
//   index.html?dicomdir=<url>                            a DICOMDIR; its files are fetched beside it
//   index.html?library=<url>                             a case library, opened in its dialog
//   #series=<SeriesInstanceUID>&set=<n>&slice=<i>&sop=<SOPInstanceUID>&wc=<center>&ww=<width>&invert=1&voi=<fn>
//   &zoom=<z>&pan=<x>,<y>&rot=<90|180|270>&flip=1&plane=<axial|coronal|sagittal|oblique>&angle=<deg>&slab=<mm>&mode=<mip|minip|avg>
//   &layout=<1x2|2x1|2x2|1x3>&active=<i>&v1=<the same keys for viewport 1, URL-encoded>&v2=…&v3=…
//   &sync=<scroll,window,zoom>&lines=<active|all|off>
//   &m=1.<base64url of [[kind, SOPInstanceUID, frame, x1, y1, x2, y2, …], …]>  the measurements (version 1)
//
// The measurements carry only what was drawn (kind, image, points): the page that opens the link measures them
// again on the pixels, so a link can never make the viewer show a number the image does not give.
// The top-level keys are the first viewport's (a link from before layouts opens as it did); v1…v3 carry the others.
// slice is 0-based like the rest of the API; set picks among display sets sharing a series UID (multi-frame
// objects), 0 when absent; sop names the instance shown, so the page can fetch it before Python has sorted the
// series (the slice index alone needs that sort). A token is never part of a link. Pure functions: no DOM, no
// network.

const VOI = new Set(["LINEAR", "LINEAR_EXACT", "SIGMOID"]);
const PLANES = new Set(["axial", "coronal", "sagittal", "oblique"]);
const SLAB_MODES = new Set(["mip", "minip", "avg"]);
const LAYOUTS = new Set(["1x1", "1x2", "2x1", "2x2", "1x3"]);
const SYNC = ["scroll", "window", "zoom"];

/** {spec, view, library} from a page address (any of them may be null). */
export function parseLink(href) {
  const u = new URL(href);
  const q = u.searchParams;
  let spec = null;
  if (q.get("manifest")) spec = { manifest: q.get("manifest") };
  else if (q.getAll("url").length) spec = { urls: q.getAll("url"), ...(q.get("base") ? { base: q.get("base") } : {}) };
  else if (q.get("dicomweb")) {
    spec = { dicomweb: { root: q.get("dicomweb"), study: q.get("study") || "" } };
    if (q.get("series")) spec.dicomweb.series = q.get("series");
    if (q.get("wadouri")) spec.dicomweb.wadoUri = q.get("wadouri");
  } else if (q.get("dicomdir")) spec = { dicomdir: q.get("dicomdir") };
  return { spec, view: parseView(u.hash), library: q.get("library") || null };
}

export function parseView(hash, nested = false) {
  const h = new URLSearchParams(String(hash || "").replace(/^#/, ""));
  if (![...h.keys()].length) return null;
  const num = (k) => {
    if (!h.has(k)) return undefined;
    const v = Number(h.get(k));
    return Number.isFinite(v) ? v : undefined;
  };
  const view = {};
  if (h.get("series")) view.seriesUid = h.get("series");
  if (num("set") !== undefined) view.set = Math.max(0, Math.floor(num("set")));
  if (num("slice") !== undefined) view.slice = Math.max(0, Math.floor(num("slice")));
  if (/^[0-9.]{1,64}$/.test(h.get("sop") || "")) view.sop = h.get("sop");
  if (num("wc") !== undefined && num("ww") !== undefined && num("ww") > 0) { view.center = num("wc"); view.width = num("ww"); }
  if (h.get("invert") === "1") view.invert = true;
  const voi = (h.get("voi") || "").toUpperCase();
  if (VOI.has(voi)) view.voiFunction = voi;
  if (num("zoom") !== undefined && num("zoom") > 0) view.zoom = num("zoom");
  const pan = (h.get("pan") || "").split(",").map(Number);
  if (pan.length === 2 && pan.every(Number.isFinite)) view.pan = pan;
  if ([90, 180, 270].includes(num("rot"))) view.rotate = num("rot");
  if (h.get("flip") === "1") view.flip = true;
  if (PLANES.has(h.get("plane"))) view.plane = h.get("plane");
  if (num("angle") !== undefined) view.angle = num("angle");
  if (num("slab") !== undefined && num("slab") > 0) view.slab = num("slab");
  if (SLAB_MODES.has(h.get("mode"))) view.slabMode = h.get("mode");
  if (nested) return view;
  if (h.get("m")) view.measurements = decodeMeasurements(h.get("m"));
  if (LAYOUTS.has(h.get("layout"))) {
    view.layout = h.get("layout");
    view.viewports = [1, 2, 3].map((i) => (h.get(`v${i}`) ? parseView(h.get(`v${i}`), true) : null));
    if (num("active") !== undefined) view.active = Math.max(0, Math.min(3, Math.floor(num("active"))));
    const sync = (h.get("sync") || "").split(",");
    view.sync = Object.fromEntries(SYNC.map((k) => [k, sync.includes(k)]));
    if (["active", "all", "off"].includes(h.get("lines"))) view.referenceLines = h.get("lines");
  }
  return view;
}

/** What the worker fetches first for a view: {seriesUid, set, slice, sop}, or null when the view names no series. */
export function focusOf(view) {
  if (!view || !view.seriesUid) return null;
  // a reformatted plane's slice index names no file of the series: the files come in their order
  return { seriesUid: view.seriesUid, set: view.set || 0, slice: view.plane ? 0 : view.slice || 0, ...(view.sop ? { sop: view.sop } : {}) };
}

/** The address that reopens `spec` with `view`, on the page at `pageHref`. */
export function buildLink(pageHref, spec, view) {
  const u = new URL(pageHref);
  u.search = "";
  u.hash = "";
  const q = new URLSearchParams();
  if (spec.manifest) q.set("manifest", spec.manifest);
  else if (spec.urls) {
    if (spec.base) q.set("base", spec.base);
    for (const x of spec.urls) q.append("url", x);
  } else if (spec.dicomweb) {
    q.set("dicomweb", spec.dicomweb.root);
    if (spec.dicomweb.study) q.set("study", spec.dicomweb.study);
    if (spec.dicomweb.series) q.set("series", spec.dicomweb.series);
    if (spec.dicomweb.wadoUri) q.set("wadouri", spec.dicomweb.wadoUri);
  } else if (spec.dicomdir) q.set("dicomdir", spec.dicomdir);
  u.search = q.toString();
  if (view) u.hash = viewFragment(view);
  return u.href;
}

const round = (v, d) => Number(Number(v).toFixed(d));

export function viewFragment(v) {
  const h = new URLSearchParams();
  if (v.seriesUid) h.set("series", v.seriesUid);
  if (v.set) h.set("set", String(v.set));
  if (v.slice !== undefined) h.set("slice", String(v.slice));
  if (v.sop) h.set("sop", v.sop);
  if (v.center != null && v.width != null) { h.set("wc", String(round(v.center, 3))); h.set("ww", String(round(v.width, 3))); }
  if (v.invert) h.set("invert", "1");
  if (v.voiFunction) h.set("voi", v.voiFunction);
  if (v.zoom) h.set("zoom", String(round(v.zoom, 4)));
  if (v.pan && (v.pan[0] || v.pan[1])) h.set("pan", `${round(v.pan[0], 2)},${round(v.pan[1], 2)}`);
  if (v.rotate) h.set("rot", String(v.rotate));
  if (v.flip) h.set("flip", "1");
  if (v.plane) h.set("plane", v.plane);
  if (v.plane === "oblique" && v.angle) h.set("angle", String(round(v.angle, 2)));
  if (v.plane && v.slab) { h.set("slab", String(round(v.slab, 2))); h.set("mode", v.slabMode || "mip"); }
  if (v.measurements && v.measurements.length) h.set("m", encodeMeasurements(v.measurements));
  if (v.layout && v.layout !== "1x1") {
    h.set("layout", v.layout);
    if (v.active) h.set("active", String(v.active));
    (v.viewports || []).forEach((w, i) => { if (w) h.set(`v${i + 1}`, viewFragment(w)); });
    const sync = SYNC.filter((k) => v.sync && v.sync[k]);
    if (sync.length) h.set("sync", sync.join(","));
    if (v.referenceLines && v.referenceLines !== "active") h.set("lines", v.referenceLines);
  }
  return h.toString();
}

/** Normalize what venos.open() was given: a share link, a bare address (a manifest), or a spec object. */
export function toSpec(input, pageHref) {
  if (typeof input === "string" || input instanceof URL) {
    const s = String(input).trim();
    let u;
    try { u = new URL(s, pageHref); } catch { throw Object.assign(new Error(`not an address: ${s}`), { code: "source" }); }
    const link = parseLink(u.href);
    if (link.spec) return { spec: link.spec, view: link.view };
    return { spec: { manifest: u.href }, view: null };
  }
  if (!input || typeof input !== "object") throw Object.assign(new Error("venos.open() needs a link, an address or a spec"), { code: "source" });
  const { view = null, ...spec } = input;
  if (spec.url && !spec.urls) { spec.urls = [spec.url]; delete spec.url; }
  if (spec.zip) { spec.urls = [spec.zip]; delete spec.zip; }
  return { spec, view };
}

// ------------------------------------------------------------------------------------------------ measurements
const KINDS = { length: ["l", 2], angle: ["a", 3], ellipse: ["e", 2], rectangle: ["r", 2], bidirectional: ["b", 4] };
const BY_CODE = Object.fromEntries(Object.entries(KINDS).map(([k, [c, n]]) => [c, [k, n]]));
export const MAX_LINK_MEASUREMENTS = 100;
const MAX_ENCODED = 20000; // characters of the m value a link may carry (after "1.")

const b64url = (text) => btoa(String.fromCharCode(...new TextEncoder().encode(text))).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
const unb64url = (s) => new TextDecoder().decode(Uint8Array.from(atob(s.replace(/-/g, "+").replace(/_/g, "/")), (c) => c.charCodeAt(0)));

/** Measurements ({kind, sop, frame, points}) as the link's `m` value; those on no one image (a reformatted plane)
 * cannot be named by a link and are left out. */
export function encodeMeasurements(list) {
  const rows = [];
  let size = 2;
  for (const m of list) {
    const k = KINDS[m.kind];
    if (!k || !m.sop || m.points.length !== k[1] || rows.length >= MAX_LINK_MEASUREMENTS) continue;
    const row = [k[0], m.sop, m.frame || 0, ...m.points.flat().map((x) => round(x, 2))];
    size += JSON.stringify(row).length + 1;
    if (Math.ceil((size * 4) / 3) > MAX_ENCODED) break; // what decodeMeasurements reads; the rest stays out
    rows.push(row);
  }
  return "1." + b64url(JSON.stringify(rows));
}

/** The link's `m` value → [{kind, sop, frame, points}] (anything malformed or of another version: []). */
export function decodeMeasurements(value) {
  const [version, body] = String(value).split(".", 2);
  if (version !== "1" || !body || body.length > MAX_ENCODED) return [];
  let rows;
  try { rows = JSON.parse(unb64url(body)); } catch { return []; }
  if (!Array.isArray(rows)) return [];
  const out = [];
  for (const r of rows.slice(0, MAX_LINK_MEASUREMENTS)) {
    if (!Array.isArray(r) || !BY_CODE[r[0]]) continue;
    const [kind, n] = BY_CODE[r[0]];
    const nums = r.slice(3);
    if (typeof r[1] !== "string" || !/^[0-9.]{1,64}$/.test(r[1]) || !Number.isInteger(r[2]) || r[2] < 0
        || nums.length !== 2 * n || !nums.every((x) => typeof x === "number" && Number.isFinite(x) && Math.abs(x) < 1e6)) continue;
    const points = [];
    for (let i = 0; i < n; i++) points.push([nums[2 * i], nums[2 * i + 1]]);
    out.push({ kind, sop: r[1], frame: r[2], points });
  }
  return out;
}
