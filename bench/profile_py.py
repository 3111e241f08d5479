#!/usr/bin/env python3
"""Where the time goes inside Pyodide: cProfile of venos.api.add_file and api.render, run in headless Chromium.

    python bench/profile_py.py [--files 140] [--top 25]

Loads the built site's own Pyodide, numpy and py/site.zip into a blank page on the bench server (main thread: a
profiler needs no worker), feeds a series derived from the 28-slice CT to ``api.add_file`` and renders windows with ``api.render`` under
cProfile, and also times each stage of one add_file by hand. A diagnostic companion to run.py, not a benchmark.
"""
from __future__ import annotations

import argparse
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import browser, data  # noqa: E402
from bench.server import BenchServer  # noqa: E402

# Runs inside Pyodide. `files` is a list of (name, JS Uint8Array) pairs set by the page.
PROFILE_PY = r"""
import cProfile, io, pstats, time
import numpy as np
from venos import api
from venos.dicom.parse import read_dataset, sniff
from venos.dicom.attrs import image_info
from venos.pixels.native import native_frame
from venos.blob import BytesBlob
from venos.model.series import SeriesIndex
from venos.pixels.store import make_frame

def prof(fn, top):
    pr = cProfile.Profile()
    pr.enable(); fn(); pr.disable()
    s = io.StringIO()
    pstats.Stats(pr, stream=s).sort_stats("tottime").print_stats(top)
    return s.getvalue()

def stages(name, u8, reps=5):
    t = {}
    def clock(k, f):
        best = 1e9
        for _ in range(reps):
            a = time.perf_counter(); r = f(); best = min(best, time.perf_counter() - a)
        t[k] = best * 1000
        return r
    buf = clock("to_bytes (JS → wasm copy)", lambda: u8.to_bytes())
    clock("sniff", lambda: sniff(buf))
    parsed = clock("read_dataset (dcmread up to the pixels)", lambda: read_dataset(buf, source=name))
    info = clock("image_info", lambda: image_info(parsed.dataset, source=name, pixels=parsed.pixels))
    arr = clock("native_frame (pixels read from the file bytes)",
                lambda: native_frame(BytesBlob(buf), parsed.pixels, info, 0))
    clock("make_frame", lambda: make_frame(arr, info))
    clock("series.add (group + order key)", lambda: SeriesIndex().add(info, parsed))
    return t, len(parsed.head)

def run(files, top):
    import sys
    out = {}
    before = set(sys.modules)
    a = time.perf_counter()
    api.add_file(*files[0])
    out["first add_file in a fresh runtime, ms"] = (time.perf_counter() - a) * 1000
    a = time.perf_counter()
    api.add_file(*files[1])
    out["second add_file, ms"] = (time.perf_counter() - a) * 1000
    new = sorted(set(sys.modules) - before)
    out["modules imported by the first add_file"] = f"{len(new)}: " + " ".join(new)
    out["stages_ms"], out["dataset_buffer_bytes"] = stages(*files[0])
    half = len(files) // 2
    api.clear()
    a = time.perf_counter()
    for n, u in files[:half]:
        api.add_file(n, u)
    out["add_file ms/file, new files, growing heap"] = (time.perf_counter() - a) * 1000 / half
    api.clear()
    a = time.perf_counter()
    for n, u in files[:half]:
        api.add_file(n, u)
    out["add_file ms/file, same files again, heap already grown"] = (time.perf_counter() - a) * 1000 / half
    api.clear()
    a = time.perf_counter()
    for k, (n, u) in enumerate(files[:half]):
        api.add_blob(n, k, u.length, u.subarray(0, 16384))
    out["add_blob ms/file (bytes held by JS, 16 kB head handed over)"] = (time.perf_counter() - a) * 1000 / half
    api.clear()
    out["add_file_profile (second half, new files)"] = prof(lambda: [api.add_file(n, u) for n, u in files[half:]], top)
    sid = api.series()[0]["id"]
    def windows():
        for i in range(60):
            api.render({"series": sid, "slice": 3, "center": 40 + i, "width": 400 + 3 * i})
    times = []
    for i in range(60):
        a = time.perf_counter()
        api.render({"series": sid, "slice": 3, "center": 1040 + i, "width": 1400 + 3 * i})
        times.append((time.perf_counter() - a) * 1000)
    out["render_ms_median"] = float(np.median(times))
    from venos.view.render import render_mono, Display
    from venos.view.lut import grey_levels
    store = api._session.pixels
    fr = next(iter(store._pinned.values()), None) or next(iter(store.cache._items.values()))
    lut_t, gather_t = [], []
    for i in range(60):
        d = Display("MONOCHROME2", 1.0, -1024.0, 2040.0 + i, 400.0 + i, "LINEAR", False)
        a = time.perf_counter(); vals = np.arange(int(fr.lo), int(fr.hi) + 1, dtype=np.int64)
        grey_levels(vals, slope=1.0, intercept=-1024.0, center=d.center, width=d.width); b = time.perf_counter()
        render_mono(fr.pixels, fr.lo, fr.hi, d); c = time.perf_counter()
        lut_t.append((b - a) * 1000); gather_t.append((c - b) * 1000)
    out["lut_fill_ms_median"] = float(np.median(lut_t))
    out["render_mono_ms_median (fill + gather)"] = float(np.median(gather_t))
    out["value_range"] = [float(fr.lo), float(fr.hi)]
    out["render_profile"] = prof(windows, top)
    return out
"""

