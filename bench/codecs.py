#!/usr/bin/env python3
"""Decode throughput per transfer syntax in the browser, and what each codec adds to page weight and first use.

    python bench/codecs.py [--repeat 15] [--source path/to/512x512.dcm]

A real 512×512 CT slice (dcm_qa_ct/GE/01.dcm) is re-encoded into every syntax with dcmtk, GDCM, OpenJPH and
pydicom (tests/variants.py) in a temporary folder. The built dist/ is served on loopback and driven in headless
Chromium: each variant is decoded ``--repeat`` times through ``venos.decode`` (the viewer's own decode path:
pydicom's registry → plugin → WebAssembly codec → numpy), after one warm-up decode that also loads its codec.

Reported per syntax: frames/s and MB/s of decoded pixel data (512×512×2 bytes), from the time of the frame decode:
the codec's own time in the codec worker (mean over the repeats) for WebAssembly codecs, the median time inside
Python for numpy and the Python plugins; the median wall time of a whole call (parse + decode + hash + messaging,
and for a codec the round trip to the codec worker) for context.
Per codec: shipped bytes, gzip bytes (what a compressing server sends), and first-use cost (fetch + compile +
instantiate, measured in the worker) in a fresh page. Prints a table; writes JSON to bench/results/.
"""
from __future__ import annotations

import argparse
import gzip
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from conftest import CHROMIUM, CHROMIUM_ARGS, DATA, DIST, StaticServer, _dist_is_stale  # noqa: E402
from variants import make_variants  # noqa: E402

CODEC_OF = {  # which codec decodes each variant in the default preference order (venos.pixels.codecs)
    "jpeg-baseline": "dcmjs", "jpeg-extended-12bit": "dcmjs", "jpeg-spectral-selection": "dcmjs",
    "jpeg-progressive": "dcmjs", "jpeg-lossless": "dcmjs", "jpeg-lossless-sv1": "dcmjs", "rle": "dcmjs",
    "jpeg-ls-lossless": "charls", "jpeg-ls-near-lossless": "charls", "j2k-lossless": "openjpeg",
    "j2k-lossy": "openjpeg", "htj2k-lossless": "openjph", "htj2k-lossless-rpcl": "openjph", "htj2k-lossy": "openjph",
}


def machine() -> dict:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    mem = ""
    try:
        kb = int(next(x for x in Path("/proc/meminfo").read_text().splitlines() if x.startswith("MemTotal")).split()[1])
        mem = f"{kb / 1024 / 1024:.1f} GiB"
    except (OSError, StopIteration, ValueError):
        pass
    chromium = subprocess.run([CHROMIUM, "--version"], capture_output=True, text=True).stdout.strip()
    return {"cpu": cpu, "cores": os.cpu_count(), "memory": mem, "os": platform.platform(), "chromium": chromium,
            "python": platform.python_version()}


def route_file(page, url: str, data: bytes) -> None:
    page.route(url, lambda route: route.fulfill(status=200, body=data, content_type="application/dicom"))


def open_page(browser, url: str):
    ctx = browser.new_context(bypass_csp=True)
    page = ctx.new_page()
    page.goto(url + "index.html")
    page.wait_for_function("window.venos && window.venos.runtime", timeout=120_000)
    return ctx, page


