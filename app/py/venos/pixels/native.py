"""Uncompressed pixel data read one frame at a time, straight from the file's bytes.

The result equals pydicom's default ``pixel_array`` for the frame (PS3.5 8.1.1 native format; dtype from Bits
Allocated and Pixel Representation). pydicom also "corrects unused bits" when Bits Stored < Bits Allocated
(masking unsigned values, sign-extending signed ones from the high bit); that correction is the identity when
every value already lies in the Bits Stored range, which :func:`correct_unused_bits` checks from the frame's
min/max (computed anyway) before copying anything.
"""
from __future__ import annotations

import numpy as np

from ..blob import Blob
from ..dicom.attrs import ImageInfo
from ..dicom.parse import PixelLocation


def native_frame(blob: Blob, loc: PixelLocation, info: ImageInfo, index: int) -> np.ndarray | None:
    """Frame ``index`` read from the file (one read of exactly its bytes); None for layouts left to pydicom (1-bit,
    float, YBR …) and for a frame the file does not hold whole (pydicom then explains)."""
    if loc.encapsulated or loc.keyword != "PixelData" or info.bits_allocated not in (8, 16, 32):
        return None
    if not loc.little_endian and info.bits_allocated == 8:
        return None  # 8-bit data in an OW element is byte-swapped in 16-bit words (PS3.5 A.3): pydicom knows
    spp = info.samples_per_pixel
    if not (spp == 1 or (spp == 3 and info.photometric == "RGB")):
        return None
    itemsize = info.bits_allocated // 8
    dtype = np.dtype(("<" if loc.little_endian else ">") + ("i" if info.pixel_representation else "u")
                     + str(itemsize))
    count = info.rows * info.columns * spp
    offset = loc.offset + index * count * itemsize
    if offset + count * itemsize > loc.offset + min(loc.length, loc.available):
        return None  # let pydicom report the inconsistency in its own words
    raw = blob.read(offset, count * itemsize)
    if len(raw) < count * itemsize:
        return None
    arr = np.frombuffer(raw, dtype=dtype, count=count)
    if spp == 1:
        return arr.reshape(info.rows, info.columns)
    if info.planar_configuration == 0:
        return arr.reshape(info.rows, info.columns, 3)
    return arr.reshape(3, info.rows, info.columns).transpose(1, 2, 0)


def correct_unused_bits(arr: np.ndarray, lo: int, hi: int, info: ImageInfo) -> np.ndarray | None:
    """The corrected array when the bits above Bits Stored carry anything, else None (no change needed)."""
    bits = 8 * arr.dtype.itemsize
    stored = info.bits_stored
    if stored >= bits:
        return None
    if arr.dtype.kind == "u":
        if hi < (1 << stored):
            return None
        return arr & arr.dtype.type((1 << stored) - 1)
    if -(1 << (stored - 1)) <= lo and hi < (1 << (stored - 1)):
        return None
    shift = bits - stored
    return (arr << shift) >> shift
