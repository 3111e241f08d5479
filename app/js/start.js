// The page's first script, with no imports of its own so that nothing waits for it: it starts the Python worker at
// once and hands it the build's description (inlined into index.html by build.py, so no request for it), and when
// the address is a share link it asks for the case in the same breath, so the manifest and the first slice are on
// the wire while the runtime still downloads. Messages that arrive before rpc.js has loaded wait in `inbox`.
// boot.js wraps all this in a WorkerClient (one module instance per URL).

const worker = new Worker(new URL("./worker.js", import.meta.url), { type: "module" });
const inbox = [];
worker.onmessage = (ev) => inbox.push(ev.data);
let crashed = null;
worker.onerror = (ev) => { crashed = ev.message || "the Python worker failed to start"; };

const inline = document.getElementById("venos-runtime");
let runtime = null;
try { runtime = inline ? JSON.parse(inline.textContent) : null; } catch { runtime = null; }
worker.postMessage({ boot: { runtime } });

// id 1 is the case of the page's own address; rpc.js numbers its calls from 2.
const CASE_ID = 1;
const caseRequested = /[?&](manifest|url|dicomweb|dicomdir)=/.test(location.search);
if (caseRequested) worker.postMessage({ id: CASE_ID, method: "openLink", args: { href: location.href } });

export const early = { worker, inbox, caseId: caseRequested ? CASE_ID : 0, crashed: () => crashed };
