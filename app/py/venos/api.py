"""The only module JavaScript calls. Plain values in (str, int, float, bytes, dicts); plain values out.

Every function that handles user data returns a result instead of raising for expected problems (bad file,
unsupported encoding), so one bad file never stops the rest: ``{"ok": False, "error": {...}}`` names the file
and the reason. Unexpected exceptions still propagate; the worker turns them into error events.
"""
from __future__ import annotations

import time
from typing import Any

import numpy as np

from . import __version__
from ._js import to_plain
from .blob import BytesBlob, JsBlob
from .dicom.attrs import ImageInfo, FrameInfo, image_info, is_encapsulated
from .dicom.parse import read_dataset, sniff
from .errors import InvalidDataset, SourceError, UnknownSeries, VenosError
from .model.series import Series, SeriesIndex
from .pixels.store import Frame, PixelStore
from .tools import TOOLS
from .tools.basic import Context
from .view.render import Display, render_color, render_mono, render_palette
from .view.overlays import burn, planes_of
from .view.palette import palette_table
from .view.presets import presets_for
from .view.orientation import edge_labels
from .view.state import ViewState
# decoders: browser codecs and whole-file decoding (issue 3)
from .codec_api import (codec_failed, codec_ready, codecs_offer, codecs_status,  # noqa: F401
                        codecs_wanted, decode_file)
from .pixels.codecs import CodecNotLoaded
from .remote_api import dicomweb_results, dicomweb_search_url, dicomweb_urls  # noqa: F401 (JS calls them here)


class Session:
    """Everything loaded in this page: series, decoded pixels, and what was skipped and why."""

    def __init__(self) -> None:
        self.series = SeriesIndex()
        self.pixels = PixelStore()
        self.skipped: list[dict] = []
        self.palettes: dict[int, np.ndarray] = {}
        self.loaded = 0

    def clear(self) -> None:
        self.__init__()


_session = Session()


def version() -> dict:
    import pydicom

    from ._lazy import package_version

    return {"venos": __version__, "pydicom": pydicom.__version__, "numpy": package_version("numpy")}


def clear() -> None:
    _session.clear()


def warm_up() -> float:
    """Run the render path on synthetic data so the WebAssembly engine has optimized it before the first real
    window drag (measured: the first ~50 renders in a fresh Pyodide run 3× slower). Returns the ms it took."""
    from .view.render import render_mono

    t0 = time.perf_counter()
    frame = ((np.arange(512 * 512, dtype=np.int32) * 7919) % 4096 - 1024).astype(np.int16).reshape(512, 512)
    for i in range(16):
        d = Display("MONOCHROME2", 1.0, -1024.0, 40.0 + i, 400.0 + 7 * i, "LINEAR", bool(i & 1))
        render_mono(frame, -1024, 3071, d)
    return (time.perf_counter() - t0) * 1000.0


# ------------------------------------------------------------------------------------------------ loading

def add_file(name: str, data: Any, group: str = "") -> dict:
    """Parse one file (its bytes) and add it to its series; see :func:`add_blob`."""
    return _add(str(name), BytesBlob(data.to_bytes() if hasattr(data, "to_bytes") else bytes(data)), group)


def add_blob(name: str, key: int, size: int, head: Any = None, group: str = "") -> dict:
    """Add a file whose bytes the worker's JavaScript holds under ``key`` (app/js/blobs.js): only its header is read
    now (``head``: its first bytes, when the worker read them ahead), a frame's pixels when it is shown. A PNG or
    JPEG answers ``{"ok": False, "plain": "png" | "jpeg"}`` (the browser decodes it, then :func:`add_image`);
    anything else that cannot be shown is skipped, saying why."""
    first = head.to_bytes() if hasattr(head, "to_bytes") else bytes(head or b"")
    return _add(str(name), JsBlob(key, size, first), group)


