#!/usr/bin/env python3
"""Remote loading benchmark: series of N ~0.5 MB slices from another origin, under Chrome's network emulation.

    python bench/remote.py                       # 50, 200, 500 slices; 20 Mbit/s, 40 ms; manifest and URL list
    python bench/remote.py --lengths 50 --modes urls --no-throttle

Series are derived from dcm_qa_ct/GE with pydicom (new UIDs, positions shifted along the slice normal), written
once into a cache folder, served by a static server with CORS on its own loopback port (another origin than the
page). Each run uses a fresh browser context (no cache), asks ``venos.open()`` and measures, from the call:
first image (first ``rendered`` event), all slices in (the open() promise), network bytes. Link use =
bytes ÷ (bandwidth × time to the last slice). A reopen in the same page measures the in-memory cache.
Prints a table and writes JSON into bench/results/.
"""
from __future__ import annotations

import argparse
import json
import os
import platform
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "tests"))

from conftest import CHROMIUM, CHROMIUM_ARGS, DATA, DIST, StaticServer  # noqa: E402
from servers import FileHost  # noqa: E402

MBIT = 1_000_000 / 8  # bytes per second per Mbit/s


def derive_series(n: int, out: Path) -> list[str]:
    """n slices made from the 28 GE CT files: new study/series/SOP UIDs, positions 1 mm apart along the normal."""
    import numpy as np
    import pydicom
    from pydicom.uid import generate_uid

    folder = out / f"ct{n}"
    names = [f"{i + 1:04d}.dcm" for i in range(n)]
    if folder.exists() and all((folder / nm).exists() for nm in names) and (folder / "manifest.json").exists():
        return names
    folder.mkdir(parents=True, exist_ok=True)
    src = sorted((DATA / "dcm_qa_ct/GE").glob("*.dcm"))
    base = [pydicom.dcmread(f) for f in src]
    study, series = generate_uid(entropy_srcs=[f"venos-bench-{n}-study"]), generate_uid(entropy_srcs=[f"venos-bench-{n}"])
    ori = np.array([float(x) for x in base[0].ImageOrientationPatient])
    normal = np.cross(ori[:3], ori[3:])
    p0 = np.array([float(x) for x in base[0].ImagePositionPatient])
    insts = []
    for i, nm in enumerate(names):
        ds = base[i % len(base)].copy()
        ds.StudyInstanceUID, ds.SeriesInstanceUID = study, series
        ds.SOPInstanceUID = generate_uid(entropy_srcs=[f"venos-bench-{n}-{i}"])
        ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
        ds.ImageOrientationPatient = [float(x) for x in ori]
        ds.ImagePositionPatient = [round(float(x), 4) for x in p0 + normal * i]
        ds.InstanceNumber = i + 1
        ds.SeriesDescription = f"Bench {n} slices"
        ds.save_as(folder / nm, enforce_file_format=True)
        insts.append({"url": nm, "metadata": {
            "SOPInstanceUID": ds.SOPInstanceUID, "SOPClassUID": ds.SOPClassUID, "InstanceNumber": i + 1,
            "Rows": ds.Rows, "Columns": ds.Columns, "BitsAllocated": ds.BitsAllocated, "BitsStored": ds.BitsStored,
            "PixelRepresentation": ds.PixelRepresentation, "PhotometricInterpretation": ds.PhotometricInterpretation,
            "ImagePositionPatient": list(ds.ImagePositionPatient), "ImageOrientationPatient": list(ds.ImageOrientationPatient)}})
    manifest = {"studies": [{"StudyInstanceUID": study, "PatientName": "Bench", "series": [
        {"SeriesInstanceUID": series, "Modality": "CT", "SeriesNumber": 1, "instances": insts}]}]}
    (folder / "manifest.json").write_text(json.dumps(manifest))
    (folder / "list.json").write_text(json.dumps(names))
    return names


RUN_JS = """async ({ input, options }) => {
  const t0 = performance.now();
  let first = null;
  const off = venos.on('rendered', () => { if (first === null) first = performance.now() - t0; });
  const s = await venos.open(input, { options });
  const all = performance.now() - t0;
  off();
  const series = await venos.series();
  return { first, all, bytes: s.bytes, cachedBytes: s.cachedBytes, loaded: s.loaded, failed: s.failed,
           slices: series.reduce((n, x) => n + x.slices, 0), net: s.net };
}"""


def run_case(browser, site, host, n: int, mode: str, throttle: dict | None, reopen: bool, options=None) -> dict:
    ctx = browser.new_context(viewport={"width": 1280, "height": 800})
    page = ctx.new_page()
    page.goto(site.url + "index.html")
    page.evaluate("window.venos.ready")
    page.wait_for_function("window.venos && window.venos.runtime", timeout=120_000)
    if throttle:
        cdp = ctx.new_cdp_session(page)
        cdp.send("Network.enable")
        cdp.send("Network.emulateNetworkConditions", {"offline": False, **throttle})
    folder = f"{host.url}ct{n}/"
    inp = {"manifest": folder + "manifest.json"} if mode == "manifest" else {"urls": [f"{folder}{i + 1:04d}.dcm" for i in range(n)]}
    r = page.evaluate(RUN_JS, {"input": inp, "options": options})
    if reopen:
        r2 = page.evaluate(RUN_JS, {"input": inp, "options": options})
        r["reopen"] = {k: r2[k] for k in ("first", "all", "bytes", "cachedBytes", "slices")}
    ctx.close()
    return r


