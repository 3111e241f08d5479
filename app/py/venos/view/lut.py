"""VOI functions (PS3.3 C.11.2.1.2, C.11.2.1.3) and memoized lookup tables from stored value to RGBA.

All functions map modality values ``x`` to display values in ``[0, 255]`` as float64; :func:`quantize` turns them
into 8-bit grey levels by rounding half up. The same float64 operations are used whether a LUT or a whole frame
is computed, so both give identical results.
"""
from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

import numpy as np

Y_MIN, Y_MAX = 0.0, 255.0
# Plain ints (numpy 2 keeps uint32 arrays uint32 when combined with them), so importing this module touches no numpy
# attribute: the repeat-visit snapshot imports it before numpy exists (see venos/_lazy.py).
OPAQUE = 0xFF000000
GREY = 0x010101


def voi_linear(x: np.ndarray, center: float, width: float) -> np.ndarray:
    """LINEAR (PS3.3 C.11.2.1.2.1): width ≥ 1; the window spans [c − 0.5 − (w−1)/2, c − 0.5 + (w−1)/2].

    The standard's three cases are the ramp clipped to [ymin, ymax]: at the lower edge the ramp is exactly ymin,
    beyond the upper edge it exceeds ymax. Clipping is one pass instead of two selections."""
    width = max(float(width), 1.0)
    c = float(center)
    if width == 1.0:
        return np.where(x > c - 0.5, Y_MAX, Y_MIN).astype(np.float64)
    y = ((x - (c - 0.5)) / (width - 1.0) + 0.5) * (Y_MAX - Y_MIN) + Y_MIN
    return np.clip(y, Y_MIN, Y_MAX, out=y if isinstance(y, np.ndarray) else None)


def voi_linear_exact(x: np.ndarray, center: float, width: float) -> np.ndarray:
    """LINEAR_EXACT (PS3.3 C.11.2.1.3.2): width > 0; the window spans exactly [c − w/2, c + w/2] (clipped ramp)."""
    width = max(float(width), 1e-9)
    c = float(center)
    y = ((x - c) / width + 0.5) * (Y_MAX - Y_MIN) + Y_MIN
    return np.clip(y, Y_MIN, Y_MAX, out=y if isinstance(y, np.ndarray) else None)


def voi_sigmoid(x: np.ndarray, center: float, width: float) -> np.ndarray:
    """SIGMOID (PS3.3 C.11.2.1.3.1): y = (ymax − ymin) / (1 + exp(−4 (x − c) / w)) + ymin."""
    width = max(float(width), 1e-9)
    with np.errstate(over="ignore"):
        return (Y_MAX - Y_MIN) / (1.0 + np.exp(-4.0 * (x - float(center)) / width)) + Y_MIN


VOI_FUNCTIONS = {"LINEAR": voi_linear, "LINEAR_EXACT": voi_linear_exact, "SIGMOID": voi_sigmoid}


def quantize(y: np.ndarray) -> np.ndarray:
    """Display value in [0, 255] → uint8 grey level, rounding half up."""
    y = np.floor(y + 0.5)
    return np.clip(y, 0, 255, out=y).astype(np.uint8)


def modality_values(stored: np.ndarray, *, slope: float, intercept: float, modality_lut=None) -> np.ndarray:
    """Modality LUT (PS3.3 C.11.1): the Modality LUT Sequence when present, else Rescale Slope/Intercept."""
    if modality_lut is not None:
        return modality_lut.lookup(stored)
    return stored.astype(np.float64) * float(slope) + float(intercept)


def voi_lut_display(x: np.ndarray, voi_lut) -> np.ndarray:
    """VOI LUT Sequence (PS3.3 C.11.2.1.1): the entry for each modality value, its range 0 .. 2**bits − 1 scaled
    to the display range [0, 255]."""
    top = float((1 << voi_lut.bits) - 1) if voi_lut.bits < 32 else float(voi_lut.entries.max(initial=1))
    return np.clip(voi_lut.lookup(x) / top, 0.0, 1.0) * (Y_MAX - Y_MIN) + Y_MIN


def grey_levels(stored: np.ndarray, *, slope: float, intercept: float, center: float, width: float,
                function: str = "LINEAR", invert: bool = False, modality_lut=None, voi_lut=None) -> np.ndarray:
    """The whole monochrome pipeline for stored values: modality (rescale or LUT) → VOI (window function or VOI
    LUT) → presentation (invert)."""
    x = modality_values(stored, slope=slope, intercept=intercept, modality_lut=modality_lut)
    y = voi_lut_display(x, voi_lut) if voi_lut is not None else VOI_FUNCTIONS.get(function, voi_linear)(
        x, center, width)
    q = quantize(y)
    return (255 - q).astype(np.uint8) if invert else q


@dataclass(frozen=True)
class LutKey:
    slope: float
    intercept: float
    center: float
    width: float
    function: str
    invert: bool
    dtype: str  # stored-value dtype the table is indexed by
    modality_lut: object = None  # dicom.attrs.Lut (frozen, hashed by value) or None
    voi_lut: object = None


class StoredValueLut:
    """A packed-RGBA table indexed by stored value (viewed unsigned), filled only over the value range in use.

    Rendering a frame is then one gather ``table[frame.view(unsigned)]``; a table for 16-bit data has 65,536
    entries but only the entries between the smallest and largest stored value seen are ever computed.
    """

    def __init__(self, key: LutKey) -> None:
        self.key = key
        dt = np.dtype(key.dtype)
        self.signed = dt.kind == "i"
        self.size = 1 << (8 * dt.itemsize)
        # Only entries in [lo, hi] are ever filled or read, so the table need not be zeroed.
        self.table = np.empty(self.size, dtype=np.uint32)
        self.lo: int | None = None
        self.hi: int | None = None

    def _fill(self, lo: int, hi: int) -> None:
        values = np.arange(lo, hi + 1, dtype=np.int64)
        k = self.key
        grey = grey_levels(values, slope=k.slope, intercept=k.intercept, center=k.center, width=k.width,
                           function=k.function, invert=k.invert, modality_lut=k.modality_lut, voi_lut=k.voi_lut)
        self.table[values & (self.size - 1)] = grey.astype(np.uint32) * GREY | OPAQUE

    def cover(self, lo: int, hi: int) -> np.ndarray:
        if self.lo is None:
            self._fill(lo, hi)
            self.lo, self.hi = lo, hi
        else:
            if lo < self.lo:
                self._fill(lo, self.lo - 1)
                self.lo = lo
            if hi > self.hi:
                self._fill(self.hi + 1, hi)
                self.hi = hi
        return self.table


class LutCache:
    """A few recent tables, keyed by value (the window being dragged plus the ones just before)."""

    def __init__(self, size: int = 8) -> None:
        self.size = size
        self._items: OrderedDict[LutKey, StoredValueLut] = OrderedDict()

    def get(self, key: LutKey) -> StoredValueLut:
        lut = self._items.get(key)
        if lut is None:
            lut = StoredValueLut(key)
            self._items[key] = lut
            if len(self._items) > self.size:
                self._items.popitem(last=False)
        else:
            self._items.move_to_end(key)
        return lut
