#!/usr/bin/env python3
"""The renderer's memory while the worst inputs the limits allow are thrown at a loaded viewer.

    python bench/hostile_memory.py [--good 40]

Serves the built dist/ and a folder of generated inputs on loopback, opens the viewer in headless Chromium, loads
``--good`` CT slices (the loaded data), then hands over each input below as a dropped File, one at a time, while
the renderer process's PSS (/proc, every 50 ms) is sampled. Reported per input: the peak above the memory the
viewer held with its good slices loaded, how long the load took to settle, what the viewer said, and whether it
still answers. Inputs, each just inside or just past a limit (docs/api.md "Limits", "Memory"):

* a zip whose one member inflates to 1 GiB of zeros (the per-member limit; the memory budget lets it in);
* the same with a member that starts like DICOM (so it passes the first-bytes check and is inflated whole);
* a zip of two 0.95 GiB members (just under the 2 GiB per archive);
* a deflated-syntax file whose data set inflates to 1 GiB (refused past 512 MB);
* a 2 kB file declaring 1,000,000 frames;
* a JPEG file declaring a 16384 × 16384 frame with a 512 × 512 stream;
* a zip of 19,999 entries that are not DICOM (just under the 20,000 entries).

A benchmark, not a test: it prints a table and writes JSON to bench/results/.
"""
from __future__ import annotations

import argparse
import json
import sys
import tempfile
import threading
import time
import zipfile
import zlib
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import browser, data  # noqa: E402
from bench.server import BenchServer  # noqa: E402

MB = 2 ** 20
GiB = 2 ** 30


def zeros_zip(path: Path, members: dict[str, int]) -> None:
    chunk = b"\0" * (16 * MB)
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as z:
        for name, size in members.items():
            with z.open(name, "w", force_zip64=True) as f:
                left = size
                while left:
                    n = min(left, len(chunk))
                    f.write(chunk[:n])
                    left -= n


def deflated_dicom(path: Path, inflated: int) -> None:
    """Explicit VR LE file meta, then a deflated data set: a few elements and one private OB of zeros."""
    import struct

    ts = b"1.2.840.10008.1.2.1.99"
    sop = b"1.2.840.10008.5.1.4.1.1.7\0"
    uid = b"1.2.3.4.5.6.7.8.9\0"

    def el(group, elem, vr, value):
        if vr in (b"OB", b"UN", b"SQ", b"UT"):
            return struct.pack("<HH2sHI", group, elem, vr, 0, len(value)) + value
        return struct.pack("<HH2sH", group, elem, vr, len(value)) + value

    meta_body = (el(2, 1, b"OB", b"\0\1") + el(2, 2, b"UI", sop) + el(2, 3, b"UI", uid)
                 + el(2, 0x10, b"UI", ts + (b"\0" if len(ts) % 2 else b"")) + el(2, 0x12, b"UI", uid))
    meta = el(2, 0, b"UL", struct.pack("<I", len(meta_body))) + meta_body
    head = el(8, 0x16, b"UI", sop) + el(8, 0x18, b"UI", uid) + el(8, 0x60, b"CS", b"OT")
    big = struct.pack("<HH2sHI", 0x0009, 0x1010, b"OB", 0, inflated)
    comp = zlib.compressobj(9, zlib.DEFLATED, -15)
    with open(path, "wb") as f:
        f.write(b"\0" * 128 + b"DICM" + meta)
        f.write(comp.compress(head + big))
        chunk = b"\0" * (16 * MB)
        left = inflated
        while left:
            n = min(left, len(chunk))
            f.write(comp.compress(chunk[:n]))
            left -= n
        f.write(comp.flush())


def make_inputs(folder: Path) -> list[tuple[str, str]]:
    import io

    import pydicom

    sys.path.insert(0, str(ROOT / "tests"))
    import hostile  # noqa: E402

    out = []
    zeros_zip(folder / "member-1gib.zip", {"big.dcm": GiB})
    out.append(("member-1gib.zip", "zip: one member inflating to 1 GiB"))
    with zipfile.ZipFile(folder / "dicom-like-1gib.zip", "w", zipfile.ZIP_DEFLATED) as z:  # passes the head check
        with z.open("big.dcm", "w", force_zip64=True) as f:
            f.write(b"\0" * 128 + b"DICM")
            chunk = b"\0" * (16 * MB)
            for _ in range(63):  # 1008 MB: under the 1 GiB per member
                f.write(chunk)
    out.append(("dicom-like-1gib.zip", "zip: a member starting like DICOM, then 1008 MB of zeros"))
    zeros_zip(folder / "archive-1.9gib.zip", {"a.dcm": 950 * MB, "b.dcm": 950 * MB})
    out.append(("archive-1.9gib.zip", "zip: two members of 0.95 GiB"))
    deflated_dicom(folder / "deflated-1gib.dcm", GiB)
    out.append(("deflated-1gib.dcm", "deflated data set inflating to 1 GiB"))
    ds = pydicom.dcmread(io.BytesIO(hostile.base_bytes("native")))
    ds.NumberOfFrames = 1_000_000
    ds.PixelData = b"\0" * 2048
    buf = io.BytesIO()
    ds.save_as(buf, enforce_file_format=True)
    (folder / "frames-1m.dcm").write_bytes(buf.getvalue())
    out.append(("frames-1m.dcm", "2 kB declaring 1,000,000 frames"))
    jpeg = pydicom.dcmread(io.BytesIO(hostile.base_bytes("jpeg-baseline")))
    jpeg.Rows = jpeg.Columns = 16384
    buf = io.BytesIO()
    jpeg.save_as(buf, enforce_file_format=True)
    (folder / "jpeg-16384.dcm").write_bytes(buf.getvalue())
    out.append(("jpeg-16384.dcm", "JPEG declaring 16384 × 16384"))
    with zipfile.ZipFile(folder / "entries-19999.zip", "w", zipfile.ZIP_STORED) as z:
        for i in range(19_999):
            z.writestr(f"e{i}.txt", b"not dicom")
    out.append(("entries-19999.zip", "zip of 19,999 entries that are not DICOM"))
    return out


