// The first instance a case manifest lists, found in its text before the whole of it is read: the worker guesses it
// as the manifest streams in (net/remote.js), the page on a repeat visit as soon as the manifest is in (start.js),
// so that slice is on the wire before Python has read the manifest. Only a guess: Python plans the case
// (venos/sources/manifest.py), and a wrong guess costs one request.

/** An instance address of a manifest as an absolute http(s) URL (loader prefixes such as "wadouri:" removed), or
 * null. */
export function instanceAddress(raw, base) {
  try {
    const u = new URL(String(raw).replace(/^(dicomweb|wadouri|wadors|dicomfile):/i, ""), base);
    return u.protocol === "http:" || u.protocol === "https:" ? u.href : null;
  } catch { return null; }
}

/** The first `"url"` after `"instances"` in the manifest's text (or its first part), absolute against `base`:
 * undefined while the text does not show one yet, null when the one it shows is no usable address. */
export function firstInstance(text, base) {
  const at = text.indexOf('"instances"');
  const m = at >= 0 ? /"url"\s*:\s*"((?:[^"\\]|\\.)*)"/.exec(text.slice(at)) : null;
  if (!m) return undefined;
  try {
    return instanceAddress(JSON.parse(`"${m[1]}"`), base);
  } catch { return null; }
}
