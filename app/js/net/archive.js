// The runtime's own archives (the Python site, numpy), fetched by the page for the worker: checked against the
// build's sha256 and unpacked here, on the page's thread, while the worker's is busy starting the interpreter. The
// worker then only writes the files (runtime.js), where unpacking them in Python took 0.1–0.2 s each on its thread
// (measured: bench/coldlink.py's stages).

import { zipDirectory } from "./zip.js";

/** Throws {code: "integrity"} unless the bytes have the sha256 the build recorded. */
export async function checkSha256(buf, expected, url) {
  const digest = await crypto.subtle.digest("SHA-256", buf);
  const hex = [...new Uint8Array(digest)].map((b) => b.toString(16).padStart(2, "0")).join("");
  if (hex !== expected) throw { code: "integrity", message: `${url}: sha256 ${hex} does not match ${expected}` };
}

/** Throws unless `name` stays inside the folder a zip unpacks into (no absolute path, no `..`). */
function inside(name) {
  if (name.startsWith("/") || name.split("/").includes("..")) throw new Error(`${name}: outside the folder it unpacks into`);
}

/** Every file of a zip, in one buffer that can be transferred: {names, ends (byte offsets), data}. A name that
 * would leave the folder it unpacks into is refused. */
export async function unpackFiles(buf) {
  const entries = zipDirectory(buf);
  const bodies = await Promise.all(entries.map((e) => e.read()));
  const names = entries.map((e) => e.name);
  names.forEach(inside);
  const ends = [];
  let total = 0;
  for (const b of bodies) ends.push((total += b.byteLength));
  const data = new Uint8Array(total);
  bodies.forEach((b, i) => data.set(b, i ? ends[i - 1] : 0));
  return { names, ends, data: data.buffer };
}

/** Write what unpackFiles() gave under `where` in Pyodide's file system (the bytes are kept, not copied). */
export function writeFiles(FS, files, where) {
  const made = new Set();
  let start = 0;
  files.names.forEach((name, i) => {
    inside(name); // checked again here: the names crossed a message from the page
    const path = `${where}/${name}`;
    const dir = path.slice(0, path.lastIndexOf("/"));
    if (!made.has(dir)) {
      FS.mkdirTree(dir);
      made.add(dir);
    }
    FS.writeFile(path, new Uint8Array(files.data, start, files.ends[i] - start), { canOwn: true });
    start = files.ends[i];
  });
  return files.names.length;
}