class Sampler(threading.Thread):
    def __init__(self) -> None:
        super().__init__(daemon=True)
        self.peak = 0
        self.stop = threading.Event()

    def run(self) -> None:
        while not self.stop.is_set():
            self.peak = max(self.peak, sum(r.get("pss", 0) for r in browser.renderer_memory()))
            time.sleep(0.05)


def pss() -> int:
    return sum(r.get("pss", 0) for r in browser.renderer_memory())


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--good", type=int, default=40)
    ap.add_argument("--dist", type=Path, default=ROOT / "dist")
    ap.add_argument("--timeout", type=float, default=120.0)
    args = ap.parse_args(argv)
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="venos-hostile-mem-") as tmp:
        folder = Path(tmp)
        t = time.perf_counter()
        inputs = make_inputs(folder)
        good = data.series(args.good, folder / "ct", data.source_dir())
        print(f"[bench] inputs made in {time.perf_counter() - t:.1f} s", file=sys.stderr)
        rows = []
        with BenchServer(args.dist, folder) as server, sync_playwright() as pw:
            b = browser.launch(pw)
            ctx, page, _ = browser.open_ready(b, server.url)
            ready = pss()
            page.evaluate("(u) => __bench.makeFiles(u)", [f"{server.url}bench-data/ct/{n}" for n in good])
            page.evaluate("__bench.loadTimed()")
            page.wait_for_timeout(1000)
            loaded = pss()
            memory = page.evaluate("venos.stats()")["memory"]
            for name, what in inputs:
                page.evaluate("(u) => __bench.makeFiles(u)", [f"{server.url}bench-data/{name}"])
                base = pss()
                s = Sampler()
                s.start()
                t0 = time.perf_counter()
                res = page.evaluate("""async (ms) => {
                    const before = (await venos.skipped()).length;
                    const s = await Promise.race([venos.load(__bench.files),
                        new Promise((r) => setTimeout(() => r({ timeout: true }), ms))]);
                    const skipped = (await venos.skipped()).slice(before);
                    return { s, skipped: skipped.slice(0, 2), skips: skipped.length };
                }""", args.timeout * 1000)
                settled = time.perf_counter() - t0
                page.wait_for_timeout(500)
                s.stop.set()
                s.join()
                t1 = time.perf_counter()
                answers = len(page.evaluate("venos.series()")) >= 1
                answer_ms = (time.perf_counter() - t1) * 1000
                rows.append({"input": name, "what": what, "peak_over_loaded_mb": (s.peak - loaded) / MB,
                             "peak_over_before_mb": (s.peak - base) / MB, "settled_s": settled,
                             "timeout": bool(res["s"].get("timeout")), "skips": res["skips"],
                             "said": [f"{x['code']}: {x['message'][:110]}" for x in res["skipped"]],
                             "still_answers": answers, "answer_ms": answer_ms, "after_mb": pss() / MB})
                page.evaluate("__bench.files = []")
            ctx.close()
            b.close()
    print(f"\nRenderer PSS: ready {ready / MB:.0f} MB; with {args.good} slices loaded {loaded / MB:.0f} MB; "
          f"memory budget {memory['budget'] / MB:.0f} MB (used {memory['used'] / MB:.0f} MB)")
    print(f"{'input':22} {'peak over loaded':>17} {'settled':>8} {'answers':>8}  what the viewer said")
    for r in rows:
        said = r["said"][0] if r["said"] else "(loaded)"
        print(f"{r['input']:22} {r['peak_over_loaded_mb']:14.0f} MB {r['settled_s']:7.1f}s "
              f"{'yes' if r['still_answers'] else 'NO':>8}  {r['skips']} skip(s); {said}")
    out = ROOT / "bench" / "results" / f"hostile-memory-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps({"ready_mb": ready / MB, "loaded_mb": loaded / MB, "good": args.good,
                               "memory": memory, "rows": rows}, indent=1))
    print(f"JSON: {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