DECODE = """async (url) => { const t = performance.now(); const r = await venos.decode(url, { name: url });
    return { ms: r.ms, wall: performance.now() - t, ok: r.ok, errors: r.errors, nbytes: r.nbytes }; }"""


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--repeat", type=int, default=15)
    ap.add_argument("--source", type=Path, default=DATA / "dcm_qa_ct/GE/01.dcm")
    args = ap.parse_args(argv)
    from playwright.sync_api import sync_playwright

    if _dist_is_stale():
        subprocess.run([sys.executable, str(ROOT / "build.py")], check=True, cwd=ROOT)
    runtime = json.loads((DIST / "runtime.json").read_text())
    tmp = Path(tempfile.mkdtemp(prefix="venos-bench-"))
    variants = make_variants(args.source, tmp)
    server = StaticServer(DIST)
    rows, codec_rows = [], []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        # ---- throughput: one page, every variant
        ctx, page = open_page(browser, server.url)
        startup = page.evaluate("venos.runtime.timings")
        for v in variants:
            url = f"{server.url}__bench__/{v.name}.dcm"
            route_file(page, url, v.path.read_bytes())
            first = page.evaluate(DECODE, url)  # warm-up (loads the codec)
            if not first["ok"]:
                rows.append({"variant": v.name, "syntax": v.syntax, "error": first["errors"]})
                continue
            before = page.evaluate("venos.setDecodeBudget({})")
            runs = [page.evaluate(DECODE, url) for _ in range(args.repeat)]
            after = page.evaluate("venos.setDecodeBudget({})")
            if after["decoded"] > before["decoded"]:  # a codec: its own time, in the codec worker, per frame
                ms = (after["decodeMs"] - before["decodeMs"]) / (after["decoded"] - before["decoded"])
            else:  # numpy or a Python plugin: the decode inside Python
                ms = statistics.median(r["ms"] for r in runs)
            wall = statistics.median(r["wall"] for r in runs)
            nbytes = first["nbytes"]
            rows.append({"variant": v.name, "syntax": v.syntax, "tool": v.tool, "codec": CODEC_OF.get(v.name, "numpy"),
                         "encoded_bytes": v.path.stat().st_size, "pixel_bytes": nbytes, "decode_ms": ms,
                         "frames_per_s": 1000.0 / ms, "mb_per_s": nbytes / 1e6 / (ms / 1000.0), "call_ms": wall,
                         "first_call_ms": first["wall"]})
        ctx.close()
        # ---- per codec: weight and first-use cost in a fresh page
        first_variant = {}
        for v in variants:
            first_variant.setdefault(CODEC_OF.get(v.name), v)
        for entry in runtime.get("codecs", []):
            name = entry["name"]
            files = [DIST / "codecs" / f for f in entry["files"]]
            raw = sum(f.stat().st_size for f in files)
            gz = sum(len(gzip.compress(f.read_bytes(), 9)) for f in files)
            row = {"codec": name, "package": f"{entry['package']}@{entry['version']}", "bytes": raw, "gzip_bytes": gz}
            v = first_variant.get(name)
            if v is not None:
                ctx, page = open_page(browser, server.url)
                url = f"{server.url}__bench__/{v.name}.dcm"
                route_file(page, url, v.path.read_bytes())
                t0 = time.perf_counter()
                page.evaluate(DECODE, url)
                row["first_decode_wall_ms"] = (time.perf_counter() - t0) * 1000
                row["load_ms"] = page.evaluate("venos.codecs()")["loaded"][name].get("ms")
                row["measured_with"] = v.name
                ctx.close()
            codec_rows.append(row)
        browser.close()
    server.close()

    print(f"\nDecode throughput, 512×512 CT, median of {args.repeat} (headless Chromium, one worker)")
    print(f"{'variant':26} {'syntax':25} {'codec':9} {'KB':>7} {'ms/frame':>9} {'frames/s':>9} {'MB/s':>7} {'call ms':>8}")
    for r in rows:
        if "error" in r:
            print(f"{r['variant']:26} {r['syntax']:25} ERROR {r['error']}")
            continue
        print(f"{r['variant']:26} {r['syntax']:25} {r['codec']:9} {r['encoded_bytes'] / 1024:7.0f} {r['decode_ms']:9.2f}"
              f" {r['frames_per_s']:9.0f} {r['mb_per_s']:7.1f} {r['call_ms']:8.1f}")
    print("\nCodecs: added page weight (fetched only on first use) and first-use cost")
    print(f"{'codec':14} {'package':42} {'KB':>7} {'KB gz':>7} {'load ms':>8} {'1st decode ms':>14}")
    for r in codec_rows:
        print(f"{r['codec']:14} {r['package']:42} {r['bytes'] / 1024:7.0f} {r['gzip_bytes'] / 1024:7.0f}"
              f" {r.get('load_ms') or 0:8.0f} {r.get('first_decode_wall_ms') or 0:14.0f}")
    print(f"\nStart-up without any codec (ms since worker start): {startup}")
    out_dir = ROOT / "bench" / "results"
    out_dir.mkdir(parents=True, exist_ok=True)
    out = out_dir / f"codecs-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.write_text(json.dumps({"machine": machine(), "repeat": args.repeat, "source": str(args.source),
                               "startup_timings_ms": startup, "decode": rows, "codecs": codec_rows}, indent=1))
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
