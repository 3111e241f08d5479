"""Planes through a volume (model/volume.py): axial, coronal, sagittal and oblique images, slab projections, and
the attributes a reformatted image is drawn, captioned and measured with.

A plane is a stack of images: pixel (row i, column j) of image k has its centre at
``origin + j·Δc·row + i·Δr·col + k·step·normal`` (the convention of Image Position / Orientation
(Patient), PS3.3 C.7.6.2.1.1), normal = row × col. The named planes take the volume axis nearest to the patient's
foot–head (axial), front–back (coronal) and left–right (sagittal) axis, and lay each image out as radiologists read
it: axial with the patient's left on the right and posterior at the bottom, coronal and sagittal with the head at
the top and the patient's left, resp. back, on the right. They are plain slices of the volume, never resampled.

Oblique: the coronal plane turned about the axis it shares with the sagittal plane (for an axial acquisition the
slice-stacking axis) by ``angle`` degrees towards the sagittal — 0 is the coronal plane, 90 the sagittal — sampled
bilinearly across that axis at the finer of the two other spacings (exact along it).
"""
from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from itertools import permutations

import numpy as np

from ..model.series import slice_normal
from ..model.volume import Grid, Volume
from .orientation import edge_labels

# name → (patient axis its normal follows, direction of increasing column, direction of increasing row), in LPS
LAYOUT = {"axial": ((0, 0, 1), (1, 0, 0), (0, 1, 0)),
          "coronal": ((0, 1, 0), (1, 0, 0), (0, 0, -1)),
          "sagittal": ((1, 0, 0), (0, 1, 0), (0, 0, -1))}
MODES = {"mip": "MIP", "minip": "MinIP", "avg": "Average"}
_EPS = 1e-6  # index units: a sample this close to the volume's edge is on it


@dataclass(frozen=True)
class Plane:
    name: str
    origin: np.ndarray  # patient point of the centre of pixel (0, 0) of image 0
    row: np.ndarray  # unit vector along increasing column index
    col: np.ndarray  # unit vector along increasing row index
    normal: np.ndarray  # unit vector along increasing image index (row × col)
    spacing: tuple[float, float]  # mm between rows, between columns
    step: float  # mm between images
    rows: int
    columns: int
    count: int

    def position(self, k: int) -> np.ndarray:
        """Patient point of the centre of pixel (0, 0) of image k."""
        return self.origin + (k * self.step) * self.normal

    def point(self, k: int, x: float, y: float) -> list[float]:
        """Patient point of image coordinates (x, y) of image k, pixels counted as :func:`point_at` does."""
        return _plain(self.position(k) + ((x - 0.5) * self.spacing[1]) * self.row
                      + ((y - 0.5) * self.spacing[0]) * self.col)

    def nearest(self, point) -> tuple[int, float, bool]:
        """The image nearest to a patient point along the normal, its distance (mm), and whether that is within
        half the spacing between images."""
        h = float((np.asarray(point, dtype=np.float64) - self.origin) @ self.normal)
        k = min(max(int(math.floor(h / self.step + 0.5)), 0), self.count - 1)
        d = abs(h - k * self.step)
        return k, d, d <= self.step / 2.0 + 1e-9


def plane_of(grid: Grid, name: str, angle: float = 0.0) -> Plane:
    """The plane ``name`` ("axial", "coronal", "sagittal", "oblique" at ``angle`` degrees) through the grid."""
    if name == "oblique":
        return _oblique(grid, angle)
    return _named(grid)[name]


def _named(grid: Grid) -> dict[str, Plane]:
    """Axial, coronal and sagittal: each takes its own volume axis, the assignment nearest to the patient axes
    (so a tilted or oblique acquisition still gives three distinct planes)."""
    names = list(LAYOUT)
    fit = np.abs(np.array([LAYOUT[n][0] for n in names], dtype=np.float64) @ grid.axes.T)
    best = max(permutations(range(3)), key=lambda p: sum(fit[i, p[i]] for i in range(3)))
    return {n: _orthogonal(grid, n, best[i]) for i, n in enumerate(names)}


