// Benchmark probe, installed with Playwright's add_init_script before the page's own scripts run.
// It records when venos.ready resolves and every 'rendered' event, and offers the measurements the Python side
// calls through page.evaluate("__bench.NAME(...)"). It only uses the public window.venos API.
(() => {
  const B = (window.__bench = {
    readyAt: null, readyInfo: null, readyError: null,
    rendered: [], // {t, ms, computeMs}
    files: [],
  });

  // Catch window.venos the moment boot.js assigns it, so ready is timed without polling.
  let api;
  Object.defineProperty(window, "venos", {
    configurable: true,
    get() { return api; },
    set(v) {
      api = v;
      v.ready.then(
        (info) => { B.readyAt = performance.now(); B.readyInfo = info; },
        (e) => { B.readyError = String((e && e.message) || e); });
      v.on("rendered", (d) => {
        if (!d.cameraOnly) B.rendered.push({ t: performance.now(), ms: d.ms, computeMs: d.computeMs });
      });
    },
  });

  B.ready = async () => {
    await window.venos.ready;
    const nav = performance.getEntriesByType("navigation")[0];
    return {
      readyAt: B.readyAt, info: B.readyInfo,
      nav: nav && { responseEnd: nav.responseEnd, domContentLoaded: nav.domContentLoadedEventEnd, load: nav.loadEventEnd },
    };
  };

  /** Fetch data files from the bench server into memory and wrap them as File objects (done before timing). */
  B.makeFiles = async (urls) => {
    const bufs = await Promise.all(urls.map((u) => fetch(u).then((r) => {
      if (!r.ok) throw new Error(`${u}: HTTP ${r.status}`);
      return r.arrayBuffer();
    })));
    B.files = bufs.map((b, i) => new File([b], urls[i].split("/").pop(), { type: "application/dicom" }));
    return { count: B.files.length, bytes: bufs.reduce((s, b) => s + b.byteLength, 0) };
  };

  const nextRendered = (after) => new Promise((resolve) => {
    const off = window.venos.on("rendered", (d) => {
      if (d.cameraOnly) return;
      const t = performance.now();
      if (t >= after) { off(); resolve({ t, ms: d.ms, computeMs: d.computeMs }); }
    });
  });

  /** Hand the in-memory files to venos.load(); time to first drawn image and to the end of loading. */
  B.loadTimed = async () => {
    const t0 = performance.now();
    const first = nextRendered(t0);
    const summary = await window.venos.load(B.files);
    const t1 = performance.now();
    const f = await first;
    return { firstImageMs: f.t - t0, firstRender: f, loadMs: t1 - t0, summary, stats: await window.venos.stats() };
  };

  /** n window changes with distinct windows, one after another; each awaited until drawn. */
  B.windowSweep = async (n, { center, width }) => {
    const out = [];
    for (let i = 0; i < n; i++) {
      const c = center + ((i * 37) % 400) - 200 + i * 0.25;
      const w = Math.max(2, width + ((i * 53) % 600) - 300 + i * 0.5);
      const r = nextRendered(performance.now());
      const t0 = performance.now();
      await window.venos.setViewState({ center: c, width: w });
      const t1 = performance.now();
      const ev = await r;
      out.push({ callMs: t1 - t0, eventMs: ev.ms, computeMs: ev.computeMs });
    }
    return out;
  };

  // ---------------------------------------------------------------------------------------- main-thread monitor
  let mon = null;
  B.monitorStart = () => {
    mon = { gaps: [], longtasks: [], last: performance.now(), running: true, obs: null };
    const tick = (t) => {
      if (!mon || !mon.running) return;
      mon.gaps.push(t - mon.last);
      mon.last = t;
      requestAnimationFrame(tick);
    };
    requestAnimationFrame(tick);
    try {
      mon.obs = new PerformanceObserver((list) => {
        for (const e of list.getEntries()) mon.longtasks.push({ start: e.startTime, duration: e.duration });
      });
      mon.obs.observe({ type: "longtask" });
    } catch (e) { mon.obs = null; mon.noLongtask = String(e); }
  };
  B.monitorStop = () => {
    const m = mon; mon = null;
    if (!m) return null;
    m.running = false;
    if (m.obs) { for (const e of m.obs.takeRecords()) m.longtasks.push({ start: e.startTime, duration: e.duration }); m.obs.disconnect(); }
    return { gaps: m.gaps, longtasks: m.longtasks, longtaskSupported: !m.noLongtask };
  };

  /**
   * Start loading the in-memory files and, from the first drawn image until loading ends, issue one view-state
   * call at a time (alternating a scroll to another slice and a window change), as a user scrolling or dragging
   * would; record each call's latency (call → drawn) and the main thread's longest stalls.
   */
  B.interactDuringLoad = async ({ pauseMs = 30, slices = 28 } = {}) => {
    B.monitorStart();
    const t0 = performance.now();
    const first = nextRendered(t0);
    let done = false, summary = null;
    const loading = window.venos.load(B.files).then((s) => { summary = s; done = true; });
    const f = await first;
    const calls = [];
    let i = 0;
    while (!done) {
      const kind = i % 2 ? "window" : "scroll";
      const patch = kind === "scroll" ? { slice: (i * 37) % slices } : { center: 40 + (i % 50), width: 80 + 3 * (i % 70) };
      const a = performance.now();
      await window.venos.setViewState(patch);
      calls.push({ kind, at: a - t0, ms: performance.now() - a, duringLoad: !done });
      i++;
      await new Promise((r) => setTimeout(r, pauseMs));
    }
    await loading;
    const loadMs = performance.now() - t0;
    const m = B.monitorStop();
    for (const lt of m.longtasks) lt.start -= t0; // relative to the load() call
    return { firstImageMs: f.t - t0, loadMs, summary, calls, ...m };
  };

  B.stats = () => window.venos.stats();
})();
