"""Measurements in image pixel coordinates → physical units, saying where the spacing came from.

PS3.3 10.7.1.3: Pixel Spacing is in the patient (for cross-sectional images); Imager Pixel Spacing is at the
detector plane (projection radiography: not corrected for geometric magnification); without either, lengths stay
in pixels and say so.
"""
from __future__ import annotations

import math

from ..dicom.attrs import ImageInfo

_NOTES = {
    "PixelSpacing": "PixelSpacing (in the patient plane)",
    "PixelMeasuresSequence > PixelSpacing": "PixelSpacing from the functional groups (in the patient plane)",
    "ImagerPixelSpacing": "ImagerPixelSpacing (at the detector; not corrected for magnification)",
    "NominalScannedPixelSpacing": "NominalScannedPixelSpacing (of the scanned film)",
}


def length(info: ImageInfo, p1: tuple[float, float], p2: tuple[float, float]) -> dict:
    """Distance between two points given as (x = column, y = row) in image pixels."""
    dx, dy = p2[0] - p1[0], p2[1] - p1[1]
    if info.pixel_spacing is None:
        return {"value": math.hypot(dx, dy), "units": "px",
                "spacing": "none: the file gives no pixel spacing, so this length is in pixels"}
    row_mm, col_mm = info.pixel_spacing
    return {"value": math.hypot(dx * col_mm, dy * row_mm), "units": "mm",
            "spacing": _NOTES.get(info.spacing_source, info.spacing_source)}
