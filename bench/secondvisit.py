"""The second visit of a share link, with and without the harness's per-request accounting.

    python3 bench/secondvisit.py [--runs 3] [--visits 2] [--mbit 20] [--netlog]
    python3 bench/secondvisit.py --mbit 0 --latency 0     # the repeat visit on plain localhost

Each run is a new profile: a first visit of the link (the 140-slice CT of ``bench/coldlink.py`` on its CORS host,
the viewer on the gzip host), then — once its service worker is active and its rehearsal of a repeat visit
(``app/js/rehearsal.js``) has ended — ``--visits`` repeat visits, each traced for V8's wasm events: ``ready`` and
``first`` (the page's clock, s), and whether the wasm was deserialized from V8's code cache (``cached``) or compiled
function by function (``lazy``: how many functions were).

The link is emulated on the page's own DevTools session (``Network.emulateNetworkConditions``: it throttles the page
and its dedicated workers alike, bench/cdpnet.py), which is all a repeat visit's network is: its manifest and first
slice, fetched by the page. ``--netlog`` uses coldlink.py's ``NetLog`` instead, which also records every request of
every worker over the protocol: measured on this 2-core machine, that accounting alone costs a repeat visit
0.15–0.2 s (docs/benchmarks.md), which is why this benchmark exists beside coldlink.py's own second visit.
"""
from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import browser  # noqa: E402
from bench.cdpnet import NetLog  # noqa: E402
from bench.coldlink import MBIT, REHEARSAL_OVER, SLICES, VENOS_PROBE  # noqa: E402
from bench.gzhost import GzipHost  # noqa: E402
from bench.remote import FileHost, derive_series, machine  # noqa: E402

DIST = ROOT / "dist"
FIRST = "() => window.__venos_cold && window.__venos_cold.t.first !== undefined"


def wasm_events(path: Path) -> dict:
    events = json.loads(path.read_text())
    events = events["traceEvents"] if isinstance(events, dict) else events
    names = [e.get("name", "") for e in events]
    return {"cached": "wasm.Deserialize" in names, "lazy": names.count("wasm.CompileLazy")}


def run(pw_browser, url: str, conditions: dict, visits: int, netlog: bool, timeout_ms: float) -> dict:
    ctx = pw_browser.new_context(viewport=browser.VIEWPORT)
    try:
        ctx.add_init_script(VENOS_PROBE)
        page = ctx.new_page()
        if netlog:
            NetLog(ctx, page, conditions)
        else:
            cdp = ctx.new_cdp_session(page)
            cdp.send("Network.enable")
            cdp.send("Network.emulateNetworkConditions", {"offline": False, **conditions})
        page.goto(url)
        page.wait_for_function(FIRST, timeout=timeout_ms)
        page.evaluate("navigator.serviceWorker.ready.then(() => true)")
        row = {"rehearsal": page.evaluate(REHEARSAL_OVER, timeout_ms), "visits": []}
        with tempfile.TemporaryDirectory() as tmp:
            for i in range(visits):
                trace = Path(tmp) / f"visit{i}.json"
                pw_browser.start_tracing(page=None, path=str(trace), categories=["v8.wasm"])
                page.goto(url)
                page.wait_for_function(FIRST, timeout=timeout_ms)
                t = page.evaluate("window.__venos_cold.t")
                page.wait_for_timeout(2500)  # V8 may write its cache meanwhile, as it would while the user reads
                pw_browser.stop_tracing()
                row["visits"].append({"ready_s": round(t["ready"] / 1000, 3), "first_s": round(t["first"] / 1000, 3),
                                      **wasm_events(trace)})
        return row
    finally:
        ctx.close()


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--runs", type=int, default=3)
    ap.add_argument("--visits", type=int, default=2, help="repeat visits per run")
    ap.add_argument("--mbit", type=float, default=20.0)
    ap.add_argument("--latency", type=float, default=40.0, help="ms")
    ap.add_argument("--netlog", action="store_true", help="account every request as coldlink.py does")
    ap.add_argument("--data", type=Path, default=Path("/tmp/venos-bench"))
    ap.add_argument("--dist", type=Path, default=DIST)
    ap.add_argument("--timeout", type=float, default=240.0, help="s per visit")
    args = ap.parse_args(argv)
    from playwright.sync_api import sync_playwright

    if not (args.dist / "runtime.json").exists():
        raise SystemExit(f"{args.dist} is not a built site: run build.py first")
    derive_series(SLICES, args.data)
    site, data = GzipHost({"/": args.dist}), FileHost(args.data)
    url = f"{site.url}index.html?" + urlencode({"manifest": f"{data.url}ct{SLICES}/manifest.json"})
    bw = args.mbit * MBIT if args.mbit > 0 else -1  # 0: no throttling (with --latency 0: plain localhost)
    conditions = {"latency": args.latency, "downloadThroughput": bw, "uploadThroughput": bw}
    rows = []
    with sync_playwright() as pw:
        b = browser.launch(pw)
        try:
            for i in range(args.runs):
                rows.append(run(b, url, conditions, args.visits, args.netlog, args.timeout * 1000))
                print(f"run {i + 1}: rehearsal {rows[-1]['rehearsal'].get('state')}; "
                      + "; ".join(f"visit {j + 2}: ready {v['ready_s']} s, first {v['first_s']} s, "
                                  f"{'cached' if v['cached'] else 'compiled'} ({v['lazy']} lazy)"
                                  for j, v in enumerate(rows[-1]["visits"])), flush=True)
        finally:
            b.close()
            site.close()
            data.close()
    m = machine()
    print(f"\n{m['cores']} cores, {m['cpu']}, {m['chromium']}; {args.mbit:g} Mbit/s, {args.latency:g} ms, "
          f"{'NetLog accounting' if args.netlog else 'page-level emulation'}")
    for j in range(args.visits):
        firsts = [r["visits"][j]["first_s"] for r in rows]
        readies = [r["visits"][j]["ready_s"] for r in rows]
        print(f"visit {j + 2}: first image median {statistics.median(firsts):.2f} s [{min(firsts):.2f}–{max(firsts):.2f}], "
              f"ready median {statistics.median(readies):.2f} s [{min(readies):.2f}–{max(readies):.2f}]")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
