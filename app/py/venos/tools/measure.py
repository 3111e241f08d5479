"""Measurements in image pixel coordinates → physical units, saying where the spacing came from.

PS3.3 10.7.1.3: Pixel Spacing is in the patient (for cross-sectional images); Imager Pixel Spacing is at the
detector plane (projection radiography: not corrected for geometric magnification); without either, lengths stay
in pixels and say so.
"""
from __future__ import annotations

import math

import numpy as np

from ..dicom.attrs import ImageInfo
from ..view.captions import units_of
from ..view.lut import modality_values

_NOTES = {
    "PixelSpacing": "PixelSpacing (in the patient plane)",
    "PixelMeasuresSequence > PixelSpacing": "PixelSpacing from the functional groups (in the patient plane)",
    "ImagerPixelSpacing": "ImagerPixelSpacing (at the detector; not corrected for magnification)",
    "NominalScannedPixelSpacing": "NominalScannedPixelSpacing (of the scanned film)",
}


def calibration(info: ImageInfo, points) -> tuple[float, float, str] | None:
    """(row mm, column mm, where it came from) for a measurement through these (x, y) points, or None.

    Pixel Spacing (or its relatives, see ``_NOTES``) when the file has it; else, for ultrasound, the region of the
    Sequence of Ultrasound Regions that holds every point, if it is a 2D tissue region calibrated in cm
    (PS3.3 C.8.5.5.1.2: PhysicalDeltaX/Y are the physical size of one pixel)."""
    if info.pixel_spacing is not None:
        row_mm, col_mm = info.pixel_spacing
        return row_mm, col_mm, _NOTES.get(info.spacing_source, info.spacing_source)
    for i, region in enumerate(info.us_regions):
        if region.is_2d_cm and all(region.contains(x, y) for x, y in points):
            return (abs(region.delta_y) * 10.0, abs(region.delta_x) * 10.0,
                    f"ultrasound region {i + 1} (PhysicalDeltaX/Y of a 2D tissue region)")
    return None


def no_spacing(info: ImageInfo, what: str) -> str:
    if any(r.is_2d_cm for r in info.us_regions):
        return f"none: not inside one calibrated ultrasound region, so this {what} is in pixels"
    return f"none: the file gives no pixel spacing, so this {what} is in pixels"


def length(info: ImageInfo, p1: tuple[float, float], p2: tuple[float, float]) -> dict:
    """Distance between two points given as (x = column, y = row) in image pixels."""
    dx, dy = p2[0] - p1[0], p2[1] - p1[1]
    cal = calibration(info, (p1, p2))
    if cal is None:
        return {"value": math.hypot(dx, dy), "units": "px", "spacing": no_spacing(info, "length")}
    row_mm, col_mm, note = cal
    return {"value": math.hypot(dx * col_mm, dy * row_mm), "units": "mm", "spacing": note}


SHAPES = ("rectangle", "ellipse")


def region_mask(shape: str, p1: tuple[float, float], p2: tuple[float, float], rows: int, columns: int
                ) -> tuple[np.ndarray, tuple[slice, slice]]:
    """Pixels of a rectangle or of the ellipse inscribed in it (corners p1, p2 as (x, y) in image pixels).

    A pixel belongs to the region when its centre (column + 0.5, row + 0.5) lies inside the shape (boundary
    included). Returns the mask over the bounding box clipped to the image, and that box as slices."""
    if shape not in SHAPES:
        raise ValueError(f"unknown region shape {shape!r} (expected one of {', '.join(SHAPES)})")
    x0, x1 = sorted((float(p1[0]), float(p2[0])))
    y0, y1 = sorted((float(p1[1]), float(p2[1])))
    c0, c1 = max(0, math.floor(x0 - 0.5)), min(columns, math.ceil(x1 + 0.5))
    r0, r1 = max(0, math.floor(y0 - 0.5)), min(rows, math.ceil(y1 + 0.5))
    if c1 <= c0 or r1 <= r0:
        return np.zeros((0, 0), dtype=bool), (slice(0, 0), slice(0, 0))
    cx = np.arange(c0, c1, dtype=np.float64) + 0.5
    cy = np.arange(r0, r1, dtype=np.float64)[:, None] + 0.5
    if shape == "rectangle":
        mask = (cx >= x0) & (cx <= x1) & (cy >= y0) & (cy <= y1)
    else:
        a, b = (x1 - x0) / 2.0, (y1 - y0) / 2.0
        if a <= 0 or b <= 0:
            mask = np.zeros((r1 - r0, c1 - c0), dtype=bool)
        else:
            mask = ((cx - (x0 + a)) / a) ** 2 + ((cy - (y0 + b)) / b) ** 2 <= 1.0
    return mask, (slice(r0, r1), slice(c0, c1))


