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
  if (caseRequested && controlled && runtime) fetchEarly(worker, here);
  if (caseRequested) worker.postMessage({ id: CASE_ID, method: "openLink", args: { href: location.href } });

  window.__venosEarly = { worker, inbox, runtime, controlled, caseId: caseRequested ? CASE_ID : 0, crashed: () => crashed };
  window.dispatchEvent(new Event("venos-early"));

  // A repeat visit of a manifest link: the runtime comes from the service worker's cache, and restoring Python keeps
  // the worker's thread busy for most of a second, so it could ask for the case only between its steps. This page
  // asks for the manifest and the slice it shows first (unless the link names another view) and hands the bytes
  // over, announcing each first (worker.js, early; net/remote.js takes them as its own requests' answers, and asks
  // again itself if one failed). Requests as the worker's: CORS, no credentials, no token (a link carries none).
  function fetchEarly(worker, here) {
    const q = new URLSearchParams(location.search);
    // the address as the worker will ask for it (link.js): only an absolute one, written as a browser writes it
    const manifest = q.getAll("manifest").length === 1 ? q.get("manifest") : null;
    if (!manifest || absoluteHttp(manifest) !== manifest) return;
    const named = /(^|[#&])(series|sop|slice|set)=/.test(location.hash);
    const guessing = named ? null : import(new URL("net/firstinstance.js", here).href).catch(() => null);
    const accept = "application/json, text/plain;q=0.9, */*;q=0.5"; // net/remote.js's for a manifest
    worker.postMessage({ early: { urls: [manifest] } });
    fetchFor(manifest, accept).then(async (got) => {
      const mod = got && guessing && await guessing;
      // (against the link's address, as the worker's guess: the same string, or it would not be taken)
      const first = mod ? mod.firstInstance(new TextDecoder().decode(got.buf), manifest) : null;
      if (first) worker.postMessage({ early: { urls: [first] } }); // before the manifest, whose plan asks for it
      post(worker, got || { url: manifest, error: { code: "early", message: "" } });
      if (first) fetchFor(first, "").then((s) => post(worker, s || { url: first, error: { code: "early", message: "" } }));
    });
  }
  function absoluteHttp(raw) {
    try {
      const u = new URL(raw, location.href);
      return u.protocol === "http:" || u.protocol === "https:" ? u.href : null;
    } catch { return null; }
  }
  const EARLY_MAX = 64 * 2 ** 20; // a bigger answer is left to the worker's own request and its limits
  /** {url, buf, contentType, finalUrl}, or null when the request failed (the worker then asks itself). */
  async function fetchFor(url, accept) {
    try {
      const r = await fetch(url, { headers: accept ? { Accept: accept } : {}, mode: "cors", credentials: "omit" });
      if (!r.ok || Number(r.headers.get("Content-Length") || 0) > EARLY_MAX) return null;
      const reader = r.body.getReader();
      const chunks = [];
      let n = 0;
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        n += value.byteLength;
        if (n > EARLY_MAX) { reader.cancel().catch(() => {}); return null; }
        chunks.push(value);
      }
      const buf = await new Blob(chunks).arrayBuffer();
      return { url, buf, contentType: r.headers.get("Content-Type") || "", finalUrl: r.url || url };
    } catch { return null; }
  }
  function post(worker, got) {
    worker.postMessage({ fetched: got }, got.buf ? [got.buf] : []);
  }
})();
