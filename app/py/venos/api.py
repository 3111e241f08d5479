"""The only module JavaScript calls: plain values in (str, int, float, bytes, dicts), plain values out.

A thin dispatch onto the layers: ``load`` (files into the session), ``session`` (what is loaded; a view state
resolved against it), ``view`` (display, drawing, captions), ``tools`` (interactions and measurements), ``sources``
(remote cases), ``codec_api`` (browser codecs). Functions that handle user data return a result instead of raising
for expected problems (bad file, unsupported encoding), so one bad file never stops the rest:
``{"ok": False, "error": {code, message, source, frame}}``. Other :class:`VenosError`s propagate with their code;
the worker passes ``code`` on as it is (kebab-case, documented in docs/api.md).
"""
from __future__ import annotations

import gc
import time
from typing import Any

import numpy as np

from . import __version__, load
from ._js import as_bytes, to_plain
from .blob import BytesBlob, JsBlob
from .errors import NotAVolume, PendingPixels, VenosError
from .errors import error_codes  # noqa: F401 (the worker reads it once)
from .session import Resolved, plane_for, resolve, session
from .tools import MEASUREMENTS, TOOLS, Measured, catalogue  # noqa: F401 (catalogue: the page reads it)
from .tools.basic import Context
from .view import mpr
from .view.captions import captions, units_of
from .view.display import draw
from .view.lut import modality_values
from .view.render import Display, forget_indexes, render_mono
from .view.state import ViewState
# browser codecs and whole-file decoding; DICOMweb helpers: JavaScript calls them through this module
from .codec_api import (codec_deliver, codec_failed, codec_ready, codecs_offer, codecs_status,  # noqa: F401
                        codecs_take_jobs, codecs_wanted, decode_file)
from .remote_api import dicomweb_results, dicomweb_search_url, dicomweb_urls  # noqa: F401
# sharing a case, measurement reports, presentation states: their modules are imported on first use
from .share_api import export_case, locate, presentations, report_write, reports, share_survey  # noqa: F401

_session = session  # the tests' name for it


def version() -> dict:
    import pydicom

    from ._lazy import package_version

    return {"venos": __version__, "pydicom": pydicom.__version__, "numpy": package_version("numpy")}


def clear() -> None:
    session.clear()
    forget_indexes()
    from . import console

    console.reset()
    from .pixels.codecs import forget_jobs

    forget_jobs()


_WARM_PARSE_MS = 150.0  # the parse path's share of the warm-up (docs/benchmarks.md: 60 ms gained less, 400 no more)
_WARM_STEP_MS = 30.0  # one step of it: a call that arrives meanwhile waits for one step, not the whole warm-up
_warm = {"stage": "render", "ms": 0.0, "parse_ms": 0.0, "parses": 0}


