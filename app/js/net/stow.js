// STOW-RS (DICOM PS3.18 10.5): store DICOM files on a DICOMweb server with POST {root}/studies, a
// multipart/related body of application/dicom parts. Runs in the worker, where the bearer token lives
// (net/remote.js lends its headers); the token never leaves them.

const ACCEPT = "application/dicom+json, application/json;q=0.9";
const BATCH_BYTES = 16 * 1024 * 1024; // one request holds files up to this much (a single larger file goes alone)

/** Files (each `{name, data: Uint8Array}`) in request-sized groups. */
export function batches(files, limit = BATCH_BYTES) {
  const out = [];
  let cur = [], size = 0;
  for (const f of files) {
    if (cur.length && size + f.data.byteLength > limit) { out.push(cur); cur = []; size = 0; }
    cur.push(f);
    size += f.data.byteLength;
  }
  if (cur.length) out.push(cur);
  return out;
}

/** A multipart/related body of application/dicom parts, and its Content-Type. */
export function multipart(files) {
  const boundary = `venos-${crypto.randomUUID()}`;
  const parts = [];
  for (const f of files) parts.push(`--${boundary}\r\nContent-Type: application/dicom\r\n\r\n`, f.data, "\r\n");
  parts.push(`--${boundary}--\r\n`);
  return { body: new Blob(parts), type: `multipart/related; type="application/dicom"; boundary=${boundary}` };
}

const uidOf = (item, tag) => (item && item[tag] && item[tag].Value ? String(item[tag].Value[0]) : "");

/** What a STOW-RS answer says: stored and failed instances (PS3.18 Table 10.5.3-1; failure reasons of
 * PS3.4 Annex GG), and warnings. */
export function readAnswer(status, json) {
  const doc = json && typeof json === "object" ? json : {};
  const seq = (tag) => (doc[tag] && Array.isArray(doc[tag].Value) ? doc[tag].Value : []);
  const stored = seq("00081199").map((i) => uidOf(i, "00081155"));
  const failed = seq("00081198").map((i) => ({ sop: uidOf(i, "00081155"),
    reason: `failure reason ${i["00081197"] && i["00081197"].Value ? `0x${Number(i["00081197"].Value[0]).toString(16).toUpperCase()}` : "not given"}` }));
  return { status, stored, failed };
}

/**
 * Store `files` under `root` (the DICOMweb root, e.g. https://pacs/dicom-web). `headers()` gives the
 * Authorization header when a token is set. Resolves {stored, failed, requests}; rejects {code, message} when
 * the server refuses a request outright (network, CORS, 4xx/5xx other than STOW's own answers).
 */
export async function stow({ root, files, headers = () => ({}), onProgress = () => {} }) {
  const url = `${String(root).replace(/\/+$/, "")}/studies`;
  let where;
  try { where = new URL(url); } catch { throw { code: "source", message: `not a DICOMweb root: ${root}` }; }
  const loopback = /^(localhost|127(\.\d+){3}|\[::1\])$/.test(where.hostname);
  // images (and a token) never travel in clear text, except to this machine
  if (where.protocol !== "https:" && !(where.protocol === "http:" && loopback)) {
    throw { code: "source", message: `${root}: images are sent only over https (or to this machine)` };
  }
  const out = { stored: [], failed: [], requests: 0 };
  let sent = 0;
  for (const group of batches(files)) {
    const { body, type } = multipart(group);
    let res;
    try {
      res = await fetch(url, { method: "POST", body, headers: { ...headers(), "Content-Type": type, Accept: ACCEPT } });
    } catch (e) {
      throw { code: "network", message: `${url}: the server could not be reached, or it does not allow this page (CORS) to POST: ${e.message || e}` };
    }
    out.requests++;
    let json = null;
    try { json = await res.json(); } catch { /* some servers answer without a body */ }
    if (![200, 202, 409].includes(res.status)) {
      const why = res.status === 401 || res.status === 403 ? "the server wants a (different) bearer token"
        : res.status === 413 ? "the request is larger than the server accepts" : res.statusText || "refused";
      throw { code: "http", message: `${url}: HTTP ${res.status}: ${why}` };
    }
    const a = readAnswer(res.status, json);
    // a server that answers 200 without listing the instances stored them all (PS3.18 10.5.3)
    out.stored.push(...(a.stored.length || res.status !== 200 ? a.stored : group.map((f) => f.name)));
    out.failed.push(...a.failed);
    sent += group.length;
    onProgress(sent, files.length);
  }
  return out;
}
