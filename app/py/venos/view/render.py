"""Decoded frame + view state → RGBA (rows × columns × 4, uint8), dispatched on the photometric interpretation."""
from __future__ import annotations

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

_GATHER_DTYPES = {"uint8", "int8", "uint16", "int16"}


def to_rgba(packed: np.ndarray) -> np.ndarray:
    return packed.view(np.uint8).reshape(packed.shape + (4,))


_CHUNK = 16384  # pixels per gather step: the output chunk (64 kB) stays in cache


def gather(table: np.ndarray, index: np.ndarray) -> np.ndarray:
    """``table[index]`` in row blocks into one output array: ~20 % faster than one fancy-index over a 512² frame
    in Pyodide's numpy (measured 0.59 vs 0.76 ms), where ``np.take(..., out=)`` takes 3 ms."""
    if index.ndim != 2 or index.size <= 2 * _CHUNK:
        return table[index]
    out = np.empty(index.shape, dtype=table.dtype)
    rows = max(1, _CHUNK // index.shape[1])
    for i in range(0, index.shape[0], rows):
        out[i:i + rows] = table[index[i:i + rows]]
    return out


def render_mono(frame: np.ndarray, lo: int | float, hi: int | float, d: Display) -> np.ndarray:
    if frame.dtype.name in _GATHER_DTYPES:
        lut = _luts.get(LutKey(d.slope, d.intercept, d.center, d.width, d.function, d.invert, frame.dtype.name,
                               d.modality_lut, d.voi_lut))
        table = lut.cover(int(lo), int(hi))
        unsigned = frame.view(np.uint8 if frame.dtype.itemsize == 1 else np.uint16)
        return to_rgba(gather(table, unsigned))
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