def _add(name: str, blob: Any, group: str) -> dict:
    try:
        kind = sniff(blob.read(0, 136))
        if kind in ("png", "jpeg"):
            return {"ok": False, "plain": kind}
        parsed = read_dataset(blob, source=name)
        try:
            info = image_info(parsed.dataset, source=name, pixels=parsed.pixels)
        except RecursionError:
            raise InvalidDataset("sequences are nested too deeply to read", source=name) from None
        series, inst = _session.series.add(info, parsed, group=group)
        pending = None
        if is_encapsulated(info.transfer_syntax):
            try:  # decode errors surface here, per file; uncompressed frames are read when shown
                _session.pixels.get(inst.key, info, parsed, 0)
            except CodecNotLoaded as exc:  # the worker loads the codec; the frame is decoded when shown
                pending = exc.codec
    except VenosError as exc:
        return _skip(exc)
    _session.loaded += 1
    return {"ok": True, "series": series.id, "frames": info.frames, "new": len(series.instances) == 1,
            "pending": pending}


def add_image(name: str, width: int, height: int, rgba: Any, group: str = "") -> dict:
    """Add a plain (JPEG/PNG) image that the browser decoded to RGBA. Shown as an RGB secondary capture."""
    name = str(name)
    raw = rgba.to_bytes() if hasattr(rgba, "to_bytes") else bytes(rgba)
    if len(raw) != width * height * 4:
        return _skip(InvalidDataset(f"decoded image has {len(raw)} bytes, expected {width}×{height}×4",
                                    source=name))
    arr = np.frombuffer(raw, dtype=np.uint8).reshape(height, width, 4)[..., :3].copy()
    info = ImageInfo(
        source=name, sop_class_uid="", sop_instance_uid="", study_uid="", series_uid="", transfer_syntax="",
        modality="OT", patient_name="", patient_id="", study_date="", study_description="",
        series_description="Images", series_number=None, instance_number=None, rows=height, columns=width,
        frames=1, samples_per_pixel=3, photometric="RGB", bits_allocated=8, bits_stored=8, pixel_representation=0,
        planar_configuration=0,
        pixel_keyword="", rescale_type="", voi_lut_function="LINEAR", presentation_lut_shape="",
        pixel_spacing=None, spacing_source="", slice_thickness=None, frame_time_ms=None,
        frame_info=(FrameInfo(None, None, 1.0, 0.0, ()),))
    series, _ = _session.series.add(info, arr, group=group or "images")
    _session.loaded += 1
    return {"ok": True, "series": series.id, "frames": 1, "new": len(series.instances) == 1}


def skip(name: str, code: str, message: str) -> dict:
    """Record a file the JavaScript side could not read or decode (e.g. a broken PNG)."""
    exc = VenosError(message, source=str(name))
    exc.code = code
    _session.series.fail_pending(str(name), message)  # a slice known from metadata shows why it is missing
    return _skip(exc)


def _skip(exc: VenosError) -> dict:
    entry = exc.to_dict()
    _session.skipped.append(entry)
    return {"ok": False, "error": entry}


def skipped() -> list[dict]:
    return list(_session.skipped)


def series() -> list[dict]:
    return [s.summary() for s in _session.series]


def decode_pending(budget_ms: float = 8.0) -> int:
    """Background work when idle, for up to ``budget_ms``: decode frames not decoded yet and compute value ranges
    (needed to render), so scrolling later costs only the render. Returns how much work remains."""
    deadline = time.perf_counter() + budget_ms / 1000.0
    remaining = 0
    for s in _session.series:
        for sl in s.ordered():
            inst = sl.instance
            if inst.pending:
                continue
            if time.perf_counter() > deadline:
                remaining += 1
                continue
            if not _session.pixels.has(inst.key, sl.frame) and _session.pixels.cache_is_full():
                continue  # decoding more now would only evict frames decoded earlier
            try:
                _session.pixels.get(inst.key, inst.info, inst.source, sl.frame).range()
            except VenosError:
                pass  # reported when that frame is shown
    return remaining


# ------------------------------------------------------------------------------------------------ viewing

def _series(series_id: str) -> Series:
    s = _session.series.get(str(series_id))
    if s is None:
        raise UnknownSeries(f"no series {series_id!r} is loaded")
    return s


