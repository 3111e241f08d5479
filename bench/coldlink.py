#!/usr/bin/env python3
"""Cold share link: VeNOS and the DWV viewer side by side, as a colleague opening a shared case sees them.

    python bench/coldlink.py                      # 3 runs: 20 Mbit/s, 40 ms, then unthrottled localhost
    python bench/coldlink.py --runs 5 --mode urls --no-dwv
    python bench/coldlink.py --only-local --data /tmp/venos-bench --dist /tmp/other-build/dist

Set-up, all on loopback ports, each its own origin:
* VeNOS's built ``dist/`` and the DWV 0.36 peer page (``bench/peers/dwv.html`` with DWV, konva, jszip and
  magic-wand-tool from ``bench/peers/node_modules``, installed here with ``npm ci`` when missing) are each served by
  ``bench/gzhost.py``: gzip-encoded like a typical static host, ``no-cache`` + ETag so a second visit revalidates.
* A 140-slice 512×512 CT (~526 kB a slice; ``derive_series`` of bench/remote.py) on a CORS data host
  (tests/servers.py ``FileHost``). Share links: ``index.html?manifest=<data>/ct140/manifest.json`` (``--mode urls``:
  ``?url=<u1>&url=<u2>…``); the DWV page takes the same query and fetches the list itself.
* Each visit is a brand-new browser context (empty HTTP cache); VeNOS and DWV take turns in each run, the order
  alternating between runs. ``Network.emulateNetworkConditions`` is set on the page's CDP session before
  ``page.goto``; workers are attached and accounted as bench/cdpnet.py explains.

Figures (times are the viewer page's ``performance.now()``, i.e. since the navigation started; in seconds):
* ready — the viewer can load: VeNOS's ``window.venos.ready`` resolves (Pyodide, numpy, pydicom up; an init
  script catches ``window.venos`` the moment boot.js assigns it); DWV's ``App.init()`` has run.
* first — the first image is on a canvas: VeNOS's first ``rendered`` event (not camera-only, not an error frame);
  DWV's first ``renderend`` (ViewLayer.draw() after drawImage(); bench/peers/dwv-page.js says why).
* bytes before first — the sum of ``encodedDataLength`` (headers + body as received, gzip-encoded where the host
  gzips) of the ``Network.loadingFinished`` events of the page and all its worker targets that ended before
  ``first`` (CDP's monotonic clock mapped to the page's through ``wallTime``; ``clock_check_ms`` compares the
  document's end on both clocks, ≈ 0.1 ms). Requests still in flight then are left out. (DWV sends all 140
  requests at once; six share the link, and how many of them end before its first image varies: 1 to 6 slices.)
  "… the viewer's own" leaves out the case's manifest and slices: what the viewer itself costs before an image.
* all — every slice is in: VeNOS's ``loadend`` of the link's case (CloudSession.open: all fetched, parsed,
  settled), then checked with ``venos.series()`` (140 slices, none pending); DWV's ``load`` (every URL loaded and
  parsed; ``loadend`` if some failed).
* link use — bytes received from the navigation to ``all`` ÷ (bandwidth × ``all``): 100 % = the link was full
  from the first byte to the last slice, start-up included.
* total — every byte of the visit; ``coverage`` = total ÷ the bytes both servers sent (≥ 1: CDP also counts
  headers), a check that no worker request escaped the accounting.
* second visit (VeNOS only) — the same link opened again in the same context after the first visit ended, the
  service worker it registered is active (``sw_ready_s``: how long after the case loaded that took) and the first
  visit's rehearsal of a second one (``app/js/rehearsal.js``, ``rehearsal``: its state, how long it ran) has ended,
  as it has long before a colleague opens the link again: warm HTTP cache, revalidated with 304s, and the service
  worker's cache: ready, first, bytes before first.
* ratio — VeNOS first ÷ DWV first within each run (same machine moment), then its median.
Each row also records the CPU other processes took meanwhile (``neighbours``, cores): this machine is shared.

Verified on this machine (Chromium 156, Playwright 1.65, 2026-11-28) with a 3.35 MB zip fetched from a page and a
dedicated worker on the gzip host under 20 Mbit/s: the page-level emulation throttles the dedicated worker
(1.46 s in the worker, 1.54 s in the page, 0.04 s unthrottled) and the two share one pipe (both at once: 2.8 s
each); a service worker is *not* throttled by it (0.06 s) until its own target gets the conditions (1.52 s), which
NetLog does for service and shared workers. Worker requests appear only on the worker targets' Network domain.
Every visit checks it again: ``peak_mbit`` (per target kind — page, worker, service_worker — the fastest single
download ≥ 0.5 MB) must stay under the emulated bandwidth (a warning is printed otherwise), and ``coverage`` ≈ 1.
"""
from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import browser  # noqa: E402
from bench.cdpnet import NetLog  # noqa: E402
from bench.gzhost import GzipHost  # noqa: E402
from bench.noise import Neighbours  # noqa: E402
from bench.remote import DIST, FileHost, derive_series, machine  # noqa: E402

