// The page's first script: a classic script loaded with `async` at the top of index.html, with no imports, so it runs
// the moment it arrives — before the stylesheet and the UI's module graph — and starts the Python worker at once. It
// hands the worker the build's description (inlined into index.html by build.py, so no request for it) and, when
// the address is a share link, asks for the case in the same breath, so the manifest and the first slice are on the
// wire while the runtime still downloads. boot.js picks all this up from `window.__venosEarly` (messages that
// arrive before it has loaded wait in `inbox`).

(() => {
  const here = document.currentScript ? document.currentScript.src : location.href;
  const worker = new Worker(new URL("worker.js", here), { type: "module" });
  const inbox = [];
  worker.onmessage = (ev) => inbox.push(ev.data);
  let crashed = null;
  worker.onerror = (ev) => { crashed = ev.message || "the Python worker failed to start"; };

  const inline = document.getElementById("venos-runtime");
  let runtime = null;
  try { runtime = inline ? JSON.parse(inline.textContent) : null; } catch { runtime = null; }
  // a page the service worker serves gets the runtime from Cache Storage: the link is the case's from the start
  const controlled = !!(navigator.serviceWorker && navigator.serviceWorker.controller);
  worker.postMessage({ boot: { runtime, controlled } });

  // index.html?sample: the build's sample case (build.py), opened like a share link of it, which the address becomes
  if (runtime && runtime.sample && /[?&]sample(=|&|$)/.test(location.search)) {
    const u = new URL(location.href);
    u.searchParams.delete("sample");
    u.searchParams.set("manifest", new URL(runtime.sample.manifest, location.href).href);
    history.replaceState(history.state, "", u.href);
  }

  // id 1 is the case of the page's own address; rpc.js numbers its calls from 2.
  const CASE_ID = 1;
  const caseRequested = /[?&](manifest|url|dicomweb|dicomdir)=/.test(location.search);
  if (caseRequested) worker.postMessage({ id: CASE_ID, method: "openLink", args: { href: location.href } });

  window.__venosEarly = { worker, inbox, runtime, caseId: caseRequested ? CASE_ID : 0, crashed: () => crashed };
  window.dispatchEvent(new Event("venos-early"));
})();
