"""Where decoded frames live: decode once, keep, and know the value range of each frame.

Native (uncompressed) objects: once every frame is decoded, the raw Pixel Data is dropped from the dataset so the
pixels are held once; those frames are pinned. Compressed objects keep their (small) compressed bytes, and their
decoded frames live in the byte-budgeted LRU :class:`FrameCache`, decoded again if evicted.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ..dicom.attrs import ImageInfo, is_encapsulated
from .cache import FrameCache
from ..errors import PendingPixels
from .decode import decode_frame


@dataclass(frozen=True)
class Frame:
    pixels: np.ndarray  # native byte order, C-contiguous
    lo: float  # smallest / largest stored value (all samples)
    hi: float

    @property
    def nbytes(self) -> int:
        return self.pixels.nbytes


def make_frame(arr: np.ndarray) -> Frame:
    if not arr.dtype.isnative:
        arr = arr.astype(arr.dtype.newbyteorder("="))
    arr = np.ascontiguousarray(arr)
    if arr.dtype == np.bool_:
        arr = arr.view(np.uint8)
    if arr.size == 0:
        return Frame(arr, 0, 0)
    if arr.dtype.kind == "f":
        finite = arr[np.isfinite(arr)]
        lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 0.0)
    else:
        lo, hi = int(arr.min()), int(arr.max())
    return Frame(arr, lo, hi)


class PixelStore:
    def __init__(self, cache: FrameCache | None = None) -> None:
        self.cache = cache or FrameCache()
        self._pinned: dict[tuple[int, int], Frame] = {}

    def get(self, key: int, info: ImageInfo, dataset: Any, index: int) -> Frame:
        pinned = self._pinned.get((key, index))
        if pinned is not None:
            return pinned
        if dataset is None:  # known from metadata only: its bytes are still on their way
            raise PendingPixels("this slice has not arrived yet", source=info.source, frame=index)
        if isinstance(dataset, np.ndarray):  # plain image decoded by the browser
            frame = make_frame(dataset)
            self._pinned[(key, index)] = frame
            return frame
        if is_encapsulated(info.transfer_syntax):
            return self.cache.get((key, index), lambda: make_frame(decode_frame(dataset, info, index)))
        frame = make_frame(decode_frame(dataset, info, index))
        self._pinned[(key, index)] = frame
        if all((key, i) in self._pinned for i in range(info.frames)):
            # every frame now lives in its own array: drop the raw copy held by the dataset
            kw = info.pixel_keyword
            if kw in dataset:
                del dataset[kw]
        return frame

    def has(self, key: int, index: int) -> bool:
        return (key, index) in self._pinned or (key, index) in self.cache

    def drop_instance(self, key: int) -> None:
        for k in [k for k in self._pinned if k[0] == key]:
            del self._pinned[k]
        self.cache.drop(lambda k: k[0] == key)

    def clear(self) -> None:
        self._pinned.clear()
        self.cache.clear()

    def stats(self) -> dict:
        pinned_bytes = sum(f.nbytes for f in self._pinned.values())
        return {"pinnedFrames": len(self._pinned), "pinnedBytes": pinned_bytes, "cache": self.cache.stats()}