PEERS = ROOT / "bench/peers"
SLICES = 140
MBIT = 1_000_000 / 8  # bytes per second per Mbit/s

# The first visit's rehearsal of a repeat visit once it has ended (its {state, reason, ms}), or {state: 'unfinished'}
# after `limit` ms: a repeat visit is measured only after it (app/js/rehearsal.js).
REHEARSAL_OVER = """async (limit) => {
    const t = performance.now();
    const over = () => { const r = window.venos && venos.runtime && venos.runtime.rehearsal;
                         return r && !['waiting', 'running'].includes(r.state) ? r : null; };
    while (!over() && performance.now() - t < limit) await new Promise((r) => setTimeout(r, 200));
    return over() || { state: 'unfinished' }; }"""
VENOS_PROBE = """(() => {
  const S = (window.__venos_cold = { viewer: "venos", t: {}, errors: [], summary: null });
  const now = () => performance.now();
  let api, hooked = false;
  const hook = (v) => {
    if (hooked || !v || typeof v.on !== "function") return;
    hooked = true;
    S.t.api = now();
    Promise.resolve(v.ready).then(() => { S.t.ready = now(); }, (e) => { S.fatal = String((e && e.message) || e); });
    v.on("rendered", (d) => {
      if (S.t.first === undefined && !d.cameraOnly && !(d.meta && d.meta.error)) S.t.first = now();
    });
    v.on("error", (d) => { if (S.errors.length < 20) S.errors.push(`${d.code}: ${d.message}`); });
    v.on("loadend", (d) => {
      if (S.t.loadend !== undefined) return;
      S.t.loadend = now();
      S.summary = { total: d.total, loaded: d.loaded, failed: d.failed, bytes: d.bytes };
    });
  };
  // Catch the assignment in boot.js; poll as well in case window.venos is ever defined another way.
  try {
    Object.defineProperty(window, "venos", { configurable: true, enumerable: true,
      get() { return api; }, set(v) { api = v; hook(v); } });
  } catch { /* defined already */ }
  const poll = setInterval(() => { if (window.venos) hook(window.venos); if (hooked) clearInterval(poll); }, 4);
})();"""

VENOS_SLICES = """async () => {
  const list = await window.venos.series();
  return { slices: list.reduce((n, s) => n + s.slices, 0), pending: list.reduce((n, s) => n + (s.pending || 0), 0) };
}"""