def _orthogonal(grid: Grid, name: str, a: int) -> Plane:
    _, want_row, want_col = (np.array(v, dtype=np.float64) for v in LAYOUT[name])
    p, q = (x for x in range(3) if x != a)
    if abs(grid.axes[p] @ want_row) + abs(grid.axes[q] @ want_col) < \
            abs(grid.axes[q] @ want_row) + abs(grid.axes[p] @ want_col):
        p, q = q, p  # p runs along the columns (the image's row direction), q along the rows
    sp = 1.0 if grid.axes[p] @ want_row >= 0 else -1.0
    sq = 1.0 if grid.axes[q] @ want_col >= 0 else -1.0
    row, col = sp * grid.axes[p], sq * grid.axes[q]
    normal = np.cross(row, col)
    corner = [0.0, 0.0, 0.0]
    corner[p] = 0.0 if sp > 0 else grid.shape[p] - 1
    corner[q] = 0.0 if sq > 0 else grid.shape[q] - 1
    corner[a] = 0.0 if normal @ grid.axes[a] > 0 else grid.shape[a] - 1
    return Plane(name, grid.point(corner), row, col, normal, (grid.spacing[q], grid.spacing[p]),
                 grid.spacing[a], grid.shape[q], grid.shape[p], grid.shape[a])


def _oblique(grid: Grid, angle: float) -> Plane:
    """The coronal plane turned by ``angle`` towards the sagittal about their shared axis u: image rows run along
    u voxel by voxel; columns and images are ``step`` (the finer other spacing) apart, spanning the volume's
    extent in each direction, centred on the volume."""
    named = _named(grid)
    cor, sag = named["coronal"], named["sagittal"]
    u = _axis_of(named["axial"].normal, grid)  # the axis the coronal and sagittal planes share
    col = grid.axes[u] if grid.axes[u] @ cor.col >= 0 else -grid.axes[u]
    c, s = _cos_sin(angle)
    normal = c * cor.normal + s * sag.normal
    normal /= math.sqrt(float(normal @ normal))
    row = np.cross(col, normal)
    v, w = (x for x in range(3) if x != u)
    step = min(grid.spacing[v], grid.spacing[w])
    lengths = {x: (grid.shape[x] - 1) * grid.spacing[x] for x in (v, w)}

    def extent(d: np.ndarray) -> int:
        span = sum(abs(float(d @ grid.axes[x])) * lengths[x] for x in (v, w))
        return int(math.floor(span / step + 1e-6)) + 1

    rows, columns, count = grid.shape[u], extent(row), extent(normal)
    origin = grid.centre - ((columns - 1) / 2.0 * step) * row - ((rows - 1) / 2.0 * grid.spacing[u]) * col \
        - ((count - 1) / 2.0 * step) * normal
    return Plane("oblique", origin, row, col, normal, (grid.spacing[u], step), step, rows, columns, count)


def _cos_sin(angle: float) -> tuple[float, float]:
    """Exact at multiples of 90°, so the oblique plane at 0° or 90° samples exactly where the named planes do."""
    a = float(angle) % 360.0
    exact = {0.0: (1.0, 0.0), 90.0: (0.0, 1.0), 180.0: (-1.0, 0.0), 270.0: (0.0, -1.0)}
    if a in exact:
        return exact[a]
    return math.cos(math.radians(a)), math.sin(math.radians(a))


def _axis_of(direction: np.ndarray, grid: Grid) -> int:
    return int(np.argmax(np.abs(grid.axes @ direction)))


def _unit_axis(step: np.ndarray) -> tuple[int, int] | None:
    """(axis, ±1) when an index-space step moves exactly one voxel along one array axis, else None."""
    a = int(np.argmax(np.abs(step)))
    if abs(abs(step[a]) - 1.0) < 1e-6 and np.all(np.abs(np.delete(step, a)) < 1e-6):
        return a, 1 if step[a] > 0 else -1
    return None


# ------------------------------------------------------------------------------------------------ images

def slab_planes(plane: Plane, slab: float) -> int:
    """How many images a slab ``slab`` mm thick spans (at least one)."""
    return max(1, int(math.floor(slab / plane.step + 0.5))) if slab > 0 else 1


