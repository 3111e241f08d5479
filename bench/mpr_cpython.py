#!/usr/bin/env python3
"""Multiplanar reformatting on CPython (the browser figures: bench/cases/mpr.py): a synthetic 512×512×300 int16 CT through venos.api.

    python bench/mpr_cpython.py [--slices 300] [--repeat 7]

Times building the volume from frames already decoded, the first coronal and sagittal image, scrolling (a new
image each time, so the image cache never answers), 10 mm MIP slabs in each plane, and oblique images. The
targets are the Pyodide ones (docs/api.md "Multiplanar reformatting") divided by 3, Pyodide being 2–3× slower
than CPython on this numpy work: a row met here is a row likely met in the browser, to be confirmed there.
Prints a table; writes JSON to bench/results/.
"""
from __future__ import annotations

import argparse
import json
import platform
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parents[1]
for p in (ROOT, ROOT / "app/py", ROOT / "tests"):
    if str(p) not in sys.path:
        sys.path.insert(0, str(p))

from bench.report import Row, table  # noqa: E402

PYODIDE_FACTOR = 3.0


def load(slices: int) -> str:
    import synthetic as sy
    from venos import api

    rng = np.random.default_rng(1)
    base = rng.integers(-1024, 2000, size=(512, 512)).astype(np.int16)
    uid, frame = sy.generate_uid(), sy.generate_uid()
    sid = ""
    for k in range(slices):
        data = sy.ct_slice(np.roll(base, 3 * k, axis=1), (-125.0, -125.0, 0.7 * k), spacing=(0.49, 0.49),
                           series_uid=uid, frame_uid=frame, number=k + 1)
        sid = api.add_file(f"s{k:04d}.dcm", data)["series"]
    for k in range(slices):  # every frame decoded and cached: the build copies, it does not decode
        api.pixel_data(sid, k)
    return sid


def clock(fn) -> float:
    t0 = time.perf_counter()
    fn()
    return (time.perf_counter() - t0) * 1000.0


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--slices", type=int, default=300)
    ap.add_argument("--repeat", type=int, default=7)
    args = ap.parse_args()
    from venos import api
    from venos.session import session

    sid = load(args.slices)
    win = {"series": sid, "center": 40, "width": 400}
    first_build = clock(lambda: api.render({**win, "plane": "axial"}))

    def rebuild():
        session.volumes.drop()
        api.render({**win, "plane": "axial"})

    rows = [Row("mpr", "build volume, first time (allocating)", "ms", [first_build], 1000 / PYODIDE_FACTOR)]
    rows.append(Row("mpr", "build volume from cached frames", "ms", [clock(rebuild) for _ in range(args.repeat)],
                    1000 / PYODIDE_FACTOR))
    n = args.repeat

    def renders(state: dict, start: int) -> list[float]:
        return [clock(lambda i=i: api.render({**win, **state, "slice": start + i})) for i in range(n)]

    for plane in ("coronal", "sagittal"):
        rows.append(Row("mpr", f"first {plane} image", "ms", [clock(lambda p=plane: api.render(
            {**win, "plane": p, "slice": 300}))], 150 / PYODIDE_FACTOR))
        ms = renders({"plane": plane}, 100)
        rows.append(Row("mpr", f"scroll {plane}", "images/s", [1000.0 / m for m in ms], 30 * PYODIDE_FACTOR,
                        better="higher"))
    for plane in ("axial", "coronal", "sagittal"):
        rows.append(Row("mpr", f"10 mm MIP, {plane}", "ms", renders({"plane": plane, "slab": 10}, 120),
                        100 / PYODIDE_FACTOR))
    rows.append(Row("mpr", "oblique 30°", "ms", renders({"plane": "oblique", "angle": 30}, 200), None))
    rows.append(Row("mpr", "10 mm MIP, oblique 30°", "ms",
                    renders({"plane": "oblique", "angle": 30, "slab": 10}, 220), None))
    rows.append(Row("mpr", "window drag on a reformatted image", "ms",
                    [clock(lambda c=c: api.render({**win, "plane": "coronal", "slice": 100, "center": c}))
                     for c in range(n)], None))
    print(f"\nMultiplanar reformatting, 512×512×{args.slices} int16, CPython {platform.python_version()}, "
          f"numpy {np.__version__}; targets = Pyodide targets / {PYODIDE_FACTOR:g}")
    print(table(rows))
    out_dir = ROOT / "bench" / "results"
    out_dir.mkdir(parents=True, exist_ok=True)
    out = out_dir / f"mpr-{time.strftime('%Y%m%d-%H%M%S')}.json"
    out.write_text(json.dumps({"python": platform.python_version(), "numpy": np.__version__,
                               "slices": args.slices, "rows": [r.to_dict() for r in rows]}, indent=1))
    print(f"wrote {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