class Viewer:
    """How to open a link in one viewer and read its timings back."""

    def __init__(self, name: str, site: GzipHost, page: str, state: str, probe: str | None) -> None:
        self.name, self.site, self.page, self.state, self.probe = name, site, page, state, probe

    def link(self, query: str) -> str:
        return f"{self.site.url}{self.page}?{query}"

    def done_first(self) -> str:  # a function, not an expression: the pages' CSP forbids eval
        return (f"() => {{ const s = {self.state}; "
                f"return !!s && (s.t.first !== undefined || s.t.loadend !== undefined || !!s.fatal); }}")

    def done_all(self) -> str:
        return f"() => {{ const s = {self.state}; return !!s && (s.t.loadend !== undefined || !!s.fatal); }}"

    def slices(self, page) -> dict:
        if self.name == "venos":
            return page.evaluate(VENOS_SLICES)
        s = page.evaluate(self.state)
        return {"slices": s["items"], "pending": s["total"] - s["items"]}


def is_case(url: str) -> bool:
    """A request of the shared case (its manifest, its slices), not of the viewer."""
    path = url.split("?", 1)[0]
    return path.endswith((".dcm", "/manifest.json"))


def link_query(mode: str, data_url: str) -> str:
    folder = f"{data_url}ct{SLICES}/"
    if mode == "manifest":
        return urlencode({"manifest": folder + "manifest.json"})
    return urlencode([("url", f"{folder}{i + 1:04d}.dcm") for i in range(SLICES)])


def served(site: GzipHost, data: FileHost) -> int:
    """Body bytes both servers have sent so far."""
    dcm = sum(n * (data.directory / p.lstrip("/")).stat().st_size for p, n in data.hits.items()
              if not p.startswith("OPTIONS") and (data.directory / p.lstrip("/")).is_file())
    return sum(site.sent.values()) + dcm


def visit(page, net: NetLog, viewer: Viewer, url: str, *, until_all: bool, bw: float | None, timeout_s: float) -> dict:
    """Navigate to ``url`` and measure one visit (see the module docstring for each figure)."""
    net.reset()
    t_wall = time.time()
    with Neighbours() as nb:
        page.goto(url, wait_until="commit", timeout=timeout_s * 1000)
        page.wait_for_function(viewer.done_first(), polling=50, timeout=timeout_s * 1000)
        if until_all:
            page.wait_for_function(viewer.done_all(), polling=100, timeout=timeout_s * 1000)
        page.wait_for_timeout(300)  # let the last CDP events of the visit reach us
    s = page.evaluate(viewer.state)
    origin = page.evaluate("performance.timeOrigin")
    nav_end = page.evaluate("performance.getEntriesByType('navigation')[0].responseEnd")
    reconciled = net.settle()  # then no Playwright call until the byte figures are taken
    t = s["t"]
    all_ms = t.get("load", t.get("loadend")) if viewer.name == "dwv" else t.get("loadend")
    doc = net.finished_at(url.split("?")[0], origin)
    row = {
        "ready_s": _s(t.get("ready")), "first_s": _s(t.get("first")),
        "bytes_first": net.bytes_until(t.get("first"), origin) if t.get("first") is not None else None,
        # the viewer's own: without the case (its manifest and slices, fetched while the runtime starts)
        "viewer_bytes_first": net.bytes_until(t.get("first"), origin, skip=is_case) if t.get("first") is not None else None,
        "largest_before_first": net.largest(t.get("first"), origin),
        "workers": [w["type"] for w in net.targets], "bytes_by_target": net.by_target(), "reconciled": reconciled,
        "peak_mbit": {k: round(v / MBIT, 1) for k, v in net.peak_rates().items()},
        "clock_check_ms": None if doc is None else round(doc - nav_end, 1),  # CDP clock vs the page's, ≈ 0
        "errors": s.get("errors", [])[:5], "fatal": s.get("fatal"), "neighbours": round(nb.share, 2),
        "started": time.strftime("%H:%M:%S", time.localtime(t_wall)),
    }
    row["waterfall"] = net.waterfall(origin, t.get("first"))
    if viewer.name == "venos" and not s.get("fatal"):
        row["stages_ms"] = page.evaluate("window.venos.runtime ? window.venos.runtime.timings : null")
        # when the worker's clock starts, on the page's (the stages are on the worker's)
        row["worker_start_ms"] = page.evaluate("""window.venos.runtime && window.venos.runtime.timings.origin
            ? Math.round(window.venos.runtime.timings.origin - performance.timeOrigin) : null""")
    if until_all:
        row.update(all_s=_s(all_ms), bytes_all=net.bytes_until(all_ms, origin), bytes_total=net.total(),
                   **({} if s.get("fatal") else viewer.slices(page)))
        if viewer.name == "venos":
            row["summary"] = s.get("summary")
        if bw and all_ms:
            row["link_use"] = row["bytes_all"] / (bw * all_ms / 1000)
    return row