def _frame_display(info: ImageInfo, fi: FrameInfo, frame: Frame, state: ViewState) -> Display:
    center, width = state.center, state.width
    if center is None or width is None:
        center, width = default_window(info, fi, frame)
    function = state.voi_function or (info.voi_lut_function if info.voi_lut_function in
                                      ("LINEAR", "LINEAR_EXACT", "SIGMOID") else "LINEAR")
    if function == "LINEAR" and float(width) < 1.0:
        function = "LINEAR_EXACT"  # LINEAR needs width >= 1 (PS3.3 C.11.2.1.2.1); small-valued data needs EXACT
    invert = (info.photometric == "MONOCHROME1") ^ (info.presentation_lut_shape == "INVERSE") ^ state.invert
    voi_lut = fi.voi_luts[state.voi_lut] if 0 <= state.voi_lut < len(fi.voi_luts) and not info.is_color else None
    return Display(info.photometric, fi.slope, fi.intercept, float(center), float(width), function, invert,
                   modality_lut=None if info.is_color else fi.modality_lut, voi_lut=voi_lut)


def default_window(info: ImageInfo, fi: FrameInfo, frame: Frame) -> tuple[float, float]:
    """The file's first window for this frame; else one spanning the frame's data (modality units)."""
    if fi.windows and not info.is_color:
        return fi.windows[0].center, fi.windows[0].width
    if info.is_color:
        top = float(1 << min(info.bits_stored, 16))
        return top / 2, top
    if info.photometric == "PALETTE COLOR":
        return 0.0, 0.0
    data_lo, data_hi = frame.image_range(info.padding)  # padding pixels (e.g. outside a CT's field) left out
    if fi.modality_lut is not None:  # the LUT's outputs over the stored values present
        vals = fi.modality_lut.lookup(np.arange(int(data_lo), int(data_hi) + 1))
        a, b = float(vals.min()), float(vals.max())
    else:
        a = data_lo * fi.slope + fi.intercept
        b = data_hi * fi.slope + fi.intercept
    lo, hi = min(a, b), max(a, b)
    step = abs(fi.slope) if fi.modality_lut is None else 1.0  # one stored value, in modality units
    if frame.pixels.dtype.kind == "f" or step < 1.0:
        return (lo + hi) / 2, max(hi - lo, 1e-6)
    return (lo + hi + step) / 2, max(hi - lo + step, 1.0)


def _resolve(state_in: Any, *, need_pixels: bool = True) -> tuple[ViewState, Series, Any, Frame | None, Display | None]:
    """State → (state with defaults resolved, series, slice, frame, display).

    With ``need_pixels=False`` a slice known from metadata whose bytes have not arrived gives frame = display =
    None instead of raising :class:`PendingPixels`; one whose bytes failed raises :class:`SourceError`."""
    raw = to_plain(state_in) or {}
    state = ViewState.from_dict(raw)
    s = _series(state.series)
    slices = s.ordered()
    idx = min(state.slice, len(slices) - 1)
    anchor = raw.get("anchor")
    if anchor and f"{slices[idx].instance.key}:{slices[idx].frame}" != anchor:
        # loading re-sorted the series: keep showing the same image
        idx = next((i for i, x in enumerate(slices) if f"{x.instance.key}:{x.frame}" == anchor), idx)
    sl = slices[idx]
    inst = sl.instance
    if inst.pending and not need_pixels and not _session.pixels.has(inst.key, sl.frame):
        if inst.error:
            raise SourceError(inst.error, source=inst.info.source, frame=sl.frame)
        return (state.with_(slice=idx) if idx != state.slice else state), s, sl, None, None
    frame = _session.pixels.get(inst.key, inst.info, inst.source, sl.frame)
    fi = inst.info.frame(sl.frame)
    if state.center is None and state.voi_lut < 0 and fi.voi_luts and not fi.windows and not inst.info.is_color:
        state = state.with_(voi_lut=0)  # no window in the file: its first VOI LUT is the default VOI
    disp = _frame_display(inst.info, fi, frame, state)
    if state.center is None or state.width is None or idx != state.slice:
        state = state.with_(slice=idx, center=disp.center, width=disp.width)
    return state, s, sl, frame, disp