def region_area(info: ImageInfo, shape: str, p1: tuple[float, float], p2: tuple[float, float]) -> dict:
    """Geometric area of the drawn shape (not the pixel count), in mm² when the file gives a pixel spacing."""
    w, h = abs(float(p2[0]) - float(p1[0])), abs(float(p2[1]) - float(p1[1]))
    area = w * h if shape == "rectangle" else math.pi * (w / 2.0) * (h / 2.0)
    cal = calibration(info, (p1, p2))  # both corners in one ultrasound region: the whole box is
    if cal is None:
        return {"area": area, "areaUnits": "px²", "spacing": no_spacing(info, "area")}
    row_mm, col_mm, note = cal
    return {"area": area * row_mm * col_mm, "areaUnits": "mm²", "spacing": note}


def region_stats(values: np.ndarray) -> dict:
    """Count, mean, population standard deviation, minimum and maximum of the values (float64)."""
    v = np.asarray(values, dtype=np.float64).ravel()
    if v.size == 0:
        return {"pixels": 0, "mean": None, "sd": None, "min": None, "max": None}
    mean = float(v.mean())
    return {"pixels": int(v.size), "mean": mean, "sd": float(np.sqrt(np.mean((v - mean) ** 2))),
            "min": float(v.min()), "max": float(v.max())}


def angle(info: ImageInfo, p1: tuple[float, float], vertex: tuple[float, float], p3: tuple[float, float]) -> dict:
    """The angle p1–vertex–p3 in degrees, measured in the patient plane: with a pixel spacing whose rows and
    columns differ, the arms are scaled first (an angle in pixels would be wrong on non-square pixels)."""
    cal = calibration(info, (p1, vertex, p3))
    row_mm, col_mm = cal[:2] if cal is not None else (1.0, 1.0)
    u = ((p1[0] - vertex[0]) * col_mm, (p1[1] - vertex[1]) * row_mm)
    v = ((p3[0] - vertex[0]) * col_mm, (p3[1] - vertex[1]) * row_mm)
    nu, nv = math.hypot(*u), math.hypot(*v)
    if nu == 0 or nv == 0:
        return {"value": None, "units": "°", "spacing": "an arm has no length"}
    cos = max(-1.0, min(1.0, (u[0] * v[0] + u[1] * v[1]) / (nu * nv)))
    note = cal[2] if cal is not None else no_spacing(info, "angle").replace("is in pixels",
                                                                          "takes pixels as square")
    return {"value": math.degrees(math.acos(cos)), "units": "°", "spacing": note}


# ------------------------------------------------------------------------------------------------ registered tools
# Each takes a tools.Measured (the slice's ImageInfo, FrameInfo, decoded frame and the points in image pixels) and
# returns plain values; tools/__init__.py registers them.

def measure_length(m) -> dict:
    return length(m.info, *m.points)


def measure_angle(m) -> dict:
    return angle(m.info, *m.points)


def measure_rectangle(m) -> dict:
    return region(m, "rectangle")


def measure_ellipse(m) -> dict:
    return region(m, "ellipse")


def region(m, shape: str) -> dict:
    """Statistics inside a rectangle or the ellipse inscribed in it (corners in image pixels): pixel count, mean,
    SD, min, max in modality units (per channel for colour), and the shape's area with its units and the attribute
    the spacing came from. Padding pixels (Pixel Padding Value) are left out and counted."""
    info, p1, p2 = m.info, m.points[0], m.points[1]
    mask, box = region_mask(shape, p1, p2, info.rows, info.columns)
    pixels = m.frame.pixels[box]
    out = {"shape": shape, "units": "", "note": "", **region_area(info, shape, p1, p2)}
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
    fi = m.frame_info
    out.update(region_stats(modality_values(stored, slope=fi.slope, intercept=fi.intercept,
                                            modality_lut=fi.modality_lut)))
    out["units"] = units_of(info)
    return out
