"""PALETTE COLOR (PS3.3 C.7.6.3.1.5): a table from stored index to packed RGBA, built once per object."""
from __future__ import annotations

import numpy as np

from ..dicom.attrs import ImageInfo
from ..errors import InvalidDataset


def palette_table(ds, info: ImageInfo) -> np.ndarray:
    """Packed RGBA (uint32) for every possible stored index, through pydicom's LUT expansion
    (which handles segmented palettes, the first-mapped value and 8/16-bit entries)."""
    from pydicom.pixels import apply_color_lut

    n = 1 << min(info.bits_allocated, 16)
    index = np.arange(n, dtype=np.uint16 if n > 256 else np.uint8)
    try:
        rgb = apply_color_lut(index, ds)
    except Exception as exc:
        raise InvalidDataset(f"the palette colour lookup table cannot be used: {exc}", source=info.source) from None
    rgb = np.asarray(rgb).reshape(n, 3).astype(np.uint32)
    if rgb.max(initial=0) > 255:  # 16-bit entries: scale to 8 bits, rounding
        rgb = (rgb * 255 + 32767) // 65535
    return (rgb[:, 0] | (rgb[:, 1] << 8) | (rgb[:, 2] << 16) | np.uint32(0xFF000000)).astype(np.uint32)
