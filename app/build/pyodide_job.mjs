// Runs one build step inside the vendored Pyodide under Node:  node pyodide_job.mjs <job.json>
//
// job = { indexURL, env?, archives: [{path, format, extractDir?}], files: [{src, dest}], script, args,
//         outputs: [{src, dest}], snapshot: {dest}? }
// Archives are unpacked with pyodide.unpackArchive, exactly as the browser worker does; `script` is a Python file
// of this folder run with runPython (its text is static, read from disk; `args` reach it as /tmp/job-args.json).
// With `snapshot`, Pyodide starts with _makeSnapshot and the memory snapshot is written after the script ran.

import { readFileSync, writeFileSync, mkdirSync } from "node:fs";
import { dirname } from "node:path";
import { pathToFileURL } from "node:url";

// An uncaught error would make Node print the offending source line: one minified line of several hundred kB.
process.on("uncaughtException", (e) => { console.error(String((e && e.message) || e)); process.exit(1); });
process.on("unhandledRejection", (e) => { console.error(String((e && e.message) || e)); process.exit(1); });

const job = JSON.parse(readFileSync(process.argv[2], "utf8"));
const { loadPyodide } = await import(pathToFileURL(job.indexURL + "pyodide.mjs").href);
const options = { indexURL: job.indexURL, stdout: (s) => console.log(s), stderr: (s) => console.error(s) };
if (job.stdLibURL) options.stdLibURL = job.stdLibURL;
if (job.lockFileURL) options.lockFileURL = job.lockFileURL;
if (job.env) options.env = job.env; // read by the interpreter at start (e.g. PYTHONNODEBUGRANGES)
if (job.snapshot) options._makeSnapshot = true;
const py = await loadPyodide(options);

for (const a of job.archives || []) {
  const bytes = new Uint8Array(readFileSync(a.path));
  py.unpackArchive(bytes, a.format, a.extractDir ? { extractDir: a.extractDir } : {});
}
for (const f of job.files || []) {
  py.FS.mkdirTree(dirname(f.dest));
  py.FS.writeFile(f.dest, new Uint8Array(readFileSync(f.src)));
}
py.FS.writeFile("/tmp/job-args.json", JSON.stringify(job.args || {}));
py.runPython(readFileSync(job.script, "utf8"), { filename: job.script });
for (const o of job.outputs || []) {
  mkdirSync(dirname(o.dest), { recursive: true });
  writeFileSync(o.dest, py.FS.readFile(o.src));
}
if (job.snapshot) {
  const snap = py.makeMemorySnapshot();
  mkdirSync(dirname(job.snapshot.dest), { recursive: true });
  writeFileSync(job.snapshot.dest, snap);
}