# Import cost of each layer, measured first in a fresh runtime (what the worker's "import" stage pays).
IMPORTS_PY = r"""
import time
out = {}
for name in ("numpy", "pydicom", "venos.api"):
    a = time.perf_counter()
    __import__(name)
    out[name] = (time.perf_counter() - a) * 1000
out
"""

PAGE_JS = r"""
async ({ base, urls, code, top, imports: IMPORTS }) => {
  const { loadPyodide } = await import(base + "pyodide/pyodide.mjs");
  const py = await loadPyodide({ indexURL: base + "pyodide/" });
  // the build's runtime diet: numpy and the site unpacked as the worker does; lazy bundles fetched up front and
  // handed to venos._lazy (a page cannot make the synchronous binary requests the worker makes)
  const sp = "/lib/python3.12/site-packages";
  for (const z of ["py/site.zip", "py/numpy.zip"]) {
    py.unpackArchive(await (await fetch(base + z)).arrayBuffer(), "zip", { extractDir: sp });
  }
  const index = JSON.parse(py.FS.readFile(sp + "/venos/_lazy_index.json", { encoding: "utf8" }));
  const bundles = new Map();
  for (const b of Object.values(index.bundles)) {
    bundles.set(base + b.url, new Uint8Array(await (await fetch(base + b.url)).arrayBuffer()));
  }
  py.pyimport("venos._lazy").install(base, py.runPython("lambda get: lambda url: get(url).to_bytes()")((url) => bundles.get(url)));
  const files = await Promise.all(urls.map(async (u) => [u.split("/").pop(), new Uint8Array(await (await fetch(u)).arrayBuffer())]));
  const imports = py.runPython(IMPORTS).toJs({ dict_converter: Object.fromEntries });
  py.registerJsModule("venos_blobs", { read: (k, o, l) => files[k][1].subarray(o, o + l), release() {} });
  py.runPython(code);
  const res = py.globals.get("run")(py.toPy(files, { depth: 1 }), top);
  return { "import ms (fresh runtime, in order)": imports, ...res.toJs({ dict_converter: Object.fromEntries }) };
}
"""


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--top", type=int, default=25)
    ap.add_argument("--files", type=int, default=140, help="slices derived from the 28-slice CT")
    ap.add_argument("--dist", type=Path, default=ROOT / "dist")
    args = ap.parse_args(argv)
    from playwright.sync_api import sync_playwright

    with tempfile.TemporaryDirectory(prefix="venos-prof-") as tmp:
        src = data.source_dir()
        names = data.series(args.files, Path(tmp) / "ct", src)
        (Path(tmp) / "blank.html").write_text("<!doctype html><title>profile</title>")
        with BenchServer(args.dist, Path(tmp)) as server, sync_playwright() as pw:
            b = browser.launch(pw)
            page = b.new_page()
            page.goto(server.url + "bench-data/blank.html")
            res = page.evaluate(PAGE_JS, {"base": server.url, "code": PROFILE_PY, "top": args.top, "imports": IMPORTS_PY,
                                          "urls": [f"{server.url}bench-data/ct/{n}" for n in names]})
            b.close()
    for k, v in res.items():
        if isinstance(v, str):
            print(f"\n== {k}\n{v}")
        elif isinstance(v, dict):
            print(f"\n== {k}")
            for kk, vv in v.items():
                print(f"  {kk:40s} {vv:8.2f}")
        else:
            print(f"{k}: {v}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
