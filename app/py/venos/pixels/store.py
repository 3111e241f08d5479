"""Where decoded frames live: decode when first needed, keep while the byte budget allows, and know the value range
of each frame.

Every frame of a file lives in the byte-budgeted LRU :class:`FrameCache`; an evicted frame is read (and decoded)
again from the file, whose bytes stay where they are held (``venos.blob``). Uncompressed frames are one read of
their bytes (``native``); compressed ones go through pydicom's decoder registry, which needs the pixel data element
in the dataset: a single-frame file drops it again once its frame is decoded, a multi-frame one keeps it (counted
in ``stats()``). Plain JPEG/PNG images, which have no file to go back to, are pinned.
"""
from __future__ import annotations

from typing import Any

import numpy as np

from ..dicom.attrs import ImageInfo, is_encapsulated
from ..dicom.parse import Parsed, load_pixel_element
from .cache import FrameCache
from ..errors import PendingPixels
from .decode import decode_frame
from .native import correct_unused_bits, native_frame


class Frame:
    """A decoded frame and, computed on first use, its smallest and largest stored value (all samples).

    The range is needed to render (the LUT is filled over it) but not to load, so loading does not pay for it."""

    __slots__ = ("pixels", "_range", "_image_range")

    def __init__(self, pixels: np.ndarray, value_range_: tuple[float, float] | None = None) -> None:
        if pixels.flags.writeable:  # a frame never changes once made (its range and render index rely on it)
            pixels = pixels.view()
            pixels.flags.writeable = False
        self.pixels = pixels  # native byte order, C-contiguous, read-only
        self._range = value_range_
        self._image_range = None

    def image_range(self, padding: tuple[int, int] | None) -> tuple[float, float]:
        """The value range without padding pixels (Pixel Padding Value): what a default window should span.
        All padding (or no padding declared): the plain range."""
        if padding is None or self.pixels.dtype.kind not in "iu":
            return self.range()
        if self._image_range is None:
            lo, hi = self.range()
            if hi < padding[0] or lo > padding[1]:
                self._image_range = (lo, hi)
            else:
                px = self.pixels
                kept = px[(px < padding[0]) | (px > padding[1])]
                self._image_range = value_range(kept) if kept.size else (lo, hi)
        return self._image_range

    @property
    def lo(self) -> float:
        return self.range()[0]

    @property
    def hi(self) -> float:
        return self.range()[1]

    def range(self) -> tuple[float, float]:
        if self._range is None:
            self._range = value_range(self.pixels)
        return self._range

    @property
    def nbytes(self) -> int:
        return self.pixels.nbytes


def value_range(arr: np.ndarray) -> tuple[float, float]:
    if arr.size == 0:
        return 0, 0
    if arr.dtype.kind == "f":
        finite = arr[np.isfinite(arr)]
        return (float(finite.min()), float(finite.max())) if finite.size else (0.0, 0.0)
    return int(arr.min()), int(arr.max())


def make_frame(arr: np.ndarray, info: ImageInfo | None = None) -> Frame:
    """``info`` given: ``arr`` is raw native data whose unused high bits may need correcting (see ``native``)."""
    if not arr.dtype.isnative:
        arr = arr.astype(arr.dtype.newbyteorder("="))
    if arr.dtype == np.bool_:
        arr = arr.view(np.uint8)
    arr = np.ascontiguousarray(arr)
    if info is not None and arr.dtype.kind in "iu" and info.bits_stored < 8 * arr.dtype.itemsize:
        lo, hi = value_range(arr)
        fixed = correct_unused_bits(arr, lo, hi, info)
        return Frame(fixed) if fixed is not None else Frame(arr, (lo, hi))
    return Frame(arr)


class PixelStore:
    def __init__(self, cache: FrameCache | None = None) -> None:
        self.cache = cache or FrameCache()
        self._pinned: dict[tuple[int, int], Frame] = {}
        self._elements: dict[int, int] = {}  # object key → bytes of a compressed pixel element kept in its dataset

    def get(self, key: int, info: ImageInfo, source: Any, index: int) -> Frame:
        """Frame ``index`` of an object; ``source`` is its :class:`Parsed` file or an already decoded array."""
        pinned = self._pinned.get((key, index))
        if pinned is not None:
            return pinned
        if source is None:  # known from metadata only: its bytes are still on their way
            raise PendingPixels("this slice has not arrived yet", source=info.source, frame=index)
        if isinstance(source, np.ndarray):  # a plain image decoded by the browser
            frame = make_frame(source)
            self._pinned[(key, index)] = frame
            return frame
        return self.cache.get((key, index), lambda: self._decode(key, source, info, index))

    def _decode(self, key: int, parsed: Parsed, info: ImageInfo, index: int) -> Frame:
        loc = parsed.pixels
        if loc is not None and not is_encapsulated(info.transfer_syntax):
            arr = native_frame(parsed.blob, loc, info, index)
            if arr is not None:
                return make_frame(arr, info)
        if loc is not None and info.pixel_keyword not in parsed.dataset:
            load_pixel_element(parsed)
        frame = make_frame(decode_frame(parsed.dataset, info, index))
        if loc is not None:
            if info.frames == 1:  # read again from the file if this frame is ever evicted
                parsed.dataset.pop(info.pixel_keyword, None)
            else:
                value = parsed.dataset.get(info.pixel_keyword)
                self._elements[key] = len(value) if isinstance(value, (bytes, bytearray)) else 0
        return frame

    def has(self, key: int, index: int) -> bool:
        return (key, index) in self._pinned or (key, index) in self.cache

    def cache_is_full(self) -> bool:
        return self.cache.nbytes > 0.8 * self.cache.budget

    def clear(self) -> None:
        self._pinned.clear()
        self._elements.clear()
        self.cache.clear()

    def stats(self) -> dict:
        pinned_bytes = sum(f.nbytes for f in self._pinned.values())
        return {"pinnedFrames": len(self._pinned), "pinnedBytes": pinned_bytes,
                "compressedElementBytes": sum(self._elements.values()), "cache": self.cache.stats()}
