#!/usr/bin/env python3
"""VeNOS benchmarks: start-up, local loading, window changes, responsiveness while loading, memory.

    python bench/run.py                      # everything, 3 runs each
    python bench/run.py --only window --runs 5
    python bench/run.py --json bench/results/mine.json

Serves the built dist/ (``python build.py`` first) and generated data on a loopback port, drives headless Chromium
with Playwright, prints a table (medians over runs, with targets and peers) and writes every raw figure as JSON.
Benchmarks, not tests: nothing here passes or fails; a missed target is a finding.
"""
from __future__ import annotations

import argparse
import json
import platform
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import browser, data  # noqa: E402
from bench.cases import CASES  # noqa: E402
from bench.noise import Neighbours, wait_quiet  # noqa: E402
from bench.report import Row, table  # noqa: E402
from bench.server import BenchServer  # noqa: E402


@dataclass
class Env:
    """What every case gets: Playwright, the server, the generated data sets, and where to log progress."""

    pw: object
    server: BenchServer
    data_dir: Path
    sets: dict[str, list[str]]  # data set name → URLs (absolute, on the bench server)
    runs: int
    dist: Path
    raw: dict = field(default_factory=dict)

    def log(self, msg: str) -> None:
        print(f"[bench] {msg}", file=sys.stderr, flush=True)


def machine() -> dict:
    cpu = next((ln.split(":", 1)[1].strip() for ln in Path("/proc/cpuinfo").read_text().splitlines()
                if ln.startswith("model name")), platform.processor())
    mem = next((int(ln.split()[1]) * 1024 for ln in Path("/proc/meminfo").read_text().splitlines()
                if ln.startswith("MemTotal")), 0)
    import os
    rt = json.loads((ROOT / "dist/runtime.json").read_text()) if (ROOT / "dist/runtime.json").exists() else {}
    return {"nproc": os.cpu_count(), "cpu": cpu, "ram_bytes": mem, "chromium": browser.chromium_version(),
            "pyodide": rt.get("pyodide", {}).get("version", "?"), "python": platform.python_version(),
            "platform": platform.platform()}


def make_data(root: Path, src: Path) -> dict[str, list[str]]:
    t = time.perf_counter()
    sets = {"ct28": [p.name for p in sorted(src.iterdir()) if p.is_file()]}
    ct28 = root / "ct28"
    ct28.mkdir(parents=True, exist_ok=True)
    for name in sets["ct28"]:
        (ct28 / name).write_bytes((src / name).read_bytes())
    for n in (140, 300):
        sets[f"ct{n}"] = data.series(n, root / f"ct{n}", src)
    sets["big2048"] = data.big(2048, root / "big2048", src)
    # a clean volume for MPR (the GE series is tilted with irregular spacing): the Philips phantom stacked to 300
    philips = src.parent / "Philips/S21570/S2010"
    if philips.is_dir():
        sets["vol300"] = data.series(300, root / "vol300", philips)
    print(f"[bench] data derived with pydicom in {time.perf_counter() - t:.1f} s under {root}", file=sys.stderr)
    return sets


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--only", action="append", choices=list(CASES), help="run only this benchmark (repeatable)")
    ap.add_argument("--runs", type=int, default=3, help="runs per benchmark; the table shows the median")
    ap.add_argument("--json", type=Path, help="where to write results (default bench/results/<time>.json)")
    ap.add_argument("--dist", type=Path, default=ROOT / "dist")
    ap.add_argument("--source", type=Path, help="the 28-slice CT folder to derive data from")
    ap.add_argument("--wait-quiet", type=float, default=0, metavar="SECONDS",
                    help="before each benchmark, wait up to this long for other processes to go quiet")
    args = ap.parse_args(argv)

    if not (args.dist / "index.html").exists() or not (args.dist / "runtime.json").exists():
        print(f"no built site in {args.dist}: run `python build.py` first", file=sys.stderr)
        return 2
    from playwright.sync_api import sync_playwright

    names = args.only or list(CASES)
    out = args.json or ROOT / "bench/results" / time.strftime("bench-%Y%m%d-%H%M%S.json")
    rows: list[Row] = []
    raw: dict = {}
    noise: dict = {}
    with tempfile.TemporaryDirectory(prefix="venos-bench-") as tmp:
        data_dir = Path(tmp)
        sets = make_data(data_dir, args.source or data.source_dir())
        with BenchServer(args.dist, data_dir) as server, sync_playwright() as pw:
            urls = {k: [f"{server.url}bench-data/{k}/{n}" for n in v] for k, v in sets.items()}
            env = Env(pw, server, data_dir, urls, args.runs, args.dist)
            for name in names:
                if args.wait_quiet:
                    wait_quiet(max_wait=args.wait_quiet, log=env.log)
                env.log(f"{name}: {args.runs} run(s)")
                with Neighbours() as nb:
                    rows += CASES[name](env)
                noise[name] = {"seconds": nb.seconds, "otherProcessesCpuSeconds": nb.cpu, "share": nb.share}
                env.log(f"{name}: done in {nb.seconds:.0f} s; other processes used {nb.share:.0%} of a core")
                if nb.share > 0.1:
                    env.log(f"WARNING {name}: other processes were busy ({nb.share:.0%} of a core): "
                            "figures are pessimistic; rerun on an idle machine")
            raw = env.raw
    print(table(rows))
    for name, nb in noise.items():
        print(f"{name}: {nb['seconds']:.0f} s, other processes used {nb['share']:.0%} of a core meanwhile")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"machine": machine(), "runs": args.runs, "time": time.strftime("%Y-%m-%dT%H:%M:%S"),
                               "rows": [r.to_dict() for r in rows], "neighbours": noise, "raw": raw}, indent=1, default=str))
    print(f"\nresults: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
