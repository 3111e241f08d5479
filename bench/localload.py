#!/usr/bin/env python3
"""Local loading throughput: VeNOS and DWV side by side, taking turns in the same run, from File objects in memory.

    python bench/localload.py                    # 5 runs, 140-slice CT, VeNOS and DWV 0.36
    python bench/localload.py --runs 3 --no-dwv --data /tmp/venos-bench
    python bench/localload.py --runs 4 --helpers 1   # with one parsing helper (venos.setParsers) started first

Set-up, all on loopback: VeNOS's built ``dist/`` and ``bench/peers`` (DWV 0.36.4 and its dependencies, installed
with ``npm ci`` when missing; page ``dwv-files.html``) are each served by bench/server.py's plain static server,
which also serves the data folder at ``/bench-data/`` (same origin: no CORS, no throttling). The series is
``derive_series`` of bench/remote.py: N slices of 512×512 CT (~526 kB each) made from dcm_qa_ct/GE, in
``<data>/ct<N>/``. No build here unless ``dist/runtime.json`` is missing.

Each run measures both viewers, one after the other, the order alternating between runs (VeNOS first in runs 1, 3, …);
each visit is a brand-new browser context (empty cache, fresh page):
1. open the page and wait until the viewer can load — VeNOS: ``await venos.ready`` (Python, numpy, pydicom up), then
   until its service worker (registered right after ready) is active, up to 30 s, so its install does not run
   during the measurement (``sw_wait_ms``); DWV: ``App.init()`` has run (``window.__loadFiles`` exists);
2. fetch the N slice files in the page into ArrayBuffers and wrap them as ``File``s (like a drop), then wait
   ``--settle`` s (default 1) — all before the clock starts;
3. start the clock (``performance.now()`` in the page, just before the call) and hand the Files over —
   VeNOS: ``venos.load(files)``; DWV: ``app.loadFiles(files)`` (bench/peers/dwv-files.js).

Figures, per visit, in ms from the call:
* first image — VeNOS: its first ``rendered`` event (a frame drawn on the canvas; camera-only redraws and error
  frames do not count); DWV: its first ``renderend`` (ViewLayer.draw(), right after drawImage() put the slice on
  the layer's canvas; the App renders on the first ``loaditem``).
* all loaded — VeNOS: the ``load()`` promise resolved (every file parsed in the worker, summary returned); DWV:
  its ``load`` event (every file read and parsed; ``loadend`` if some failed, then ``errors`` says why).
* slices/s — N ÷ all loaded (s).
* ratio — VeNOS slices/s ÷ DWV slices/s within each run (same machine moment), and its median. Target ≥ 1.1.
* neighbours — CPU (in cores) that other processes used during the timed part (bench/noise.py), from the call to
  the end: on this shared 2-core machine a neighbour's work can halve a figure.
VeNOS visits also record ``venos.stats()`` after the load, the load summary (``pythonMs``, ``workerBusyMs``, …)
and a note of ``venos.series()`` (expected: one series of N slices); DWV visits the image size DWV built
([columns, rows, slices]) and items loaded. Prints a table; writes JSON to bench/results/localload-<time>.json.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import browser  # noqa: E402
from bench.coldlink import PEERS, ensure_peers  # noqa: E402
from bench.noise import Neighbours  # noqa: E402
from bench.remote import DIST, derive_series  # noqa: E402
from bench.server import BenchServer  # noqa: E402

LABELS = {"venos": "VeNOS", "dwv": "DWV 0.36"}
TARGET_RATIO, TARGET_FIRST_MS = 1.1, 100

MAKE_FILES = """async (urls) => {
  const bufs = await Promise.all(urls.map((u) => fetch(u).then((r) => {
    if (!r.ok) throw new Error(`${u}: HTTP ${r.status}`);
    return r.arrayBuffer();
  })));
  window.__files = bufs.map((b, i) => new File([b], urls[i].split("/").pop(), { type: "application/dicom" }));
  return { count: bufs.length, bytes: bufs.reduce((s, b) => s + b.byteLength, 0) };
}"""

VENOS_READY = """async (limit) => {
  const info = await window.venos.ready;
  const t = performance.now();
  let sw = null;
  if ('serviceWorker' in navigator) {
    sw = await Promise.race([navigator.serviceWorker.ready.then(() => performance.now() - t),
                             new Promise((r) => setTimeout(() => r(null), limit))]);
  }
  return { ready_ms: t, sw_wait_ms: sw, timings: info && info.timings };
}"""

VENOS_LOAD = """async (limit) => {
  const files = window.__files, t = {};
  let summary = null, error = null;
  const off = window.venos.on('rendered', (d) => {
    if (t.first === undefined && !d.cameraOnly && !(d.meta && d.meta.error)) t.first = performance.now();
  });
  t.call = performance.now();
  try {
    summary = await Promise.race([window.venos.load(files),
      new Promise((_, no) => setTimeout(() => no(new Error(`no end of load within ${limit} ms`)), limit))]);
  } catch (e) { error = String((e && e.message) || e); }
  t.all = performance.now();
  for (let i = 0; i < 100 && t.first === undefined; i++) await new Promise((r) => setTimeout(r, 20));
  off();
  const series = (await window.venos.series()).map((s) => ({ modality: s.modality, slices: s.slices,
    pending: s.pending || 0, rows: s.rows, columns: s.columns, sortedBy: s.sortedBy }));
  return { t, summary, error, series, stats: await window.venos.stats() };
}"""

DWV_LOAD = """async (limit) => Promise.race([window.__loadFiles(window.__files),
  new Promise((r) => setTimeout(() => r(Object.assign(JSON.parse(JSON.stringify(window.__peer)),
                                                      { timeout: true })), limit))])"""


def visit(b, name: str, url: str, data_urls: list[str], settle_s: float, timeout_s: float,
          helpers: int | None = None) -> dict:
    """One visit in a new context: open, ready, Files in memory, then the timed load (see the docstring)."""
    ctx = b.new_context(viewport=browser.VIEWPORT)
    errors: list[str] = []
    try:
        page = ctx.new_page()
        page.on("pageerror", lambda e: errors.append(str(e)[:300]))
        page.goto(url, timeout=timeout_s * 1000)
        row: dict = {"viewer": name, "started": time.strftime("%H:%M:%S")}
        if name == "venos":
            page.wait_for_function("() => !!window.venos", timeout=timeout_s * 1000)
            row.update(page.evaluate(VENOS_READY, 30_000))
        else:
            page.wait_for_function("() => typeof window.__loadFiles === 'function'", timeout=timeout_s * 1000)
            row["ready_ms"] = page.evaluate("() => window.__peer.t.ready")
        if name == "venos" and helpers is not None:  # parsing helpers (venos.setParsers): started, then warmed up
            page.evaluate("(n) => venos.setParsers(n)", helpers)
            for _ in range(600):
                p = page.evaluate("venos.setParsers()")
                if p["up"] >= helpers or p["failures"]:
                    break
                page.wait_for_timeout(100)
            row["parsers"] = p
        row["files"] = page.evaluate(MAKE_FILES, data_urls)
        page.wait_for_timeout(settle_s * 1000)
        with Neighbours() as nb:
            r = page.evaluate(VENOS_LOAD if name == "venos" else DWV_LOAD, timeout_s * 1000)
        row["neighbours"] = round(nb.share, 2)
        t = r["t"]
        end = t.get("all") if name == "venos" else t.get("load", t.get("loadend"))
        n = len(data_urls)
        row["first_ms"] = None if t.get("first") is None else round(t["first"] - t["call"], 1)
        row["all_ms"] = None if end is None else round(end - t["call"], 1)
        row["slices_per_s"] = round(n / (row["all_ms"] / 1000), 1) if row["all_ms"] else None
        if name == "venos":
            ser = r["series"]
            row.update(summary=r["summary"], error=r["error"], stats=r["stats"], series=ser,
                       series_note=f"{len(ser)} series: " + ", ".join(
                           f"{s['modality']} {s['columns']}×{s['rows']} × {s['slices']} slices"
                           + (f" ({s['pending']} pending)" if s["pending"] else "") + f", by {s['sortedBy']}"
                           for s in ser))
            ok = r["error"] is None and (r["summary"] or {}).get("loaded") == n and ser and ser[0]["slices"] == n
        else:
            row.update(items=r["items"], size=r.get("size"), errors=r["errors"][:5], timeout=r.get("timeout", False),
                       all_event="load" if "load" in t else "loadend")
            ok = r["items"] == n and "load" in t and (r.get("size") or [0, 0, 0])[-1] == n
        row["complete"] = bool(ok)
        row["page_errors"] = errors[:5]
        return row
    finally:
        ctx.close()


def machine() -> dict:
    cpu = next((ln.split(":", 1)[1].strip() for ln in Path("/proc/cpuinfo").read_text().splitlines()
                if ln.startswith("model name")), platform.processor())
    return {"nproc": len(os.sched_getaffinity(0)), "cpu_count": os.cpu_count(), "cpu": cpu,
            "chromium": browser.chromium_version(), "python": platform.python_version(),
            "platform": platform.platform()}


def cell(vals: list, fmt: str) -> str:
    vals = [v for v in vals if v is not None]
    if not vals:
        return "—"
    med = fmt.format(statistics.median(vals))
    return med if len(vals) == 1 else f"{med} [{fmt.format(min(vals))}–{fmt.format(max(vals))}]"


def ratios(runs: list[dict]) -> list[float]:
    return [round(r["venos"]["slices_per_s"] / r["dwv"]["slices_per_s"], 3) for r in runs
            if r.get("venos", {}).get("slices_per_s") and r.get("dwv", {}).get("slices_per_s")]


def table(runs: list[dict], names: list[str], n: int) -> str:
    lines = [f"{'figure (median [min–max])':<30}" + "".join(f"{LABELS[v]:>26}" for v in names)]
    for key, label, fmt in [("first_ms", "first image (ms)", "{:.0f}"), ("all_ms", f"all {n} loaded (ms)", "{:.0f}"),
                            ("slices_per_s", "slices/s", "{:.0f}"), ("neighbours", "neighbours (cores)", "{:.2f}")]:
        lines.append(f"{label:<30}" + "".join(f"{cell([r[v].get(key) for r in runs if v in r], fmt):>26}"
                                              for v in names))
    lines.append(f"{'complete visits':<30}" + "".join(
        f"{sum(1 for r in runs if r.get(v, {}).get('complete'))}/{len(runs):>1}".rjust(26) for v in names))
    rs = ratios(runs)
    if rs:
        lines.append(f"{'VeNOS/DWV slices/s per run':<30}{', '.join(f'{x:.2f}' for x in rs)}   "
                     f"median {statistics.median(rs):.2f} (target ≥ {TARGET_RATIO})")
    firsts = [r["venos"]["first_ms"] for r in runs if r.get("venos", {}).get("first_ms") is not None]
    if firsts:
        lines.append(f"{'VeNOS first image':<30}median {statistics.median(firsts):.0f} ms "
                     f"(target ≤ {TARGET_FIRST_MS} ms)")
    return "\n".join(lines)


def progress(head: str, r: dict) -> str:
    line = (f"{head}: first {r['first_ms']} ms, all {r['all_ms']} ms, {r['slices_per_s']} slices/s, "
            f"neighbours {r['neighbours']}, complete {r['complete']}")
    if r["viewer"] == "venos":
        s = r.get("summary") or {}
        line += (f"; sw wait {r.get('sw_wait_ms') and round(r['sw_wait_ms'])} ms; pythonMs {s.get('pythonMs')}, "
                 f"workerBusyMs {s.get('workerBusyMs')}, helped {s.get('helped')}; {r['series_note']}")
        if r.get("error"):
            line += f"\n  error: {r['error']}"
    else:
        line += f"; {r['items']} items, size {r['size']}, end event {r['all_event']}"
        if r["errors"] or r["timeout"]:
            line += f"\n  errors: {r['errors']} timeout {r['timeout']}"
    if r["page_errors"]:
        line += f"\n  page errors: {r['page_errors']}"
    return line


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=5)
    ap.add_argument("--slices", type=int, default=140)
    ap.add_argument("--no-dwv", action="store_true", help="VeNOS only")
    ap.add_argument("--data", type=Path, default=Path(os.environ.get("VENOS_BENCH_DATA", "/tmp/venos-bench")))
    ap.add_argument("--settle", type=float, default=1.0, help="s to wait after the Files are made, before the clock")
    ap.add_argument("--helpers", type=int, default=None,
                    help="VeNOS's parsing helpers (venos.setParsers(n)); default: the viewer's own choice")
    ap.add_argument("--timeout", type=float, default=180.0, help="s per step of a visit")
    args = ap.parse_args(argv)
    from playwright.sync_api import sync_playwright

    if not (DIST / "runtime.json").exists():
        print("no dist/runtime.json: building VeNOS", flush=True)
        subprocess.run([sys.executable, str(ROOT / "build.py")], cwd=ROOT, check=True,
                       env={**os.environ, "VENOS_CACHE": os.environ.get("VENOS_CACHE", str(ROOT / ".cache"))})
    names = ["venos"] + ([] if args.no_dwv else ["dwv"])
    if "dwv" in names:
        ensure_peers()
    n = args.slices
    files = derive_series(n, args.data)
    slice_bytes = sum((args.data / f"ct{n}" / f).stat().st_size for f in files) / n
    servers = {"venos": BenchServer(DIST, args.data).__enter__()}
    if "dwv" in names:
        servers["dwv"] = BenchServer(PEERS, args.data).__enter__()
    pages = {"venos": "index.html", "dwv": "dwv-files.html"}
    runs: list[dict] = []
    try:
        with sync_playwright() as pw:
            b = browser.launch(pw)
            for i in range(args.runs):
                run: dict = {}
                for name in (names if i % 2 == 0 else names[::-1]):
                    s = servers[name]
                    urls = [f"{s.url}bench-data/ct{n}/{f}" for f in files]
                    try:
                        run[name] = visit(b, name, s.url + pages[name], urls, args.settle, args.timeout, args.helpers)
                    except Exception as e:  # a timeout or a crash: recorded, the other visits go on
                        run[name] = {"viewer": name, "failed": str(e).splitlines()[0][:300]}
                        print(f"run {i + 1} {name:<5}: FAILED {run[name]['failed']}", flush=True)
                        continue
                    print(progress(f"run {i + 1} {name:<5}", run[name]), flush=True)
                runs.append(run)
            chromium = b.version
            b.close()
    finally:
        for s in servers.values():
            s.__exit__(None, None, None)

    rs = ratios(runs)
    m = {**machine(), "chromium_playwright": chromium}
    out = {"when": time.strftime("%Y-%m-%dT%H:%M:%S"), "machine": m,
           "args": {"runs": args.runs, "slices": n, "slice_bytes": round(slice_bytes), "settle_s": args.settle, "helpers": args.helpers,
                    "data": str(args.data / f"ct{n}"), "viewers": names},
           "targets": {"ratio_slices_per_s": TARGET_RATIO, "first_image_ms": TARGET_FIRST_MS},
           "ratio_per_run": rs, "ratio_median": statistics.median(rs) if rs else None, "runs": runs}
    res = ROOT / "bench/results"
    res.mkdir(parents=True, exist_ok=True)
    path = res / f"localload-{time.strftime('%Y%m%d-%H%M%S')}.json"
    path.write_text(json.dumps(out, indent=1))
    print(f"\n{m['nproc']} cores, {m['cpu']}, Chromium {m['chromium']}; {n} slices × {slice_bytes / 1e3:.0f} kB "
          f"as File objects in memory; {len(runs)} runs, order alternating")
    print(table(runs, names, n))
    print(f"\nJSON: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