def render(state_in: Any) -> tuple[dict, np.ndarray | None]:
    """Render the slice the state names. Returns (metadata, RGBA array rows × columns × 4).

    A frame that cannot be decoded gives (metadata with ``error``, None): the other slices stay viewable."""
    t0 = time.perf_counter()
    try:
        state, s, sl, frame, disp = _resolve(state_in, need_pixels=False)
    except VenosError as exc:
        raw = to_plain(state_in) or {}
        return {"error": exc.to_dict(), "state": ViewState.from_dict(raw).to_dict()}, None
    info = sl.instance.info
    if frame is None:  # a remote slice still on its way: say which, so the loader can fetch it first
        return {"pending": True, "state": state.to_dict(), "width": info.columns, "height": info.rows,
                "aspect": info.aspect,
                "overlay": overlay(s, sl, state), "anchor": f"{sl.instance.key}:{sl.frame}", "source": info.source,
                "computeMs": (time.perf_counter() - t0) * 1000.0}, None
    if info.photometric == "PALETTE COLOR" and not isinstance(sl.instance.source, np.ndarray):
        table = _session.palettes.get(sl.instance.key)
        if table is None:
            table = _session.palettes[sl.instance.key] = palette_table(sl.instance.source.dataset, info)
        rgba = render_palette(frame.pixels, table, state.invert)
    elif info.is_color:
        rgba = render_color(frame.pixels, disp, bits_stored=info.bits_stored)
    else:
        rgba = render_mono(frame.pixels, frame.lo, frame.hi, disp)
    planes = planes_of(sl.instance)
    if planes and state.overlays:
        rgba = burn(rgba, planes, sl.frame)
    ms = (time.perf_counter() - t0) * 1000.0
    return {"state": state.to_dict(), "width": info.columns, "height": info.rows, "aspect": info.aspect,
            "overlay": overlay(s, sl, state),
            "anchor": f"{sl.instance.key}:{sl.frame}", "computeMs": ms}, rgba