def _s(ms: float | None) -> float | None:
    return None if ms is None else round(ms / 1000, 3)


def run_viewer(pw_browser, viewer: Viewer, data: FileHost, query: str, conditions: dict | None,
               *, second: bool, timeout_s: float) -> dict:
    """One cold visit (and for VeNOS a second one) in a brand-new context."""
    ctx = pw_browser.new_context(viewport=browser.VIEWPORT)
    try:
        if viewer.probe:
            ctx.add_init_script(viewer.probe)
        page = ctx.new_page()
        errors: list[str] = []
        page.on("pageerror", lambda e: errors.append(str(e)[:300]))
        net = NetLog(ctx, page, conditions)  # before the first navigation: throttled from the first byte
        bw = conditions["downloadThroughput"] if conditions else None
        before = served(viewer.site, data)
        row = visit(page, net, viewer, viewer.link(query), until_all=True, bw=bw, timeout_s=timeout_s)
        sent = served(viewer.site, data) - before
        row["coverage"] = round(row["bytes_total"] / sent, 4) if sent else None
        if second:
            # a repeat visit comes later: by then the service worker the first visit registered has installed
            row["sw_ready_s"] = page.evaluate("""async (limit) => {
                if (!('serviceWorker' in navigator)) return null;
                const t = performance.now();
                const ok = await Promise.race([navigator.serviceWorker.ready.then(() => true),
                                               new Promise((r) => setTimeout(() => r(false), limit))]);
                return ok ? (performance.now() - t) / 1000 : null; }""", timeout_s * 1000)
            # ... and the first visit's rehearsal of it has ended (app/js/rehearsal.js: it runs once the page is idle)
            row["rehearsal"] = page.evaluate(REHEARSAL_OVER, timeout_s * 1000)
            row["second"] = visit(page, net, viewer, viewer.link(query), until_all=False, bw=bw, timeout_s=timeout_s)
        row["page_errors"] = errors[:5]
        return row
    finally:
        ctx.close()


# --------------------------------------------------------------------------------------------------- report
FIGURES = [  # (key, label, scale, format)
    ("ready_s", "ready to load (s)", 1, "{:.2f}"),
    ("first_s", "first image (s)", 1, "{:.2f}"),
    ("bytes_first", "bytes before first image (MB)", 1e-6, "{:.2f}"),
    ("viewer_bytes_first", "… of them the viewer's own (MB)", 1e-6, "{:.2f}"),
    ("all_s", f"all {SLICES} slices (s)", 1, "{:.1f}"),
    ("link_use", "link use (%)", 100, "{:.0f}"),
    ("bytes_total", "total bytes (MB)", 1e-6, "{:.1f}"),
    ("second.ready_s", "2nd visit: ready (s)", 1, "{:.2f}"),
    ("second.first_s", "2nd visit: first image (s)", 1, "{:.2f}"),
    ("second.bytes_first", "2nd visit: bytes before first (MB)", 1e-6, "{:.2f}"),
]
LABELS = {"venos": "VeNOS", "dwv": "DWV 0.36"}


def _get(row: dict, key: str):
    for k in key.split("."):
        row = row.get(k) if isinstance(row, dict) else None
    return row