def image(volume: Volume, plane: Plane, k: int, *, slab: float = 0.0, mode: str = "mip") -> np.ndarray:
    """Image k of the plane (rows × columns): one plane, or the maximum ("mip"), minimum ("minip") or mean
    ("avg") over the ``slab_planes`` images centred on it (clipped at the volume's ends). In the volume's dtype,
    except an average of several images (float32)."""
    n = slab_planes(plane, slab)
    lo, hi = max(0, k - (n - 1) // 2), min(plane.count - 1, k + n // 2)
    grid = volume.grid
    q0 = grid.index(plane.position(lo))
    steps = [grid.index(plane.origin + d) - grid.index(plane.origin)
             for d in (plane.spacing[0] * plane.col, plane.spacing[1] * plane.row, plane.step * plane.normal)]
    cut = [_unit_axis(s) for s in steps]
    if all(cut):
        out = _sliced(volume.data, np.rint(q0).astype(int), cut, hi - lo + 1, mode)
    else:
        out = _sampled(volume, q0, steps, plane.columns, hi - lo + 1, mode)
    return np.ascontiguousarray(out)


def _sliced(data: np.ndarray, q0: np.ndarray, cut, n: int, mode: str) -> np.ndarray:
    """An orthogonal plane: plain slicing of the volume, reduced over the slab's images."""
    (b, sb), (c, sc), (a, sa) = cut
    first, last = q0[a], q0[a] + sa * (n - 1)
    index: list = [slice(None)] * 3
    index[a] = slice(min(first, last), max(first, last) + 1)
    block = data[tuple(index)]
    if n == 1:
        img = block.squeeze(axis=a)
    elif mode == "avg":
        img = block.mean(axis=a, dtype=np.float32)
    else:
        img = _halving(block, a, np.maximum if mode == "mip" else np.minimum)
    if b > c:
        img = img.T
    return img[::sb, ::sc]


def _halving(block: np.ndarray, axis: int, fn) -> np.ndarray:
    """``fn`` (np.maximum / np.minimum) reduced over ``axis`` by halving: whole-array operations. numpy's own
    reduce over a short contiguous axis (a sagittal slab) runs element by element, 3–5× slower."""
    def part(start: int, stop: int) -> tuple:
        index: list = [slice(None)] * block.ndim
        index[axis] = slice(start, stop)
        return tuple(index)

    x = block
    while x.shape[axis] > 1:
        half, odd = divmod(x.shape[axis], 2)
        y = fn(x[part(0, half)], x[part(half, 2 * half)])
        if odd:
            fn(y[part(0, 1)], x[part(2 * half, 2 * half + 1)], out=y[part(0, 1)])
        x = y
    return x.squeeze(axis=axis)


_GATHER = 8192  # positions per row sampled at once: np.take's cost is partly per row, so batch the slab's images


def _sampled(volume: Volume, q0: np.ndarray, steps, width: int, n: int, mode: str) -> np.ndarray:
    """An oblique plane: its rows run along one volume axis u (exactly, voxel by voxel); across, each column is
    interpolated bilinearly in the other two axes. A slab combines ``n`` such images one step apart; samples
    outside the volume take no part, and pixels outside in every image take the volume's fill value."""
    di, dj, dk = steps
    u, su = _unit_axis(di)
    v, w = (x for x in range(3) if x != u)
    data = volume.data.transpose(u, v, w)  # a view; for an axial acquisition (u = 0) the volume itself
    flat = data.reshape(data.shape[0], -1) if u == 0 else None
    j = np.arange(width, dtype=np.float64)
    m = np.arange(n, dtype=np.float64)[:, None]
    fv, fw = q0[v] + m * dk[v] + j * dj[v], q0[w] + m * dk[w] + j * dj[w]  # (n, width)
    acc = seen = None
    per = max(1, _GATHER // width)
    for start in range(0, n, per):
        part = slice(start, min(n, start + per))
        vals, ok = _bilinear(data, flat, fv[part].ravel(), fw[part].ravel())
        vals, ok = vals.reshape(data.shape[0], -1, width), ok.reshape(-1, width)
        if mode == "avg":
            vals[:, ~ok] = 0.0
            part_acc = vals.sum(axis=1)
        else:
            vals[:, ~ok] = -np.inf if mode == "mip" else np.inf
            part_acc = vals.max(axis=1) if mode == "mip" else vals.min(axis=1)
        part_seen = ok.sum(axis=0)
        if acc is None:
            acc, seen = part_acc, part_seen
        else:
            acc = acc + part_acc if mode == "avg" else (np.maximum if mode == "mip" else np.minimum)(acc, part_acc)
            seen = seen + part_seen
    if mode == "avg":
        acc /= np.maximum(seen, 1).astype(np.float32)
    acc[:, seen == 0] = volume.fill_value
    if su < 0:
        acc = acc[::-1]
    if mode == "avg" and n > 1:
        return acc
    if volume.data.dtype.kind in "iu":
        return np.rint(acc).astype(volume.data.dtype)
    return acc.astype(volume.data.dtype, copy=False)


def _bilinear(data: np.ndarray, flat: np.ndarray | None, fv: np.ndarray, fw: np.ndarray
              ) -> tuple[np.ndarray, np.ndarray]:
    """``data`` (u, v, w) at fractional (v, w) per sample, bilinearly, for every u: (u × samples) float32, and
    which samples lie inside the volume. ``flat``: ``data`` as (u, v·w) when that is a view (faster gathers)."""
    nv, nw = data.shape[1], data.shape[2]
    ok = (fv >= -_EPS) & (fv <= nv - 1 + _EPS) & (fw >= -_EPS) & (fw <= nw - 1 + _EPS)
    fv, fw = np.clip(fv, 0, nv - 1), np.clip(fw, 0, nw - 1)
    v0 = np.minimum(fv.astype(np.intp), max(nv - 2, 0))
    w0 = np.minimum(fw.astype(np.intp), max(nw - 2, 0))
    tv, tw = (fv - v0).astype(np.float32), (fw - w0).astype(np.float32)
    v1, w1 = np.minimum(v0 + 1, nv - 1), np.minimum(w0 + 1, nw - 1)

    corners = [(v0, w0), (v1, w0), (v0, w1), (v1, w1)]
    if flat is not None:  # one gather of the four corners: each source row stays in cache for all of them
        got = np.take(flat, np.concatenate([vi * nw + wi for vi, wi in corners]), axis=1)
        values = [got[:, i * len(fv):(i + 1) * len(fv)] for i in range(4)]
    else:
        values = [data[:, vi, wi] for vi, wi in corners]
    out = values[0] * ((1 - tv) * (1 - tw))
    out += values[1] * (tv * (1 - tw))
    out += values[2] * ((1 - tv) * tw)
    out += values[3] * (tv * tw)
    return out.astype(np.float32, copy=False), ok


# ------------------------------------------------------------------------------------------------ what is drawn

def caption(plane: Plane, slab: float, mode: str, angle: float) -> str:
    """The plane and its projection as the viewport names them: "Coronal · MIP 10 mm"."""
    name = plane.name.capitalize() + (f" {angle:g}°" if plane.name == "oblique" else "")
    n = slab_planes(plane, slab)
    if slab <= 0:
        return name
    if n == 1:
        return f"{name} · slab {slab:g} mm is within one image ({plane.step:.2f} mm)"
    thick = n * plane.step
    exact = abs(thick - slab) <= 0.05 * slab
    return f"{name} · {MODES[mode]} {slab:g} mm" + ("" if exact else f" ({n} images, {thick:.1f} mm)")


def image_info(info, fi, plane: Plane, k: int, *, stored: bool, slope: float, intercept: float, modality_lut,
               slab: float, lossy: str):
    """The attributes of reformatted image k, as an ImageInfo of one frame, so that the display, captions,
    probe and measurements work on it as on any slice: the middle slice's (``info``, ``fi``) attributes — window,
    VOI, photometric — with the plane's size, spacing and geometry, and the volume's rescale (identity when the
    volume holds modality values)."""
    # where the mm come from, as short as the overlay needs it (the figures themselves are beside it)
    spacing_note = f"reformatted from {info.spacing_source or 'Pixel Spacing'} and the slice positions"
    frame = dataclasses.replace(fi, position=tuple(float(x) for x in plane.position(k)),
                                orientation=tuple(float(x) for x in np.concatenate([plane.row, plane.col])),
                                slope=slope, intercept=intercept, modality_lut=modality_lut)
    return dataclasses.replace(
        info, rows=plane.rows, columns=plane.columns, frames=1, frame_info=(frame,), pixel_spacing=plane.spacing,
        spacing_source=spacing_note, aspect=plane.spacing[0] / plane.spacing[1], instance_number=None,
        sop_instance_uid="", slice_thickness=max(slab, plane.step), us_regions=(), lossy=lossy,
        padding=info.padding if stored else None, patient_orientation=())


def captions(base: dict, plane: Plane, k: int, info, caption_: str, notes) -> dict:
    """The corner texts of a reformatted image: those of the series' middle slice (``base``, view/captions.py)
    with what differs — the image's place in the plane, spacing, orientation letters, the plane and the notes on
    the volume's geometry."""
    fi = info.frame(0)
    return {**base, "slice": k + 1, "slices": plane.count, "frame": 1, "frames": 1, "instanceNumber": None,
            "sopInstanceUid": "", "source": "", "pixelSpacing": list(plane.spacing),
            "spacingSource": info.spacing_source, "position": list(fi.position),
            "orientation": edge_labels(fi.orientation), "lossy": info.lossy, "overlayPlanes": 0,
            "plane": caption_, "notes": list(notes)}


# ------------------------------------------------------------------------------------------------ geometry

def geometry(info, fi) -> dict | None:
    """Where an image lies in the patient: ``origin`` (centre of pixel (0, 0)), unit ``row`` (increasing column)
    and ``col`` (increasing row) directions, ``normal`` = row × col, ``spacing`` (between rows, between columns),
    its size and Frame of Reference UID (planes of two series compare only within one); None without position,
    orientation or pixel spacing."""
    if fi.position is None or fi.orientation is None or info.pixel_spacing is None:
        return None
    row, col = fi.orientation[:3], fi.orientation[3:]
    n = slice_normal(fi.orientation)
    if n is None:
        return None
    return {"origin": _plain(fi.position), "row": _plain(row), "col": _plain(col), "normal": _plain(n),
            "spacing": _plain(info.pixel_spacing), "rows": info.rows, "columns": info.columns,
            "frameOfReference": info.frame_of_reference}


def _plain(v) -> list[float]:
    return [float(x) + 0.0 for x in v]  # + 0.0: no "-0" in what JavaScript reads


def point_at(info, fi, x: float, y: float) -> list[float] | None:
    """Patient point of image coordinates (x, y) — pixels as tools/measure.py counts them: pixel (column c, row
    r) covers [c, c + 1) × [r, r + 1), its centre at (c + 0.5, r + 0.5)."""
    g = geometry(info, fi)
    if g is None:
        return None
    dr, dc = g["spacing"]
    p = np.array(g["origin"]) + (x - 0.5) * dc * np.array(g["row"]) + (y - 0.5) * dr * np.array(g["col"])
    return _plain(p)


def nearest_acquired(slices, point) -> dict | None:
    """The acquired slice nearest to a patient point, each slice at its own position along its own normal:
    ``{slice, distance, within}`` — within when the distance is at most half the gap to the neighbouring slice
    on the point's side (or half the slice thickness for a single slice); None when no slice has a place."""
    p = np.asarray(point, dtype=np.float64)
    placed = []
    for idx, sl in enumerate(slices):
        info = sl.instance.info
        fi = info.frame(sl.frame)
        n = slice_normal(fi.orientation) if fi.position is not None else None
        if n is not None:
            placed.append((idx, np.array(fi.position), np.array(n), info.slice_thickness))
    if not placed:
        return None
    signed = [float((p - pos) @ n) for _, pos, n, _ in placed]
    best = min(range(len(placed)), key=lambda i: abs(signed[i]))
    idx, pos, n, thickness = placed[best]
    gaps = [float((q - pos) @ n) for _, q, _, _ in placed]
    beyond = [g for g in gaps if g * signed[best] > 1e-9]  # neighbours on the point's side
    gap = min(beyond, key=abs) if beyond else min((g for g in gaps if abs(g) > 1e-9), key=abs, default=None)
    half = abs(gap) / 2.0 if gap is not None else (thickness or 0.0) / 2.0
    d = abs(signed[best])
    return {"slice": idx, "distance": d, "within": d <= half + 1e-9}
