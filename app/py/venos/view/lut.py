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
    return _ramp(x, c - 0.5, width - 1.0)


def voi_linear_exact(x: np.ndarray, center: float, width: float) -> np.ndarray:
    """LINEAR_EXACT (PS3.3 C.11.2.1.3.2): width > 0; the window spans exactly [c − w/2, c + w/2] (clipped ramp)."""
    return _ramp(x, float(center), max(float(width), 1e-9))


def _ramp(x: np.ndarray, origin: float, span: float) -> np.ndarray:
    """((x − origin) / span + 0.5) · (ymax − ymin) + ymin, clipped to [ymin, ymax]: both linear VOI functions."""
    if not isinstance(x, np.ndarray) or x.ndim == 0:  # a scalar: operations give scalars, nothing in place
        return np.clip(((x - origin) / span + 0.5) * (Y_MAX - Y_MIN) + Y_MIN, Y_MIN, Y_MAX)
    # The same operations in the same order, on one temporary: half the time of the expression in Pyodide's numpy
    y = x - origin
    y /= span
    y += 0.5
    y *= Y_MAX - Y_MIN
    y += Y_MIN
    return np.clip(y, Y_MIN, Y_MAX, out=y)


def voi_sigmoid(x: np.ndarray, center: float, width: float) -> np.ndarray:
    """SIGMOID (PS3.3 C.11.2.1.3.1): y = (ymax − ymin) / (1 + exp(−4 (x − c) / w)) + ymin."""
    width = max(float(width), 1e-9)
    with np.errstate(over="ignore"):
        return (Y_MAX - Y_MIN) / (1.0 + np.exp(-4.0 * (x - float(center)) / width)) + Y_MIN


VOI_FUNCTIONS = {"LINEAR": voi_linear, "LINEAR_EXACT": voi_linear_exact, "SIGMOID": voi_sigmoid}


def quantize(y: np.ndarray) -> np.ndarray:
    """Display value in [0, 255] → uint8 grey level, rounding half up."""
    y = y + 0.5
    if not isinstance(y, np.ndarray):  # a scalar in, a scalar out
        return np.uint8(min(max(np.floor(y), 0.0), 255.0))
    np.floor(y, out=y)
    return np.clip(y, 0.0, 255.0, out=y).astype(np.uint8)


def modality_values(stored: np.ndarray, *, slope: float, intercept: float, modality_lut=None) -> np.ndarray:
    """Modality LUT (PS3.3 C.11.1): the Modality LUT Sequence when present, else Rescale Slope/Intercept."""
    if modality_lut is not None:
        return modality_lut.lookup(stored)
    x = np.asarray(stored).astype(np.float64)  # a new array: scaled in place below
    x *= float(slope)
    x += float(intercept)
    return x


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
    modality_lut: object = None  # dicom.attrs.Lut (frozen, hashed by value) or None
    voi_lut: object = None


class StoredValueLut:
    """A packed-RGBA table over the stored values in use: entry i is stored value ``lo + i``.

    Rendering a frame is then one gather ``table[frame - lo]`` (render.stored_index). The table spans only the values
    between the smallest and largest stored value seen (a CT: ~3,000 entries, 12 kB, where a table over every 16-bit
    value would be 256 kB): each window change fills a small contiguous table, and the gather reads it from cache.
    """

    def __init__(self, key: LutKey) -> None:
        self.key = key
        self.table: np.ndarray | None = None
        self.lo: int | None = None
        self.hi: int | None = None

    def _compute(self, lo: int, hi: int) -> np.ndarray:
        k = self.key
        grey = grey_levels(np.arange(lo, hi + 1, dtype=np.int64), slope=k.slope, intercept=k.intercept,
                           center=k.center, width=k.width, function=k.function, invert=k.invert,
                           modality_lut=k.modality_lut, voi_lut=k.voi_lut)
        packed = grey.astype(np.uint32)
        packed *= GREY
        packed |= OPAQUE
        return packed

    def cover(self, lo: int, hi: int) -> np.ndarray:
        """The entries for stored values ``lo`` … ``hi`` (a view; entry i is value ``lo + i``), computing those
        not yet covered."""
        if self.table is None:
            self.table, self.lo, self.hi = self._compute(lo, hi), lo, hi
        elif lo < self.lo or hi > self.hi:  # a frame with a wider range than those before: extend at the ends
            parts = [self.table]
            if lo < self.lo:
                parts.insert(0, self._compute(lo, self.lo - 1))
                self.lo = lo
            if hi > self.hi:
                parts.append(self._compute(self.hi + 1, hi))
                self.hi = hi
            self.table = np.concatenate(parts)
        return self.table[lo - self.lo:hi - self.lo + 1]


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