def warm_up_step(parse_ms: float | None = None) -> dict:
    """One step of the idle warm-up after the start; the worker calls it while nothing waits until ``done``.

    The render path first, on synthetic data, so the WebAssembly engine has optimized it before the first real
    window drag (measured: the first ~50 renders in a fresh Pyodide run 3× slower). Then, while nothing is loaded,
    the parse path: the engine optimizes the interpreter's paths through pydicom only after they have run a while
    (parse_api.warm_up: a made-up CT header over and over), so a first load's headers parse at the speed of a later
    load's (measured on 140 files dropped a second after the start: Python ~20 % less). Last, what start-up made
    leaves the cycle collector. ``parse_ms``: the parse path's budget (default ``_WARM_PARSE_MS``; the first visit's
    rehearsal of a repeat visit runs it longer, app/js/rehearsal.js). Returns {done, ms, parses}: the time all steps
    took, the headers parsed."""
    budget = _WARM_PARSE_MS if parse_ms is None else float(parse_ms)
    t0 = time.perf_counter()
    stage = _warm["stage"]
    if stage == "render":
        frame = ((np.arange(512 * 512, dtype=np.int32) * 7919) % 4096 - 1024).astype(np.int16).reshape(512, 512)
        for i in range(16):
            d = Display("MONOCHROME2", 1.0, -1024.0, 40.0 + i, 400.0 + 7 * i, "LINEAR", bool(i & 1))
            render_mono(frame, -1024, 3071, d)
        _warm["stage"] = "parse"
    elif stage == "parse":
        if session.series:  # a load began: its own files warm the path, and nothing may be frozen now
            _warm["stage"] = "done"
        else:
            from .parse_api import warm_up as warm_parse

            ran = warm_parse(budget_ms=min(_WARM_STEP_MS, budget - _warm["parse_ms"]))
            _warm["parses"] += ran["runs"]
            _warm["parse_ms"] += ran["ms"]  # parsing only (the first step also makes the header it parses)
            if _warm["parse_ms"] >= budget - 1.0:
                _warm["stage"] = "freeze"
    elif stage == "freeze":
        if not session.series:
            # What start-up made (~32,000 modules, functions, classes: they live as long as the page) leaves the
            # cycle collector's generations: a load's collections then walk only what the load made. Measured on
            # 140 files: Python ~10 % faster (the full collections had walked everything start-up made each time).
            # Only before anything is loaded, so that no image's objects are exempted from collection.
            gc.collect()
            gc.freeze()
        _warm["stage"] = "done"
    _warm["ms"] += (time.perf_counter() - t0) * 1000.0
    return {"done": _warm["stage"] == "done", "ms": _warm["ms"], "parses": _warm["parses"]}


# ------------------------------------------------------------------------------------------------ loading

def add_file(name: str, data: Any, group: str = "") -> dict:
    """Parse one file (its bytes) and add it to its series; see :func:`add_blob`."""
    return load.add(str(name), BytesBlob(as_bytes(data)), group)


def add_blob(name: str, key: int, size: int, head: Any = None, group: str = "") -> dict:
    """Add a file whose bytes the worker's JavaScript holds under ``key`` (app/js/blobs.js): only its header is read
    now (``head``: its first bytes, when the worker read them ahead), a frame's pixels when it is shown. A PNG or
    JPEG answers ``{"ok": False, "plain": "png" | "jpeg"}`` (the browser decodes it, then :func:`add_image`);
    anything else that cannot be shown is skipped, saying why."""
    return load.add(str(name), JsBlob(key, size, as_bytes(head)), group)


def add_parsed(name: str, key: int, size: int, head: Any, parsed_elsewhere: Any, group: str = "") -> dict:
    """:func:`add_blob` for a file a parsing helper worker has parsed (app/js/parsepool.js): ``parsed_elsewhere``
    is its answer (``venos.parse_api.parse_head``), so only what follows the parse happens here."""
    return load.add_parsed(str(name), JsBlob(key, size, as_bytes(head)), as_bytes(parsed_elsewhere), group)


def verify(key: int, give_up: bool = False) -> dict:
    """Decode the first frame of a compressed file added while its decoder was busy or loading: keep the file, or
    skip it with the reason (``load.verify``)."""
    return load.verify(int(key), bool(give_up))


def add_image(name: str, width: int, height: int, rgba: Any, group: str = "") -> dict:
    """Add a plain (JPEG/PNG) image that the browser decoded to RGBA. Shown as an RGB secondary capture."""
    return load.add_image(str(name), int(width), int(height), as_bytes(rgba), group)


def check_head(head: Any) -> dict:
    """Whether a file's first bytes are worth the rest (the one sniffer, asked by the worker before it unpacks a zip
    member whole): ``{"ok": True, "kind": "dicom" | "png" | "jpeg"}``, or ``ok`` false with the code and reason."""
    from .dicom.parse import NOT_DICOM, sniff

    kind = sniff(as_bytes(head))
    if kind:
        return {"ok": True, "kind": kind}
    return {"ok": False, "code": "not-dicom", "message": f"{NOT_DICOM}: only its first bytes were unpacked"}


def skip(name: str, code: str, message: str) -> dict:
    """Record a file the JavaScript side could not read or decode (e.g. a broken PNG)."""
    return load.skip(str(name), str(code), str(message))


