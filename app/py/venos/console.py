"""The Python console: what the user types, run against what is loaded (issue 13).

It runs only code typed into the console panel, or handed to ``venos.console.run()`` by the page embedding the
viewer — never code from a file, a manifest, a URL or a share link (nothing else calls :func:`run`). The namespace
persists between runs and offers the viewer's data:

``series()`` the loaded series; ``view`` the active viewport's view state; ``ds()`` the pydicom dataset of the
image shown (its header: pixels are read by ``pixels()``); ``pixels()`` the image shown in modality units (HU for
CT) as a float64 array — a reformatted plane as well; ``volume()`` the series' slices stacked, in modality units;
``show(array, name)`` adds a 2D or 3D array as a new series every tool works on (derived from the series shown:
same patient, study, geometry when the shape matches); ``measure(name, points)`` the tools' own measurements.

A run has a time budget (``timeout_ms``): Python code past it is stopped (a line tracer raises ``TimeoutError``),
and the loaded study stays. A single numpy call cannot be interrupted, but on loaded images it takes seconds at most.
"""
from __future__ import annotations

import ast
import contextlib
import io
import linecache
import sys
import time
import traceback
from typing import Any

import numpy as np

from ._js import to_plain
from .session import resolve, session
from .view.lut import modality_values

_namespace: dict[str, Any] = {}
_shown = 0  # series added by show(), for names and UIDs
_runs = 0  # each run's code is its own "<console-n>" file, so a traceback quotes the right lines


def run(code: str, state: Any = None, timeout_ms: float = 10_000.0) -> dict:
    """Run ``code``; its last expression's value is printed, as at a Python prompt. Returns ``{ok, output, error,
    ms, added}``: the printed text, the traceback (when it failed), and the series ``show()`` added."""
    global _runs
    ns = _namespace or _fresh()
    _runs += 1
    name = f"<console-{_runs}>"
    linecache.cache[name] = (len(code), None, str(code).splitlines(True), name)
    view = to_plain(state) or {}
    added: list[str] = []
    ns.update(_helpers(view, added))
    out = io.StringIO()
    t0 = time.perf_counter()
    deadline = t0 + max(0.05, float(timeout_ms) / 1000.0)
    ok, error = True, ""
    try:
        tree = ast.parse(str(code), name, "exec")
        last = tree.body.pop() if tree.body and isinstance(tree.body[-1], ast.Expr) else None
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(out), _budget(deadline, timeout_ms):
            exec(compile(tree, name, "exec"), ns)  # noqa: S102 — the user's own typed code, by design
            if last is not None:
                value = eval(compile(ast.Expression(last.value), name, "eval"), ns)  # noqa: S307
                if value is not None:
                    ns["_"] = value
                    print(_show_value(value))
    except BaseException as exc:  # noqa: BLE001 — everything the user's code raises is theirs to read
        if isinstance(exc, (SystemExit, KeyboardInterrupt)):
            exc = RuntimeError(f"{type(exc).__name__} is not available in the console")
        ok = False
        error = _traceback(exc)
    return {"ok": ok, "output": out.getvalue()[-200_000:], "error": error, "ms": (time.perf_counter() - t0) * 1e3,
            "added": added}


def reset() -> None:
    """Forget the console's variables (the viewer's clear() does this too)."""
    _namespace.clear()


def _fresh() -> dict:
    import pydicom

    _namespace.update({"__name__": "__console__", "np": np, "numpy": np, "pydicom": pydicom})
    return _namespace


@contextlib.contextmanager
def _budget(deadline: float, timeout_ms: float):
    """Stop Python code that runs past ``deadline``: a tracer checks the clock on every line of the user's code."""
    ticks = [0]

    def line(frame, event, arg):
        # every opcode of the user's frames (a loop on one line emits no new line events), the clock every 1000
        ticks[0] += 1
        if ticks[0] % 1000 == 0 and time.perf_counter() > deadline:
            raise TimeoutError(f"stopped after {timeout_ms / 1000:g} s, the console's time budget "
                               "(venos.console.run(code, {timeoutMs}) sets another); the loaded study is kept")
        return line

    def call(frame, event, arg):
        if not frame.f_code.co_filename.startswith("<console"):
            return None
        frame.f_trace_opcodes = True
        return line

    previous = sys.gettrace()
    sys.settrace(call)
    try:
        yield
    finally:
        sys.settrace(previous)


def _traceback(exc: BaseException) -> str:
    """The traceback from the user's first frame on, without the console's own frames (they say nothing to them)."""
    frames = traceback.extract_tb(exc.__traceback__)
    first = next((i for i, f in enumerate(frames) if f.filename.startswith("<console")), len(frames))
    mine = __file__.rsplit(".", 1)[0]
    shown = [f for f in frames[first:] if not (f.filename.rsplit(".", 1)[0] == mine and f.name == "line")]
    head = "Traceback (most recent call last):\n" if shown else ""
    return head + "".join(traceback.format_list(shown)) + "".join(traceback.format_exception_only(type(exc), exc))


def _show_value(value: Any) -> str:
    if isinstance(value, np.ndarray):
        with np.printoptions(threshold=200, edgeitems=3, precision=6):
            return f"array shape={value.shape} dtype={value.dtype}\n{value!r}"
    return repr(value)