def cell(rows: list[dict], key: str, scale: float, fmt: str) -> str:
    vals = [v * scale for v in (_get(r, key) for r in rows) if v is not None]
    if not vals:
        return "—"
    med = fmt.format(statistics.median(vals))
    return med if len(vals) == 1 else f"{med} [{fmt.format(min(vals))}–{fmt.format(max(vals))}]"


def ratios(runs: list[dict]) -> list[float]:
    return [r["venos"]["first_s"] / r["dwv"]["first_s"] for r in runs
            if "dwv" in r and r["venos"].get("first_s") and r["dwv"].get("first_s")]


def table(title: str, runs: list[dict], names: list[str]) -> str:
    lines = [title, f"{'figure (median [min–max])':<36}" + "".join(f"{LABELS[n]:>24}" for n in names)]
    for key, label, scale, fmt in FIGURES:
        cells = [cell([r[n] for r in runs], key, scale, fmt) for n in names]
        if any(c != "—" for c in cells):
            lines.append(f"{label:<36}" + "".join(f"{c:>24}" for c in cells))
    failed = [sum(1 for r in runs if "failed" in r.get(n, {})) for n in names]
    if any(failed):
        lines.append(f"{'failed visits':<36}" + "".join(f"{f:>24}" for f in failed))
    rs = ratios(runs)
    if rs:
        lines.append(f"{'first image VeNOS/DWV per run':<36}{', '.join(f'{x:.1f}' for x in rs):>24}"
                     f"   median {statistics.median(rs):.1f}")
    return "\n".join(lines)


def progress(head: str, r: dict, mbit: float | None) -> str:
    """One line per visit, with the accounting checks: coverage ≈ 1 and no download faster than the link."""
    line = (f"{head}: ready {r['ready_s']} s, first {r['first_s']} s ({(r['bytes_first'] or 0) / 1e6:.2f} MB), "
            f"all {r.get('all_s')} s, {r.get('slices')} slices, coverage {r.get('coverage')}, "
            f"peak Mbit/s {r['peak_mbit']}, neighbours {r['neighbours']}")
    if r.get("coverage") and r["coverage"] < 0.98:
        line += "\n  WARNING: CDP saw under 98 % of the bytes the servers sent"
    if mbit and max(r["peak_mbit"].values(), default=0) > 1.15 * mbit:
        line += "\n  WARNING: a download ran faster than the emulated link: throttling did not apply to it"
    if r.get("second"):
        s = r["second"]
        line += (f"\n  second visit: ready {s['ready_s']} s, first {s['first_s']} s "
                 f"(rehearsed by the first: {(r.get('rehearsal') or {}).get('state')})")
    if r.get("fatal") or r.get("page_errors"):
        line += f"\n  errors: {r.get('fatal') or r['page_errors']}"
    return line


