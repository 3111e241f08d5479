"""Decoded frame + view state → RGBA (rows × columns × 4, uint8), dispatched on the photometric interpretation."""
from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

import numpy as np

from .lut import LutCache, LutKey, grey_levels, quantize, voi_linear, GREY, OPAQUE


@dataclass(frozen=True)
class Display:
    """Everything the render needs to know besides the pixels; made by the API from ImageInfo + ViewState."""

    photometric: str
    slope: float
    intercept: float
    center: float
    width: float
    function: str
    invert: bool  # final: MONOCHROME1 xor Presentation LUT INVERSE xor the user's invert
    modality_lut: object = None  # dicom.attrs.Lut: Modality LUT Sequence (replaces slope/intercept)
    voi_lut: object = None  # dicom.attrs.Lut: the VOI LUT in use (replaces center/width/function)


_luts = LutCache()


def to_rgba(packed: np.ndarray) -> np.ndarray:
    return packed.view(np.uint8).reshape(packed.shape + (4,))


# The frames last drawn and their indexes (stored value − lo, as intp): dragging the window redraws the same
# frames many times (one per viewport of a layout whose windows move together), and making an index is a sixth of
# each redraw. At most four frames and 16 MB of indexes (a 2048² frame's alone; larger frames keep none).
_indexes: OrderedDict = OrderedDict()  # id(frame) → (frame, lo, index)
_INDEXES_KEPT = 4
_INDEX_BYTES_KEPT = 16 << 20


def forget_indexes() -> None:
    """Let the frames last drawn go (the study is cleared)."""
    _indexes.clear()


def stored_index(frame: np.ndarray, lo: int) -> np.ndarray:
    """Where each pixel's stored value sits in a table that starts at stored value ``lo`` (the frame's smallest),
    as ``intp``: numpy's fancy indexing then takes its direct path instead of casting a narrower index in buffered
    chunks (in Pyodide 0.5 against 0.8–1.0 ms for a 512² frame; ``np.take`` takes 2–3 ms). An index outside the
    table raises IndexError: never a value from memory nobody filled."""
    kept = _indexes.get(id(frame))
    if kept is not None and kept[0] is frame and kept[1] == lo:
        _indexes.move_to_end(id(frame))
        return kept[2]
    index = np.subtract(frame, lo, dtype=np.intp)
    if index.nbytes <= _INDEX_BYTES_KEPT and not frame.flags.writeable:  # read-only: the index stays true
        _indexes[id(frame)] = (frame, lo, index)  # (the frame is held too: its id cannot be reused meanwhile)
        while len(_indexes) > _INDEXES_KEPT or sum(k[2].nbytes for k in _indexes.values()) > _INDEX_BYTES_KEPT:
            _indexes.popitem(last=False)
    return index


def render_mono(frame: np.ndarray, lo: int | float, hi: int | float, d: Display) -> np.ndarray:
    """``lo`` and ``hi``: the frame's smallest and largest stored value (Frame.range)."""
    dt = frame.dtype
    if dt.kind in "iu" and dt.itemsize <= 2:  # integers of at most 16 bits: through a table of the values in use
        lut = _luts.get(LutKey(d.slope, d.intercept, d.center, d.width, d.function, d.invert, d.modality_lut,
                               d.voi_lut))
        lo, hi = int(lo), int(hi)
        return to_rgba(lut.cover(lo, hi)[stored_index(frame, lo)])
    grey = grey_levels(frame, slope=d.slope, intercept=d.intercept, center=d.center, width=d.width,
                       function=d.function, invert=d.invert, modality_lut=d.modality_lut, voi_lut=d.voi_lut)
    return to_rgba(grey.astype(np.uint32) * GREY | OPAQUE)


def render_color(frame: np.ndarray, d: Display, *, bits_stored: int) -> np.ndarray:
    """RGB (already converted from YBR by the decoder). The window applies to each channel alike."""
    h, w = frame.shape[:2]
    out = np.empty((h, w, 4), dtype=np.uint8)
    out[..., 3] = 255
    if frame.dtype == np.uint8 and is_identity_window(d, 8):
        out[..., :3] = frame[..., :3]
    elif frame.dtype.itemsize <= 2 and frame.dtype.kind in "ui":
        n = 1 << (8 * frame.dtype.itemsize)
        table = quantize(voi_linear(np.arange(n, dtype=np.float64), d.center, d.width))
        out[..., :3] = table[frame[..., :3].view("u%d" % frame.dtype.itemsize)]
    else:
        out[..., :3] = quantize(voi_linear(frame[..., :3].astype(np.float64), d.center, d.width))
    if d.invert:
        np.subtract(255, out[..., :3], out=out[..., :3])
    return out


def is_identity_window(d: Display, bits: int) -> bool:
    top = float(1 << bits)
    return d.center == top / 2 and d.width == top and d.function in ("LINEAR", "")


def render_palette(frame: np.ndarray, table: np.ndarray, invert: bool) -> np.ndarray:
    """PALETTE COLOR: ``table`` maps each stored index to packed RGBA (built once per object)."""
    idx = frame.view(np.uint8 if frame.dtype.itemsize == 1 else np.uint16)
    out = to_rgba(table[np.minimum(idx, len(table) - 1)])
    if invert:
        out = out.copy()
        np.subtract(255, out[..., :3], out=out[..., :3])
    return out