def _helpers(view: dict, added: list[str]) -> dict:
    from . import api

    def state() -> dict:
        if not view.get("series"):
            raise LookupError("no image is shown: load a study first")
        return view

    def pixels() -> np.ndarray:
        """The image shown, in modality units (after the rescale or Modality LUT), as float64."""
        r = resolve(state())
        fi = r.frame_info
        return modality_values(r.frame.pixels, slope=fi.slope, intercept=fi.intercept, modality_lut=fi.modality_lut)

    def volume() -> np.ndarray:
        """Every slice of the series shown, in modality units, stacked in the series' order (slices, rows, cols)."""
        s = session.get_series(state()["series"])
        planes = []
        for sl in s.ordered():
            inst = sl.instance
            fi = inst.info.frame(sl.frame)
            frame = session.pixels.get(inst.key, inst.info, inst.source, sl.frame)
            planes.append(modality_values(frame.pixels, slope=fi.slope, intercept=fi.intercept,
                                          modality_lut=fi.modality_lut))
        return np.stack(planes)

    def ds():
        r = resolve(state(), need_pixels=False)
        dataset = getattr(r.slice.instance.source, "dataset", None)
        if dataset is None:
            raise LookupError("the image shown has no DICOM dataset (a JPEG or PNG)")
        return dataset

    def show(array, name: str = "Console") -> str:
        """Add ``array`` (rows × columns, or slices × rows × columns, in modality units) as a new series."""
        sid = _add_series(np.asarray(array), str(name), view)
        added.append(sid)
        return sid

    def measure(name: str, points) -> dict:
        return api.measure(name, state(), points)

    return {"series": api.series, "view": dict(view), "pixels": pixels, "volume": volume, "ds": ds, "show": show,
            "measure": measure}


def _add_series(array: np.ndarray, name: str, view: dict) -> str:
    """Write ``array`` as DICOM files derived from the series shown (patient, study, and each slice's geometry when
    the shape matches) and add them like any file: every tool then works on the result."""
    from pydicom.uid import generate_uid

    from . import load
    from .blob import BytesBlob
    from .dicom.write import file_bytes, greyscale_sc

    global _shown
    if array.dtype == bool:
        array = array.astype(np.int16)
    if array.ndim == 2:
        array = array[None]
    if array.ndim != 3 or array.size == 0 or array.dtype.kind not in "iufb":
        raise ValueError(f"show() takes a 2D or 3D array of numbers, not shape {array.shape} of {array.dtype}")
    array = np.asarray(array, dtype=np.float64)
    if not np.all(np.isfinite(array)):
        raise ValueError("show() takes finite numbers only (the array holds NaN or infinity)")
    lo, hi = float(array.min()), float(array.max())
    whole = np.all(array == np.round(array))
    if whole and lo >= -32768 and hi <= 32767:
        slope, intercept, stored = 1.0, 0.0, array.astype(np.int16)
    else:  # the values onto int16, with the rescale that gives them back (as a CT stores HU)
        slope = (hi - lo) / 65534.0 or 1.0
        intercept = lo + 32767.0 * slope
        stored = np.round((array - intercept) / slope).clip(-32767, 32767).astype(np.int16)

    source, slices = None, []
    if view.get("series") and session.series.get(str(view["series"])) is not None:
        s = session.series.get(str(view["series"]))
        slices = s.ordered()
        source = getattr(slices[0].instance.source, "dataset", None)
    same_grid = len(slices) == stored.shape[0] and all(
        (sl.instance.info.rows, sl.instance.info.columns) == stored.shape[1:] for sl in slices)
    if not same_grid and stored.shape[0] == 1 and view.get("series") and not view.get("plane"):
        r = resolve(view, need_pixels=False)  # one image the size of the slice shown: its geometry
        if (r.info.rows, r.info.columns) == stored.shape[1:]:
            slices, same_grid = [r.slice], True
    _shown += 1
    series_uid = generate_uid()
    ids = set()
    for k, plane in enumerate(stored):
        ds = greyscale_sc(plane)
        for kw in ("PatientName", "PatientID", "PatientBirthDate", "PatientSex", "StudyInstanceUID", "StudyDate",
                   "StudyTime", "StudyDescription", "AccessionNumber", "StudyID"):
            if source is not None and kw in source:
                setattr(ds, kw, source[kw].value)
        if "StudyInstanceUID" not in ds:
            ds.StudyInstanceUID = generate_uid()
        ds.SeriesInstanceUID = series_uid
        ds.Modality = (source.get("Modality", "OT") if source is not None else "OT") or "OT"
        ds.SeriesDescription = name[:64]
        ds.SeriesNumber = 9000 + _shown
        ds.InstanceNumber = k + 1
        ds.ImageType = ["DERIVED", "SECONDARY", "CONSOLE"]
        ds.ConversionType = "WSD"
        if same_grid:
            info = slices[k].instance.info
            fi = info.frame(slices[k].frame)
            if fi.position is not None and fi.orientation is not None:
                ds.ImagePositionPatient = [f"{v:.6g}" for v in fi.position]
                ds.ImageOrientationPatient = [f"{v:.8g}" for v in fi.orientation]
                ds.FrameOfReferenceUID = info.frame_of_reference or generate_uid()
            if info.pixel_spacing is not None and info.spacing_source.startswith("Pixel"):
                ds.PixelSpacing = [f"{v:.8g}" for v in info.pixel_spacing]
            if info.slice_thickness:
                ds.SliceThickness = f"{info.slice_thickness:.6g}"
        ds.RescaleSlope, ds.RescaleIntercept = f"{slope:.10g}", f"{intercept:.10g}"
        ds.RescaleType = "HU" if ds.Modality == "CT" else "US"
        res = load.add(f"{name}/{k + 1:04d}.dcm", BytesBlob(file_bytes(ds)), f"console-{_shown}")
        if not res.get("ok"):
            raise ValueError(f"show() could not add image {k + 1}: {res.get('error', {}).get('message', res)}")
        ids.add(res["series"])
    return sorted(ids)[0]