def skipped() -> list[dict]:
    return list(session.skipped)


def series() -> list[dict]:
    return [s.summary() for s in session.series]


def decode_pending(budget_ms: float = 8.0) -> int:
    return load.decode_pending(budget_ms)


# ------------------------------------------------------------------------------------------------ viewing

def render(state_in: Any) -> tuple[dict, np.ndarray | None]:
    """Render the slice the state names — or, with a ``plane``, that image of the reformatted volume. Returns
    (metadata, RGBA array rows × columns × 4).

    A frame that cannot be decoded, or a plane asked of a series that is no volume, gives (metadata with
    ``error``, None): the other slices stay viewable."""
    t0 = time.perf_counter()
    try:
        r = resolve(state_in, need_pixels=False)
    except PendingPixels as exc:  # a plane whose slices have not all arrived, nor its geometry: the loader
        state = ViewState.from_dict(to_plain(state_in) or {})  # fetches the one named first
        return {"state": state.to_dict(), "pending": True, "source": exc.source, "geometry": None,
                "computeMs": (time.perf_counter() - t0) * 1e3}, None
    except VenosError as exc:
        return {"error": exc.to_dict(), "state": ViewState.from_dict(to_plain(state_in) or {}).to_dict()}, None
    info = r.info
    meta = {"state": r.state.to_dict(), "width": info.columns, "height": info.rows, "aspect": info.aspect,
            "overlay": r.reformatted.overlay if r.reformatted else captions(r.series, r.slice, r.state),
            "anchor": r.anchor, "geometry": mpr.geometry(info, r.frame_info)}
    if r.frame is None:  # a remote slice still on its way: say which, so the loader can fetch it first
        return {**meta, "pending": True, "source": r.source, "computeMs": (time.perf_counter() - t0) * 1e3}, None
    try:
        if r.reformatted:
            rgba = render_mono(r.frame.pixels, r.frame.lo, r.frame.hi, r.display)
        else:
            rgba = draw(info, r.slice.instance, r.slice.frame, r.frame, r.display, r.state, lambda: _palette(r))
    except VenosError as exc:  # this slice cannot be drawn: it says why, the others stay viewable
        return {**meta, "error": exc.to_dict()}, None
    return {**meta, "computeMs": (time.perf_counter() - t0) * 1000.0}, rgba


def _palette(r: Resolved) -> np.ndarray:
    from .view.palette import palette_table

    key = r.slice.instance.key
    if key not in session.palettes:
        session.palettes[key] = palette_table(r.slice.instance.source.dataset, r.info)
    return session.palettes[key]