def thumbnail(series_id: str, size: int = 64) -> tuple[dict, np.ndarray | None]:
    """A small picture of a series (its middle slice, default window), at most ``size`` pixels on a side."""
    s = _series(series_id)
    meta, rgba = render({"series": s.id, "slice": len(s.ordered()) // 2})
    if rgba is None:
        return meta, None
    step = max(1, -(-max(rgba.shape[:2]) // int(size)))
    small = np.ascontiguousarray(rgba[::step, ::step])
    return {"width": small.shape[1], "height": small.shape[0], "series": s.id}, small


def overlay(s: Series, sl: Any, state: ViewState) -> dict:
    info = sl.instance.info
    units = units_of(info)
    fi = info.frame(sl.frame)
    return {
        "patientName": info.patient_name.replace("^", " ").strip(), "patientId": info.patient_id,
        "studyDate": format_da(info.study_date), "studyDescription": info.study_description,
        "seriesDescription": info.series_description, "modality": info.modality,
        "seriesNumber": info.series_number, "instanceNumber": info.instance_number,
        "sopInstanceUid": info.sop_instance_uid,
        "slice": state.slice + 1, "slices": len(s.ordered()), "frame": sl.frame + 1, "frames": info.frames,
        "frameTimeMs": info.frame_time_ms,
        "center": state.center, "width": state.width, "units": units,
        "photometric": info.photometric, "transferSyntax": info.transfer_syntax, "source": info.source,
        "pixelSpacing": list(info.pixel_spacing) if info.pixel_spacing else None,
        "usCalibration": next(([abs(r.delta_y) * 10.0, abs(r.delta_x) * 10.0] for r in info.us_regions
                               if r.is_2d_cm), None) if not info.pixel_spacing else None,
        "spacingSource": info.spacing_source,
        "position": list(fi.position) if fi.position else None, "sortedBy": s.sorted_by,
        "orientation": edge_labels(fi.orientation, info.patient_orientation),
        "lossy": info.lossy,
        "presets": [{"center": w.center, "width": w.width, "name": w.explanation or f"File window {i + 1}",
                     "from": "file"} for i, w in enumerate(fi.windows)]
        + [{"voiLut": i, "name": t.explanation or f"VOI LUT {i + 1}", "from": "file"}
           for i, t in enumerate(fi.voi_luts)] + presets_for(info.modality, units),
        "voiLut": fi.voi_luts[state.voi_lut].explanation or f"VOI LUT {state.voi_lut + 1}"
        if 0 <= state.voi_lut < len(fi.voi_luts) else None,
        "overlayPlanes": len(planes_of(sl.instance)), "overlays": state.overlays,
    }


def units_of(info: ImageInfo) -> str:
    """Units of the modality values (PS3.3 C.11.1.1.2 Rescale Type; CT rescaled values are HU)."""
    if info.rescale_type:
        return info.rescale_type
    if info.modality == "CT" and not info.is_color:
        return "HU"
    return ""


def format_da(da: str) -> str:
    return f"{da[:4]}-{da[4:6]}-{da[6:8]}" if len(da) == 8 and da.isdigit() else da


def tool(name: str, state_in: Any, event: Any) -> dict:
    """Apply an interaction tool; returns the new state (plain dict)."""
    fn = TOOLS.get(str(name))
    if fn is None:
        raise VenosError(f"unknown tool {name!r}; available: {', '.join(TOOLS)}")
    state, s, sl, frame, disp = _resolve(state_in, need_pixels=False)
    fi = sl.instance.info.frame(sl.frame)
    if frame is None:  # still loading: scrolling works; window/level starts from the state or the metadata
        first = fi.windows[0] if fi.windows else None
        center = state.center if state.center is not None else (first.center if first else 0.0)
        width = state.width if state.width is not None else (first.width if first else 4096.0)
        ctx = Context(slices=len(s.ordered()), value_span=4096.0, center=center, width=width)
    else:
        span = abs((frame.hi - frame.lo) * fi.slope)
        ctx = Context(slices=len(s.ordered()), value_span=span, center=disp.center, width=disp.width)
    new = fn(state, to_plain(event) or {}, ctx)
    if (new.center, new.width) != (state.center, state.width):
        new = new.with_(voi_lut=-1)  # dragging the window leaves the VOI LUT
    return new.to_dict()


def value_at(state_in: Any, x: float, y: float) -> dict:
    """Stored and modality value at image pixel (x, y) of the slice the state names — for a probe readout."""
    state, s, sl, frame, disp = _resolve(state_in)
    info = sl.instance.info
    col, row = int(x), int(y)
    if not (0 <= row < info.rows and 0 <= col < info.columns):
        return {"inside": False}
    v = frame.pixels[row, col]
    fi = info.frame(sl.frame)
    if info.is_color:
        return {"inside": True, "x": col, "y": row, "rgb": [int(c) for c in np.atleast_1d(v)[:3]]}
    stored = float(v)
    value = float(fi.modality_lut.lookup(stored)) if fi.modality_lut is not None else stored * fi.slope + fi.intercept
    padding = info.padding is not None and info.padding[0] <= stored <= info.padding[1]
    return {"inside": True, "x": col, "y": row, "stored": stored, "value": value, "units": units_of(info),
            "padding": padding}


def measure_length(state_in: Any, x1: float, y1: float, x2: float, y2: float) -> dict:
    """Length of the segment (x1, y1)–(x2, y2) (image pixels) on the slice the state names, with its units and
    the attribute the spacing came from."""
    from .tools.measure import length

    state, s, sl, frame, disp = _resolve(state_in)
    out = length(sl.instance.info, (float(x1), float(y1)), (float(x2), float(y2)))
    out["anchor"] = f"{sl.instance.key}:{sl.frame}"
    return out


def measure_angle(state_in: Any, x1: float, y1: float, xv: float, yv: float, x3: float, y3: float) -> dict:
    """The angle (x1, y1)–(xv, yv)–(x3, y3) in degrees on the slice the state names (the vertex in the middle),
    in the patient plane when the file gives a pixel spacing."""
    from .tools.measure import angle

    state, s, sl, frame, disp = _resolve(state_in, need_pixels=False)
    out = angle(sl.instance.info, (float(x1), float(y1)), (float(xv), float(yv)), (float(x3), float(y3)))
    out["anchor"] = f"{sl.instance.key}:{sl.frame}"
    return out


def measure_region(state_in: Any, shape: str, x1: float, y1: float, x2: float, y2: float) -> dict:
    """Statistics inside a rectangle or the ellipse inscribed in it (corners in image pixels) on the slice the
    state names: pixel count, mean, SD, min, max in modality units (per channel for colour), and the shape's area
    with its units and the attribute the spacing came from."""
    from .tools.measure import SHAPES, region_area, region_mask, region_stats

    shape = str(shape)
    if shape not in SHAPES:
        raise VenosError(f"unknown region shape {shape!r}: use one of {', '.join(SHAPES)}")
    state, s, sl, frame, disp = _resolve(state_in)
    info = sl.instance.info
    p1, p2 = (float(x1), float(y1)), (float(x2), float(y2))
    mask, box = region_mask(shape, p1, p2, info.rows, info.columns)
    pixels = frame.pixels[box]
    out = {"shape": shape, "anchor": f"{sl.instance.key}:{sl.frame}", "units": "", "note": "",
           **region_area(info, shape, p1, p2)}
    if info.is_color and info.photometric != "PALETTE COLOR":
        channels = [region_stats(pixels[..., c][mask]) for c in range(min(3, pixels.shape[-1]))]
        out.update(channels=channels, pixels=channels[0]["pixels"])
        out["note"] = "colour image: statistics of each of R, G, B (display values, no modality units)"
        return out
    stored = pixels[mask]
    if info.padding is not None and stored.dtype.kind in "iu":
        image = (stored < info.padding[0]) | (stored > info.padding[1])
        out["paddingExcluded"] = int(stored.size - np.count_nonzero(image))
        if out["paddingExcluded"]:
            stored = stored[image]
            out["note"] = (f"{out['paddingExcluded']} padding pixel{'s' if out['paddingExcluded'] != 1 else ''} "
                           "(Pixel Padding Value, outside the image) left out")
    if info.photometric == "PALETTE COLOR":
        out.update(region_stats(stored))
        out["note"] = "palette colour image: statistics of the stored indices, which have no unit"
        return out
    fi = info.frame(sl.frame)
    values = (fi.modality_lut.lookup(stored) if fi.modality_lut is not None
              else stored.astype(np.float64) * fi.slope + fi.intercept)
    out.update(region_stats(values))
    out["units"] = units_of(info)
    return out


def pixel_data(series_id: str, slice_index: int) -> dict:
    """The decoded array of one slice (pydicom's pixel_array convention): dtype, shape, raw bytes."""
    s = _series(series_id)
    sl = s.ordered()[int(slice_index)]
    frame = _session.pixels.get(sl.instance.key, sl.instance.info, sl.instance.source, sl.frame)
    arr = frame.pixels
    return {"dtype": arr.dtype.str, "shape": list(arr.shape), "data": arr.tobytes(),
            "source": sl.instance.info.source, "frame": sl.frame}


def tags(series_id: str, slice_index: int) -> dict:
    """Every data element of the file a slice comes from, for the tag browser: ``rows`` of plain text (see
    :mod:`venos.dicom.tags`), the file's name, and a ``note`` when there is nothing to list."""
    from .dicom.tags import tag_rows

    s = _series(series_id)
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


def stats() -> dict:
    return {"series": len(_session.series), "loaded": _session.loaded, "skipped": len(_session.skipped),
            "pixels": _session.pixels.stats()}


# ------------------------------------------------------------------------------------------------ remote cases
# Issue 4 (cloud and PACS): manifests, URL lists, DICOMweb and DICOMDIR by URL. The logic lives in sources/;
# these wrappers only bind it to the session. JavaScript fetches; Python decides what to fetch and reads it.

def open_case(kind: str, payload: Any, base: str, options: Any = None) -> dict:
    """Register a remote case: slices known from metadata appear at once (loading); returns the fetch plan."""
    from .sources import remote

    try:
        case = remote.build_case(str(kind), payload, base=str(base), options=to_plain(options) or {})
        return {"ok": True, **remote.register(_session.series, case)}
    except VenosError as exc:
        return {"ok": False, "error": exc.to_dict()}


def warm_up_remote() -> None:
    """Run parse → attributes → decode once on a tiny image while a remote case's first bytes are in flight."""
    from .sources import remote

    remote.warm_up()


def add_multipart(name: str, data: Any, content_type: str, group: str = "") -> dict:
    """Add the DICOM files of a WADO-RS multipart/related answer; ``results`` holds one add_file() result each."""
    from .sources import remote

    try:
        found = remote.parts(str(name), data, str(content_type))
    except VenosError as exc:
        return {"ok": False, "error": _skip(exc)["error"], "results": []}
    results = [add_file(n, body, group) for n, body in found]
    return {"ok": any(r["ok"] for r in results), "results": results}