def machine() -> dict:
    cpu = ""
    try:
        cpu = next(ln.split(":", 1)[1].strip() for ln in Path("/proc/cpuinfo").read_text().splitlines() if ln.startswith("model name"))
    except (OSError, StopIteration):
        pass
    chrome = subprocess.run([CHROMIUM, "--version"], capture_output=True, text=True).stdout.strip()
    return {"cpu": cpu, "cores": os.cpu_count(), "os": platform.platform(), "python": platform.python_version(),
            "chromium": chrome}


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--lengths", default="50,200,500")
    ap.add_argument("--modes", default="manifest,urls")
    ap.add_argument("--mbit", type=float, default=20.0)
    ap.add_argument("--latency", type=float, default=40.0)
    ap.add_argument("--no-throttle", action="store_true", help="only the unthrottled localhost runs")
    ap.add_argument("--no-local", action="store_true", help="skip the unthrottled localhost runs")
    ap.add_argument("--options", type=json.loads, default=None, help='queue options as JSON, e.g. {"maxConcurrency": 4}')
    ap.add_argument("--data", type=Path, default=Path(os.environ.get("VENOS_BENCH_DATA", "/tmp/venos-bench")))
    args = ap.parse_args(argv)
    from playwright.sync_api import sync_playwright

    if not (DIST / "runtime.json").exists():
        subprocess.run([sys.executable, str(ROOT / "build.py")], check=True)
    lengths = [int(x) for x in args.lengths.split(",") if x]
    modes = [m for m in args.modes.split(",") if m]
    for n in lengths:
        derive_series(n, args.data)
    slice_bytes = sum(f.stat().st_size for f in (args.data / f"ct{lengths[0]}").glob("*.dcm")) / lengths[0]
    bw = args.mbit * MBIT
    throttle = {"latency": args.latency, "downloadThroughput": bw, "uploadThroughput": bw}
    site, host = StaticServer(DIST), FileHost(args.data)
    rows = []
    try:
        with sync_playwright() as pw:
            browser = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
            plans = ([] if args.no_throttle else [("throttled", throttle)]) + ([] if args.no_local else [("localhost", None)])
            for label, th in plans:
                for mode in modes:
                    for n in lengths:
                        r = run_case(browser, site, host, n, mode, th, reopen=(n == lengths[0]), options=args.options)
                        row = {"link": label, "mode": mode, "slices": n, "first_s": r["first"] / 1000,
                               "all_s": r["all"] / 1000, "bytes": r["bytes"], "loaded": r["loaded"],
                               "failed": r["failed"], "slices_per_s": n / (r["all"] / 1000),
                               "max_active": (r["net"] or {}).get("maxActive"), "reopen": r.get("reopen")}
                        if th:
                            row["link_use"] = r["bytes"] / (bw * r["all"] / 1000)
                            row["link_slices_per_s"] = bw / slice_bytes
                        rows.append(row)
                        print(fmt_row(row), flush=True)
            browser.close()
    finally:
        site.close()
        host.close()
    out = {"when": time.strftime("%Y-%m-%dT%H:%M:%S"), "machine": machine(), "mbit": args.mbit, "options": args.options,
           "latency_ms": args.latency, "slice_bytes": slice_bytes, "rows": rows}
    res = ROOT / "bench/results"
    res.mkdir(parents=True, exist_ok=True)
    path = res / f"remote-{time.strftime('%Y%m%d-%H%M%S')}.json"
    path.write_text(json.dumps(out, indent=2))
    print(f"\n{'link':<10} {'mode':<9} {'slices':>6} {'first s':>8} {'all s':>8} {'slices/s':>9} {'link use':>9} {'reopen s':>9}")
    for row in rows:
        print(fmt_row(row))
    print(f"\nslice ≈ {slice_bytes / 1e6:.3f} MB; link {args.mbit} Mbit/s = {bw / slice_bytes:.2f} slices/s; JSON: {path}")
    return 0


def fmt_row(r: dict) -> str:
    use = f"{100 * r['link_use']:.1f}%" if "link_use" in r else "—"
    ro = f"{r['reopen']['all'] / 1000:.2f}" if r.get("reopen") else ""
    return (f"{r['link']:<10} {r['mode']:<9} {r['slices']:>6} {r['first_s']:>8.3f} {r['all_s']:>8.2f} "
            f"{r['slices_per_s']:>9.1f} {use:>9} {ro:>9}")


if __name__ == "__main__":
    sys.exit(main())
