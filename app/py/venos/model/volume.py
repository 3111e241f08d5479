"""A series as a volume: whether its slices fill a regular voxel grid (:func:`survey`, metadata only) and the grid
filled from the decoded frames (:class:`Volume`).

PS3.3 C.7.6.2.1.1: the centre of pixel (row i, column j) of a slice lies at Image Position (Patient)
+ j·Δc·row + i·Δr·col, with row, col the direction cosines of Image Orientation (Patient) and (Δr, Δc) the Pixel
Spacing; slices stack along normal = row × col. The grid's axes are (normal, col, row) — array axes (z, y, x) — so
the acquisition slices are plain ``data[k]``.

Geometry that is not a clean volume is named, never hidden. Resampled, with a note:

* gantry tilt — each slice's position moves in-plane as well as along the normal: every slice is shifted in-plane
  onto one grid (bilinear interpolation). Offsets under :data:`SHIFT_TOLERANCE` of a pixel are rounding, not tilt.
* irregular spacing — a gap differs from the median gap by more than :data:`SPACING_TOLERANCE` of it (at least
  0.01 mm): slices are resampled every median gap, linearly between the two slices around each.

Refused (:class:`NotAVolume`, naming the reason): fewer than :data:`MIN_SLICES` slices; colour; a slice without
position, orientation or a Pixel Spacing in the patient; differing rows, columns, pixel spacing, orientation or frame
of reference; two slices at one position; missing slices — a gap of at least :data:`MISSING_GAP` × the median gap
that is also at least that many times the thicker of its two slices (a gap the slices' own thickness covers, as in
a head CT that switches from 4 mm to 7 mm slices, is irregular spacing, not a hole).
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Callable, Sequence

import numpy as np

from ..errors import NotAVolume
from .series import Slice

MIN_SLICES = 3
ORIENTATION_TOLERANCE = 1e-3  # per direction cosine (~0.06°): what rounding in the files leaves
PIXEL_SPACING_TOLERANCE = 1e-4  # relative: 0.05 pixel across a 512-pixel row
SAME_POSITION = 0.01  # mm along the normal: two slices closer than this are at one position
SPACING_TOLERANCE = 0.01  # relative to the median gap (and at least 0.01 mm): beyond it spacing is irregular
MISSING_GAP = 1.5  # × the median gap (and × the slices' thickness): a gap this large has slices missing
SHIFT_TOLERANCE = 0.05  # pixels: in-plane offsets smaller than this are rounding in the positions, not tilt


@dataclass(frozen=True)
class Grid:
    """A regular voxel grid in the patient (LPS) space: the centre of voxel q = (k, i, j) (array axes z, y, x) lies
    at ``origin + Σ q[a]·spacing[a]·axes[a]``."""

    shape: tuple[int, int, int]
    spacing: tuple[float, float, float]  # mm along z (between slices), y (between rows), x (between columns)
    origin: np.ndarray  # (3,) patient point of voxel (0, 0, 0)
    axes: np.ndarray  # (3, 3): unit vectors of array axes z (normal), y (col cosines), x (row cosines)

    def point(self, q) -> np.ndarray:
        """Patient point of (fractional) voxel index q = (k, i, j)."""
        return self.origin + (np.asarray(q, dtype=np.float64) * self.spacing) @ self.axes

    def index(self, p) -> np.ndarray:
        """Fractional voxel index (k, i, j) of a patient point."""
        return (self.axes @ (np.asarray(p, dtype=np.float64) - self.origin)) / self.spacing

    @property
    def centre(self) -> np.ndarray:
        return self.point([(n - 1) / 2.0 for n in self.shape])


@dataclass(frozen=True)
class Survey:
    """What the metadata say about a series as a volume: the grid it fills and how to fill it."""

    slices: tuple[Slice, ...]  # sorted along the normal
    grid: Grid
    heights: np.ndarray  # each slice's position along the normal, mm from the first
    shifts: np.ndarray | None  # (n, 2): (rows, columns) each slice is sampled at, from its pixel (i, j); None: none
    resample: bool  # heights are irregular: slices are interpolated every grid spacing
    stored: bool  # every slice shares one rescale: the volume keeps the stored values (else float32 modality)
    slope: float
    intercept: float
    modality_lut: object  # dicom.attrs.Lut or None, shared by every slice when ``stored``
    notes: tuple[str, ...]
    frame_of_reference: str


def survey(slices: Sequence[Slice]) -> Survey:
    """Whether ``slices`` (a series in display order) form a volume, and its grid. Raises :class:`NotAVolume`
    naming the slice (1-based, in display order) and what is wrong."""
    n = len(slices)
    if n < MIN_SLICES:
        raise NotAVolume(f"a volume needs at least {MIN_SLICES} slices; this series has {n}")
    infos = [sl.instance.info for sl in slices]
    fis = [info.frame(sl.frame) for info, sl in zip(infos, slices)]
    _check_alike(infos, fis)
    first, fi0 = infos[0], fis[0]
    row, col = _orthonormal(fi0.orientation)
    normal = np.cross(row, col)
    positions = np.array([fi.position for fi in fis], dtype=np.float64)
    order = np.argsort((positions - positions[0]) @ normal, kind="stable")
    positions = positions[order]
    rel = positions - positions[0]
    heights = rel @ normal
    gaps = np.diff(heights)
    name = [f"slice {i + 1} ({infos[i].source})" for i in order]
    same = np.flatnonzero(gaps < SAME_POSITION)
    if same.size:
        k = int(same[0])
        raise NotAVolume(f"{name[k]} and {name[k + 1]} lie at one position ({heights[k]:.2f} mm along the normal): "
                         "the series holds more than one acquisition")
    ordered = np.sort(gaps)
    median = float(ordered[(len(gaps) - 1) // 2] + ordered[len(gaps) // 2]) / 2.0  # np.median imports numpy.ma
    thick = [infos[i].slice_thickness or 0.0 for i in order]
    for k, gap in enumerate(gaps):
        if gap >= MISSING_GAP * median and gap >= MISSING_GAP * max(thick[k], thick[k + 1]):
            raise NotAVolume(f"slices are missing between {name[k]} and {name[k + 1]}: a gap of {gap:.2f} mm where "
                             f"the spacing is {median:.2f} mm")
    notes = []
    dr, dc = first.pixel_spacing
    shifts, (ref_r, ref_c) = _shifts(rel @ row, rel @ col, heights, dr, dc, notes)
    irregular = bool(np.any(np.abs(gaps - median) > max(SPACING_TOLERANCE * median, 0.01)))
    if irregular:
        dz = median
        nz = int(math.floor(heights[-1] / dz + 1e-6)) + 1
        notes.append(f"irregular spacing {gaps.min():.2f}–{gaps.max():.2f} mm resampled to the median {dz:.2f} mm "
                     "(linear interpolation)")
    else:
        dz, nz = float(heights[-1]) / (n - 1), n
    grid = Grid((nz, first.rows, first.columns), (dz, dr, dc), positions[0] + ref_r * row + ref_c * col,
                np.array([normal, col, row]))
    rescale = {(fi.slope, fi.intercept, fi.modality_lut) for fi in fis}
    kinds = {(info.bits_allocated, info.pixel_representation, info.pixel_keyword) for info in infos}
    stored = len(rescale) == 1 and len(kinds) == 1 and first.bits_allocated <= 16 \
        and first.pixel_keyword == "PixelData"
    return Survey(tuple(slices[i] for i in order), grid, heights, shifts, irregular, stored,
                  fi0.slope if stored else 1.0, fi0.intercept if stored else 0.0,
                  fi0.modality_lut if stored else None, tuple(notes), first.frame_of_reference)


def _check_alike(infos, fis) -> None:
    """Refuse what no resampling can mend: each slice must be grey, placed, and of one size, spacing, orientation
    and frame of reference."""
    first, fi0 = infos[0], fis[0]
    for i, (info, fi) in enumerate(zip(infos, fis)):
        name = f"slice {i + 1} ({info.source})"
        if info.is_color or info.photometric == "PALETTE COLOR":
            raise NotAVolume(f"colour images ({info.photometric}) are not reformatted: {name}")
        if fi.position is None or fi.orientation is None:
            raise NotAVolume(f"{name} has no Image Position / Image Orientation (Patient): its place in the "
                             "patient is unknown")
        if info.pixel_spacing is None or "Imager" in info.spacing_source or "Nominal" in info.spacing_source:
            raise NotAVolume(f"{name} has no Pixel Spacing in the patient: its size in mm is unknown")
        if (info.rows, info.columns) != (first.rows, first.columns):
            raise NotAVolume(f"{name} is {info.columns}×{info.rows} pixels, slice 1 ({first.source}) "
                             f"{first.columns}×{first.rows}: a volume needs one size")
        if any(abs(a - b) > PIXEL_SPACING_TOLERANCE * max(a, b) for a, b in zip(info.pixel_spacing,
                                                                                  first.pixel_spacing)):
            raise NotAVolume(f"{name} has pixel spacing {_mm(info.pixel_spacing)}, slice 1 ({first.source}) "
                             f"{_mm(first.pixel_spacing)}: a volume needs one spacing")
        if any(abs(a - b) > ORIENTATION_TOLERANCE for a, b in zip(fi.orientation, fi0.orientation)):
            raise NotAVolume(f"{name} is oriented {_cosines(fi.orientation)}, slice 1 ({first.source}) "
                             f"{_cosines(fi0.orientation)}: inconsistent orientation")
        if info.frame_of_reference and first.frame_of_reference \
                and info.frame_of_reference != first.frame_of_reference:
            raise NotAVolume(f"{name} is in another frame of reference than slice 1 ({first.source}): their "
                             "positions cannot be compared")


def _mm(spacing) -> str:
    return "×".join(f"{v:g}" for v in spacing) + " mm"


def _cosines(orientation) -> str:
    return "(" + ", ".join(f"{v:.3f}" for v in orientation) + ")"


def _orthonormal(orientation) -> tuple[np.ndarray, np.ndarray]:
    """Row and column direction cosines made unit and exactly perpendicular (files round them)."""
    row = np.array(orientation[:3], dtype=np.float64)
    row /= math.sqrt(float(row @ row))
    col = np.array(orientation[3:], dtype=np.float64)
    col -= (col @ row) * row
    norm = math.sqrt(float(col @ col))
    if norm < 1e-6:
        raise NotAVolume(f"Image Orientation (Patient) {_cosines(orientation)} gives no plane")
    return row, col / norm


def _shifts(along_row: np.ndarray, along_col: np.ndarray, heights: np.ndarray, dr: float, dc: float,
            notes: list[str]) -> tuple[np.ndarray | None, tuple[float, float]]:
    """Each slice's in-plane offset (mm along the row and column cosines) from the first → the (rows, columns)
    each slice is sampled at to sit on one grid, and the grid origin's offset from the first slice's position (mm
    along row, col). The grid is centred between the extreme offsets, so the shift is smallest at both ends."""
    if np.ptp(along_row) <= SHIFT_TOLERANCE * dc and np.ptp(along_col) <= SHIFT_TOLERANCE * dr:
        return None, (0.0, 0.0)
    ref_r = (along_row.min() + along_row.max()) / 2.0
    ref_c = (along_col.min() + along_col.max()) / 2.0
    shifts = np.stack([(ref_c - along_col) / dr, (ref_r - along_row) / dc], axis=1)
    drift = np.hypot(along_row[-1] - along_row[0], along_col[-1] - along_col[0])
    t = heights / heights[-1]
    off_line = np.hypot(along_row - t * (along_row[-1] - along_row[0]),
                        along_col - t * (along_col[-1] - along_col[0])).max()
    if off_line <= 0.5 * min(dr, dc):
        notes.append(f"gantry tilt {math.degrees(math.atan2(drift, heights[-1])):.1f}° resampled (each slice "
                     "shifted in-plane, linear interpolation)")
    else:
        notes.append(f"slices offset in-plane by up to {np.hypot(along_row - ref_r, along_col - ref_c).max():.1f} "
                     "mm resampled (each slice shifted in-plane, linear interpolation)")
    return shifts, (float(ref_r), float(ref_c))


class Volume:
    """The voxels of a surveyed series, copied slice by slice from the decoded frames (:meth:`fill`, which may
    take several calls while frames are decoded elsewhere), then put on the grid when the survey says so.

    ``data`` keeps the stored values (and dtype) when every slice shares one rescale, so the renderer's lookup by
    stored value applies unchanged; else float32 modality values. Interpolated stored values are rounded to the
    nearest stored value (less than half a stored unit)."""

    def __init__(self, survey_: Survey) -> None:
        self.survey = survey_
        self.grid = survey_.grid
        self.data: np.ndarray | None = None  # (nz, ny, nx) once every slice is in
        self._stack: np.ndarray | None = None  # the slices as decoded, while filling
        self._filled = np.zeros(len(survey_.slices), dtype=bool)
        self._fill_value: float | None = None

    @property
    def nbytes(self) -> int:
        return sum(a.nbytes for a in (self.data, self._stack) if a is not None)

    def fill(self, frame_of: Callable[[int, Slice], np.ndarray | None]) -> int:
        """Copy in every slice not copied yet; ``frame_of(index, slice)`` gives its decoded pixels, or None when
        they are not available yet. Returns how many slices are still missing (0: ``data`` is ready)."""
        sv = self.survey
        for k, sl in enumerate(sv.slices):
            if self._filled[k]:
                continue
            px = frame_of(k, sl)
            if px is None:
                continue
            if not sv.stored:  # PS3.3 C.11.1: the Modality LUT Sequence when present, else the rescale
                fi = sl.instance.info.frame(sl.frame)
                px = (fi.modality_lut.lookup(px) if fi.modality_lut is not None
                      else px.astype(np.float64) * fi.slope + fi.intercept).astype(np.float32)
            if self._stack is None:
                self._stack = np.empty((len(sv.slices),) + px.shape, dtype=px.dtype)
            elif px.dtype != self._stack.dtype:
                raise NotAVolume(f"slice {k + 1} ({sl.instance.info.source}) decodes to {px.dtype}, the others to "
                                 f"{self._stack.dtype}")
            self._stack[k] = px
            self._filled[k] = True
        missing = int(np.count_nonzero(~self._filled))
        if not missing and self.data is None:
            self._finish()
        return missing

    @property
    def fill_value(self) -> float:
        """What lies outside the scanned data: the padding value when the file declares one, else the lowest
        value in the volume (dark in the default window)."""
        if self._fill_value is None:
            padding = self.survey.slices[0].instance.info.padding
            values = self.data if self.data is not None else self._stack
            self._fill_value = float(padding[0]) if padding is not None and self.survey.stored \
                else float(values.min())
        return self._fill_value

    def _finish(self) -> None:
        sv, stack = self.survey, self._stack
        if sv.shifts is not None:
            out, scratch = (np.empty(stack.shape[1:], dtype=np.float32) for _ in range(2))
            for k in range(len(stack)):
                _put(stack, k, shift(stack[k], sv.shifts[k], self.fill_value, out, scratch))
        self.data = resample(stack, sv.heights, self.grid.shape[0], self.grid.spacing[0]) if sv.resample \
            else stack
        self._stack = None


def _put(out: np.ndarray, index: int, values: np.ndarray) -> None:
    """Interpolated float32 ``values`` into ``out[index]``: stored integers round to the nearest (cast on copy)."""
    if out.dtype.kind in "iu":
        np.rint(values, out=values)
    out[index] = values


def shift(image: np.ndarray, at: np.ndarray, fill: float, out: np.ndarray, scratch: np.ndarray) -> np.ndarray:
    """``image`` sampled at (row + at[0], column + at[1]) for every pixel, bilinearly; outside it, ``fill``: into
    ``out`` (float32, the image's shape; ``scratch`` likewise), which is returned. Each of the (up to) four
    neighbours adds its weight × (value − fill) where it exists, onto ``fill``. Buffers are reused because a
    fresh megabyte per slice costs more in page faults than the arithmetic."""
    out.fill(fill)
    base = np.float32(fill)
    (r0, fr), (c0, fc) = ((math.floor(a), a - math.floor(a)) for a in (float(at[0]), float(at[1])))
    for dr, wr in ((0, 1.0 - fr), (1, fr)):
        for dc, wc in ((0, 1.0 - fc), (1, fc)):
            src = _window(image.shape, r0 + dr, c0 + dc) if wr * wc > 0.0 else None
            if src is not None:
                part = scratch[src[1]]
                np.subtract(image[src[0]], base, out=part)
                part *= np.float32(wr * wc)
                out[src[1]] += part
    return out


def _window(shape: tuple[int, int], dr: int, dc: int):
    """Slices (source, target) such that target[i, j] = image[i + dr, j + dc] where both exist, or None."""
    rows, cols = shape
    r_lo, r_hi = max(0, -dr), min(rows, rows - dr)
    c_lo, c_hi = max(0, -dc), min(cols, cols - dc)
    if r_lo >= r_hi or c_lo >= c_hi:
        return None
    return ((slice(r_lo + dr, r_hi + dr), slice(c_lo + dc, c_hi + dc)), (slice(r_lo, r_hi), slice(c_lo, c_hi)))


def resample(stack: np.ndarray, heights: np.ndarray, count: int, step: float) -> np.ndarray:
    """``count`` slices every ``step`` mm from the first, each interpolated linearly between the two slices around
    its height (``heights`` ascending, the first 0)."""
    out = np.empty((count,) + stack.shape[1:], dtype=stack.dtype)
    values, other = (np.empty(stack.shape[1:], dtype=np.float32) for _ in range(2))
    last = len(heights) - 1
    for t in range(count):
        z = t * step
        k = min(int(np.searchsorted(heights, z, side="right")) - 1, last - 1)
        w = (z - heights[k]) / (heights[k + 1] - heights[k])
        if w <= 1e-6 or w >= 1.0 - 1e-6:
            out[t] = stack[k if w <= 1e-6 else k + 1]
        else:
            np.multiply(stack[k], np.float32(1.0 - w), out=values)
            values += np.multiply(stack[k + 1], np.float32(w), out=other)
            _put(out, t, values)
    return out