# ----------------------------------------------------------------------------------------------------- main
def ensure_peers() -> None:
    """Install the peer viewers pinned in bench/peers/package.json (+ lockfile) if node_modules is missing."""
    if (PEERS / "node_modules/dwv/package.json").exists():
        return
    cmd = ["npm", "ci" if (PEERS / "package-lock.json").exists() else "install", "--no-audit", "--no-fund"]
    print("installing the peer viewers:", " ".join(cmd), flush=True)
    subprocess.run(cmd, cwd=PEERS, check=True)


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--mode", choices=["manifest", "urls"], default="manifest")
    ap.add_argument("--mbit", type=float, default=20.0)
    ap.add_argument("--latency", type=float, default=40.0, help="ms")
    ap.add_argument("--no-dwv", action="store_true", help="VeNOS only")
    ap.add_argument("--only-local", action="store_true", help="only the unthrottled localhost runs")
    ap.add_argument("--no-local", action="store_true", help="only the throttled runs")
    ap.add_argument("--data", type=Path, default=Path("/tmp/venos-bench"))
    ap.add_argument("--dist", type=Path, default=DIST, help="VeNOS's built site (default: dist/)")
    ap.add_argument("--timeout", type=float, default=240.0, help="s per visit")
    args = ap.parse_args(argv)
    from playwright.sync_api import sync_playwright

    if not (args.dist / "runtime.json").exists():
        raise SystemExit(f"{args.dist} is not a built site: run build.py first")
    names = ["venos"] + ([] if args.no_dwv else ["dwv"])
    if "dwv" in names:
        ensure_peers()
    derive_series(SLICES, args.data)
    bw = args.mbit * MBIT
    throttled = {"latency": args.latency, "downloadThroughput": bw, "uploadThroughput": bw}
    links = ([] if args.only_local else [("throttled", throttled)]) + ([] if args.no_local else [("localhost", None)])

    sites = {"venos": GzipHost({"/": args.dist})}
    if "dwv" in names:
        sites["dwv"] = GzipHost({"/": PEERS}, skip=lambda p: p.suffix == ".map" or "/.cache/" in p.as_posix())
    data = FileHost(args.data)
    viewers = {"venos": Viewer("venos", sites["venos"], "index.html", "window.__venos_cold", VENOS_PROBE)}
    if "dwv" in names:
        viewers["dwv"] = Viewer("dwv", sites["dwv"], "dwv.html", "window.__peer", None)
    query = link_query(args.mode, data.url)
    results: dict[str, list[dict]] = {label: [] for label, _ in links}
    try:
        with sync_playwright() as pw:
            b = browser.launch(pw)
            for label, cond in links:
                for i in range(args.runs):
                    run: dict = {}
                    for name in (names if i % 2 == 0 else names[::-1]):
                        try:
                            run[name] = run_viewer(b, viewers[name], data, query, cond, second=(name == "venos"),
                                                   timeout_s=args.timeout)
                        except Exception as e:  # a timeout or a crash: recorded, the other runs go on
                            run[name] = {"failed": str(e).splitlines()[0][:300]}
                            print(f"{label} run {i + 1} {name:<5}: FAILED {run[name]['failed']}", flush=True)
                            continue
                        print(progress(f"{label} run {i + 1} {name:<5}", run[name], args.mbit if cond else None),
                              flush=True)
                    results[label].append(run)
            b.close()
    finally:
        for s in sites.values():
            s.close()
        data.close()

    slice_bytes = (args.data / f"ct{SLICES}/0001.dcm").stat().st_size
    out = {"when": time.strftime("%Y-%m-%dT%H:%M:%S"), "machine": machine(), "args": {
        "runs": args.runs, "mode": args.mode, "mbit": args.mbit, "latency_ms": args.latency, "slices": SLICES,
        "slice_bytes": slice_bytes, "dist": str(args.dist),
        "dist_runtime": json.loads((args.dist / "runtime.json").read_text()).get("site")},
        "nproc": len(os.sched_getaffinity(0)),
        "sites": {n: {"prepare_s": round(s.prepare_s, 2), **s.totals()} for n, s in sites.items()},
        "ratio_first": {label: ratios(runs) for label, runs in results.items()}, "results": results}
    res = ROOT / "bench/results"
    res.mkdir(parents=True, exist_ok=True)
    path = res / f"coldlink-{time.strftime('%Y%m%d-%H%M%S')}.json"
    path.write_text(json.dumps(out, indent=2))
    m = out["machine"]
    print(f"\n{m['cores']} cores, {m['cpu']}, {m['chromium']}; {SLICES} slices × {slice_bytes / 1e3:.0f} kB, "
          f"{args.mode} link")
    for label, cond in links:
        title = (f"\nCold share link, {args.mbit:g} Mbit/s, {args.latency:g} ms, empty cache" if cond
                 else "\nUnthrottled localhost, empty cache") + f" — {len(results[label])} runs"
        print(table(title, results[label], names))
    print(f"\nJSON: {path}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
