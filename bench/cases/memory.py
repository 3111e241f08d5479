"""Memory after loading 300 slices (157 MB of 16-bit pixels), from four vantage points.

* the worker's ``venos.stats()``: bytes of decoded pixels Python holds;
* CDP ``Runtime.getHeapUsage`` of the worker: ``backingStorageSize`` (ArrayBuffers, including the WebAssembly
  memory that is Pyodide's heap; it never shrinks) and ``usedSize`` (V8 JS heap);
* ``performance.measureUserAgentSpecificMemory()`` — the page is served with COOP/COEP here so it is
  cross-origin isolated and the API exists; Chromium 156 counts JS heaps per window/worker with it;
* CDP ``Performance.getMetrics`` (main-thread JS heap) and the renderer process's PSS from /proc (everything:
  page, worker, wasm heap, canvas, the File blobs' renderer side).
"""
from __future__ import annotations

from .. import browser
from ..report import Row
from ..server import BenchServer

SET = "ct300"
MB = 1e6


def _uasm(page) -> dict:
    m = page.evaluate("performance.measureUserAgentSpecificMemory ? performance.measureUserAgentSpecificMemory()"
                      " : null")
    if not m:
        return {}
    out = {"total": m["bytes"], "worker": 0, "window": 0}
    for e in m["breakdown"]:
        scopes = {a.get("scope") for a in e["attribution"]}
        if "DedicatedWorkerGlobalScope" in scopes:
            out["worker"] += e["bytes"]
        elif "Window" in scopes:
            out["window"] += e["bytes"]
    return out


def _snapshot(b, page, cdp) -> dict:
    cdp.send("HeapProfiler.collectGarbage")
    metrics = {m["name"]: m["value"] for m in cdp.send("Performance.getMetrics")["metrics"]}
    workers = browser.worker_heap(b)
    uasm = _uasm(page)  # also garbage-collects every heap it measures
    rend = browser.renderer_memory()
    return {"workerHeap": workers[0] if workers else {}, "uasm": uasm,
            "mainJSHeapUsed": metrics.get("JSHeapUsedSize", 0), "renderers": rend,
            "rendererPss": max((r.get("pss", 0) for r in rend), default=0)}


def memory(env) -> list[Row]:
    raw = []
    b = browser.launch(env.pw, extra_args=["--enable-blink-features=ForceEagerMeasureMemory"])
    try:
        with BenchServer(env.dist, env.data_dir, isolated=True) as iso:
            urls = [u.replace(env.server.url, iso.url) for u in env.sets[SET]]
            for i in range(env.runs):
                ctx, page, _ = browser.open_ready(b, iso.url)
                cdp = ctx.new_cdp_session(page)
                cdp.send("Performance.enable")
                ready = _snapshot(b, page, cdp)
                page.evaluate("(u) => __bench.makeFiles(u)", urls)
                before = _snapshot(b, page, cdp)  # the bench's own File objects are in memory from here on
                r = page.evaluate("__bench.loadTimed()")
                after = _snapshot(b, page, cdp)
                stats = page.evaluate("venos.stats()")
                ctx.close()
                raw.append({"ready": ready, "before": before, "after": after, "stats": stats,
                            "loaded": r["summary"], "isolated": True})
                env.log(f"memory run {i + 1}: renderer PSS {ready['rendererPss'] / MB:.0f} MB at ready, "
                        f"+{(after['rendererPss'] - before['rendererPss']) / MB:.0f} MB by loading; "
                        f"pixels {stats['pixels']['pinnedBytes'] / MB:.0f} MB")
    finally:
        b.close()
    env.raw["memory"] = raw

    def col(f):
        return [f(r) / MB for r in raw]

    return [
        Row("memory", "300 slices: decoded pixels held (venos.stats)", "MB",
            col(lambda r: r["stats"]["pixels"]["pinnedBytes"]), note="pinnedBytes; 300 × 512 × 512 × 2 B = 157 MB"),
        Row("memory", "  renderer PSS at ready (/proc)", "MB", col(lambda r: r["ready"]["rendererPss"]),
            note="page + worker + Pyodide heap, one process"),
        Row("memory", "  renderer PSS growth from load()", "MB",
            col(lambda r: r["after"]["rendererPss"] - r["before"]["rendererPss"]),
            note="after load − after the File objects were built"),
        Row("memory", "  worker JS heap (measureUserAgentSpecificMemory)", "MB",
            col(lambda r: r["after"]["uasm"].get("worker", 0)), note="V8 heap only; Chromium leaves wasm memory out"),
        Row("memory", "  window JS heap (measureUserAgentSpecificMemory)", "MB",
            col(lambda r: r["after"]["uasm"].get("window", 0))),
        Row("memory", "  main-thread JS heap used (CDP)", "MB", col(lambda r: r["after"]["mainJSHeapUsed"])),
    ]
