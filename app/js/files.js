// Turn what the user drops or picks into a flat list of {file, path}: folders are walked recursively.

/** Files from a drop event's DataTransfer, walking dropped folders. */
export async function filesFromDataTransfer(dt) {
  const entries = [];
  const loose = [];
  for (const item of dt.items || []) {
    if (item.kind !== "file") continue;
    const entry = item.webkitGetAsEntry ? item.webkitGetAsEntry() : null;
    if (entry) entries.push(entry);
    else { const f = item.getAsFile(); if (f) loose.push({ file: f, path: f.name }); }
  }
  if (!entries.length && !loose.length) {
    for (const f of dt.files || []) loose.push({ file: f, path: f.name });
  }
  const out = [...loose];
  for (const e of entries) await walk(e, out);
  return out;
}

async function walk(entry, out) {
  if (entry.isFile) {
    const file = await new Promise((res, rej) => entry.file(res, rej));
    out.push({ file, path: entry.fullPath.replace(/^\//, "") || file.name });
    return;
  }
  if (entry.isDirectory) {
    const reader = entry.createReader();
    // readEntries returns at most ~100 entries per call: keep reading until it returns none.
    for (;;) {
      const batch = await new Promise((res, rej) => reader.readEntries(res, rej));
      if (!batch.length) break;
      for (const child of batch) await walk(child, out);
    }
  }
}

/** Files from an <input type=file> (with or without webkitdirectory). */
export function filesFromInput(input) {
  return [...(input.files || [])].map((f) => ({ file: f, path: f.webkitRelativePath || f.name }));
}

/** Skip obvious non-images quickly (OS metadata files); everything else goes to the parser, which explains. */
export function isHidden(path) {
  const base = path.split("/").pop();
  return base.startsWith(".") || base === "Thumbs.db" || base === "desktop.ini";
}