def thumbnail(series_id: str, size: int = 64) -> tuple[dict, np.ndarray | None]:
    """A small picture of a series (its middle slice, default window), at most ``size`` pixels on a side."""
    s = session.get_series(series_id)
    meta, rgba = render({"series": s.id, "slice": len(s.ordered()) // 2})
    if rgba is None:
        return meta, None
    step = max(1, -(-max(rgba.shape[:2]) // int(size)))
    small = np.ascontiguousarray(rgba[::step, ::step])
    return {"width": small.shape[1], "height": small.shape[0], "series": s.id}, small


def tool(name: str, state_in: Any, event: Any) -> dict:
    """Apply an interaction tool; returns the new state (plain dict)."""
    fn = TOOLS.get(str(name))
    if fn is None:
        raise VenosError(f"unknown tool {name!r}; available: {', '.join(TOOLS)}")
    r = resolve(state_in, need_pixels=False)
    state, fi = r.state, r.frame_info
    slices = r.slices
    if r.frame is None:  # still loading: scrolling works; window/level starts from the state or the metadata
        first = fi.windows[0] if fi.windows else None
        center = state.center if state.center is not None else (first.center if first else 0.0)
        width = state.width if state.width is not None else (first.width if first else 4096.0)
        ctx = Context(slices=slices, value_span=4096.0, center=center, width=width)
    else:
        ctx = Context(slices=slices, value_span=abs((r.frame.hi - r.frame.lo) * fi.slope),
                      center=r.display.center, width=r.display.width)
    new = fn(state, to_plain(event) or {}, ctx)
    if (new.center, new.width) != (state.center, state.width):
        new = new.with_(voi_lut=-1)  # dragging the window leaves the VOI LUT
    return new.to_dict()


def value_at(state_in: Any, x: float, y: float) -> dict:
    """Stored and modality value at image pixel (x, y) of the slice the state names (or of its reformatted
    image: a volume holding modality values gives them as both) — for a probe readout."""
    r = resolve(state_in)
    info = r.info
    col, row = int(x), int(y)
    if not (0 <= row < info.rows and 0 <= col < info.columns):
        return {"inside": False}
    v = r.frame.pixels[row, col]
    if info.is_color:
        return {"inside": True, "x": col, "y": row, "rgb": [int(c) for c in np.atleast_1d(v)[:3]]}
    stored = float(v)
    fi = r.frame_info
    value = float(modality_values(np.array([stored]), slope=fi.slope, intercept=fi.intercept,
                                  modality_lut=fi.modality_lut)[0])
    padding = info.padding is not None and info.padding[0] <= stored <= info.padding[1]
    return {"inside": True, "x": col, "y": row, "stored": stored, "value": value, "units": units_of(info),
            "padding": padding}


def measure(name: str, state_in: Any, points: Any) -> dict:
    """A registered measurement (tools.MEASUREMENTS) of the points (image pixels) on the slice the state names:
    its values with their units and where the spacing came from, and the slice's ``anchor``."""
    m = MEASUREMENTS.get(str(name))
    if m is None:
        raise VenosError(f"unknown measurement {name!r}; available: {', '.join(MEASUREMENTS)}")
    pts = tuple((float(p[0]), float(p[1])) for p in (to_plain(points) or ()))
    if len(pts) != m.points:
        raise VenosError(f"{name} takes {m.points} points, {len(pts)} given")
    r = resolve(state_in, need_pixels=m.pixels)
    out = m.fn(Measured(r.info, r.frame_info, r.frame, pts))
    out["anchor"] = r.anchor
    if not r.reformatted:  # the image it was made on, as a link or a report names it
        out["ref"] = {"sop": r.info.sop_instance_uid, "frame": r.slice.frame}
    return out


def measure_length(state_in: Any, x1: float, y1: float, x2: float, y2: float) -> dict:
    return measure("length", state_in, ((x1, y1), (x2, y2)))


def measure_angle(state_in: Any, x1: float, y1: float, xv: float, yv: float, x3: float, y3: float) -> dict:
    return measure("angle", state_in, ((x1, y1), (xv, yv), (x3, y3)))


def measure_region(state_in: Any, shape: str, x1: float, y1: float, x2: float, y2: float) -> dict:
    if str(shape) not in ("rectangle", "ellipse"):
        raise VenosError(f"unknown region shape {shape!r}: use one of rectangle, ellipse")
    return measure(str(shape), state_in, ((x1, y1), (x2, y2)))


# ------------------------------------------------------------------------------------------------ volumes
# Multiplanar reformatting (docs/api.md): a state with ``plane`` works in render, tool, value_at and measure above;
# these say whether a series is a volume and relate image pixels, patient points and slices for the crosshair.

def volume_info(series_id: str) -> dict:
    """Whether a series forms a volume, from its metadata (no pixels decoded): ``ok`` and else the ``reason``;
    ``notes`` on geometry that will be resampled; the grid's ``shape`` [nz, ny, nx] and ``spacing`` [dz, dy, dx]
    in mm (z along the acquisition's normal); ``frameOfReference``; ``planes``: rows, columns and images of the
    axial, coronal and sagittal planes; ``acquisitionPlane``: which of them the slices were acquired in; ``pending``:
    slices not arrived yet."""
    s = session.get_series(series_id)
    slices = s.ordered()
    pending = sum(1 for sl in slices if sl.instance.pending)
    out = {"ok": False, "reason": "", "notes": [], "shape": [], "spacing": [],
           "frameOfReference": slices[0].instance.info.frame_of_reference if slices else "", "planes": {},
           "acquisitionPlane": "", "pending": pending}
    try:
        sv = session.volumes.survey(s)
    except NotAVolume as exc:
        out["reason"] = exc.message + (f" ({pending} slices have not arrived yet)" if pending else "")
        return out
    planes = {name: mpr.plane_of(sv.grid, name) for name in mpr.LAYOUT}
    out.update(ok=True, notes=list(sv.notes), shape=list(sv.grid.shape), spacing=list(sv.grid.spacing),
               frameOfReference=sv.frame_of_reference,
               planes={n: {"rows": p.rows, "columns": p.columns, "slices": p.count} for n, p in planes.items()},
               acquisitionPlane=next(n for n, p in planes.items() if abs(p.normal @ sv.grid.axes[0]) > 0.5))
    return out


def point_at(state_in: Any, x: float, y: float) -> dict:
    """The patient point (mm, LPS) of image coordinates (x, y) in the state's image — acquired or reformatted;
    pixel (c, r) covers [c, c + 1) × [r, r + 1) as for measurements. ``ok`` false with the ``reason`` when the
    image has no position, orientation or pixel spacing (or the plane no volume). A plane needs only the
    series' metadata: nothing is decoded."""
    state = ViewState.from_dict(to_plain(state_in) or {})
    if state.plane:
        try:
            plane = plane_for(state)
        except NotAVolume as exc:
            return {"ok": False, "point": None, "reason": exc.message, "code": exc.code}
        return {"ok": True, "point": plane.point(min(state.slice, plane.count - 1), float(x), float(y))}
    r = resolve(state_in, need_pixels=False)
    p = mpr.point_at(r.info, r.frame_info, float(x), float(y))
    if p is None:
        return {"ok": False, "point": None, "reason": "the image has no position, orientation or pixel spacing"}
    return {"ok": True, "point": p}


def slice_at(state_in: Any, point: Any) -> dict:
    """The slice of the state's plane nearest to a patient point along that plane's normal: ``{slice, distance
    (mm), within}``, ``within`` when it is at most half a slice spacing away. As acquired, each slice's own
    position counts (any series whose slices have positions); ``ok`` false with the ``reason`` otherwise."""
    p = [float(v) for v in (to_plain(point) or ())]
    if len(p) != 3:
        raise VenosError(f"a patient point has 3 coordinates, {len(p)} given")
    state = ViewState.from_dict(to_plain(state_in) or {})
    if state.plane:
        try:
            k, d, within = plane_for(state).nearest(p)
        except NotAVolume as exc:
            return {"ok": False, "reason": exc.message, "code": exc.code}
        return {"ok": True, "slice": k, "distance": d, "within": within}
    found = mpr.nearest_acquired(session.get_series(state.series).ordered(), p)
    if found is None:
        return {"ok": False, "reason": "the slices have no position and orientation"}
    return {"ok": True, **found}


def pixel_data(series_id: str, slice_index: int) -> dict:
    """The decoded array of one slice (pydicom's pixel_array convention): dtype, shape, raw bytes."""
    s = session.get_series(series_id)
    sl = s.ordered()[int(slice_index)]
    arr = session.pixels.get(sl.instance.key, sl.instance.info, sl.instance.source, sl.frame).pixels
    return {"dtype": arr.dtype.str, "shape": list(arr.shape), "data": arr.tobytes(),
            "source": sl.instance.info.source, "frame": sl.frame}


def tags(series_id: str, slice_index: int) -> dict:
    """Every data element of the file a slice comes from, for the tag browser: ``rows`` of plain text (see
    :mod:`venos.dicom.tags`), the file's name, and a ``note`` when there is nothing to list."""
    from .dicom.tags import tag_rows

    s = session.get_series(series_id)
    slices = s.ordered()
    sl = slices[min(max(int(slice_index), 0), len(slices) - 1)]
    inst = sl.instance
    out = {"source": inst.info.source, "frame": sl.frame, "frames": inst.info.frames, "rows": [],
           "truncated": False, "note": ""}
    dataset = getattr(inst.source, "dataset", None)
    if inst.pending:
        out["note"] = inst.error or "The file has not arrived yet: its elements are listed once it has."
    elif dataset is None:
        out["note"] = "A JPEG or PNG image: it has no DICOM elements."
    else:
        out.update(tag_rows(dataset, inst.source.pixels, inst.source.head))
    return out


def memory(frame_budget: int | None = None) -> dict:
    """What Python holds, in bytes, for the worker's one memory budget (app/js/memory.js): decoded ``frames`` in
    the cache and its ``frameBudget``, ``pinned`` plain images, ``compressed`` pixel elements kept in datasets, the
    parsed ``heads`` of the files, and the ``volume`` built for reformatting (with its recent images). ``frame_budget``
    sets the frame cache's share (evicting at once)."""
    px = session.pixels
    if frame_budget is not None:
        px.cache.set_budget(int(frame_budget))
    s = px.stats()
    heads = sum(len(getattr(inst.source, "head", b"") or b"") for series in session.series
                for inst in series.instances)
    return {"frames": s["cache"]["bytes"], "frameBudget": s["cache"]["budget"], "pinned": s["pinnedBytes"],
            "compressed": s["compressedElementBytes"], "heads": heads, "volume": session.volumes.nbytes(session.series)}


def stats() -> dict:
    return {"series": len(session.series), "loaded": session.loaded, "skipped": len(session.skipped),
            "pixels": session.pixels.stats()}


# ------------------------------------------------------------------------------------------------ remote cases
# Manifests, URL lists, DICOMweb and DICOMDIR by URL: the logic lives in sources/; JavaScript fetches.

def case_request(spec: Any) -> dict:
    """What the loader fetches first for a case spec (``venos.open({...})``): the source's kind and ``{url,
    accept}``, or the ``payload`` itself (a URL list); ``base`` and ``options`` go back with it to
    :func:`open_case`. An address that is not http(s) is refused here, before any request."""
    from . import sources

    try:
        spec = to_plain(spec) or {}
        src = sources.source_for(spec)
        return {"ok": True, "kind": src.kind, "options": {}, **src.request(spec)}
    except VenosError as exc:
        return {"ok": False, "error": exc.to_dict()}


def open_case(kind: str, payload: Any, base: str, options: Any = None) -> dict:
    """Register a remote case: slices known from metadata appear at once (loading); returns the fetch plan."""
    from . import sources

    try:
        case = sources.get(str(kind)).parse(payload, base=str(base), options=to_plain(options) or {})
        return {"ok": True, **load.register_case(case)}
    except VenosError as exc:
        return {"ok": False, "error": exc.to_dict()}


def warm_up_remote() -> None:
    """Run parse → attributes → decode once on a tiny image while a remote case's first bytes are in flight."""
    load.warm_up()


def add_multipart(name: str, data: Any, content_type: str, group: str = "") -> dict:
    """Add the DICOM files of a WADO-RS multipart/related answer; ``results`` holds one add_file() result each."""
    from .sources.multipart import dicom_parts

    try:
        found = dicom_parts(str(name), data, str(content_type))
    except VenosError as exc:
        return {"ok": False, "error": load.skip_error(exc)["error"], "results": []}
    results = [add_file(n, body, group) for n, body in found]
    return {"ok": any(r["ok"] for r in results), "results": results}


# ------------------------------------------------------------------------------------------------ console
def console_run(code: str, state_in: Any = None, timeout_ms: float = 10_000.0) -> dict:
    """Run what the user typed into the console against what is loaded (venos.console): ``{ok, output, error, ms,
    added}``. Only the console panel and the page's own ``venos.console.run()`` call this."""
    from . import console

    return console.run(str(code), state_in, float(timeout_ms))
