"""The viewer's shapes ↔ SR spatial coordinates (PS3.3 C.18.6 SCOORD, C.18.9 SCOORD3D).

Coordinates: an SCOORD is in image pixels with (0, 0) the top-left corner of the top-left pixel, so the centre of
that pixel is (0.5, 0.5) and column c, row r covers [c, c + 1) × [r, r + 1) (PS3.3 C.18.6.1). The viewer counts
pixels the same way (tools/measure.py ``region_mask``, view/mpr.py ``point_at``), so image points are written as
they are: :func:`to_scoord` and :func:`from_scoord` are the one place that would change if either side did.
"""
from __future__ import annotations

import math

Point = tuple[float, float]


def to_scoord(points) -> list[float]:
    """Viewer points (x = column, y = row) → flat Graphic Data (column, row, column, row …)."""
    return [float(v) for p in points for v in (p[0], p[1])]


def from_scoord(data, dims: int = 2) -> list[list[float]]:
    """Flat Graphic Data → points (viewer image pixels for 2D; patient mm for 3D)."""
    values = [float(v) for v in data]
    return [values[i:i + dims] for i in range(0, len(values) - dims + 1, dims)]


def box(p1: Point, p2: Point) -> tuple[float, float, float, float]:
    x0, x1 = sorted((float(p1[0]), float(p2[0])))
    y0, y1 = sorted((float(p1[1]), float(p2[1])))
    return x0, y0, x1, y1


def ellipse_axes(p1: Point, p2: Point) -> list[list[float]]:
    """The ellipse inscribed in the box p1–p2 as SCOORD ELLIPSE wants it: the major axis' two ends, then the minor
    axis' (PS3.3 C.18.6.1.2); horizontal first when the two are equal (a circle)."""
    x0, y0, x1, y1 = box(p1, p2)
    cx, cy = (x0 + x1) / 2.0, (y0 + y1) / 2.0
    horizontal = [[x0, cy], [x1, cy]]
    vertical = [[cx, y0], [cx, y1]]
    return horizontal + vertical if (x1 - x0) >= (y1 - y0) else vertical + horizontal


def rectangle_outline(p1: Point, p2: Point) -> list[list[float]]:
    """The box p1–p2 as a closed POLYLINE: four corners clockwise from the top-left, and the first again
    (PS3.3 C.18.6.1.2: a closed polyline's last point equals its first)."""
    x0, y0, x1, y1 = box(p1, p2)
    return [[x0, y0], [x1, y0], [x1, y1], [x0, y1], [x0, y0]]


def _near(a, b, tol: float) -> bool:
    return all(abs(u - v) <= tol for u, v in zip(a, b))


def _tol(points) -> float:
    span = max((abs(v) for p in points for v in p), default=1.0)
    return 1e-6 * max(1.0, span)


def axis_aligned_box(points) -> list[list[float]] | None:
    """The two corners (top-left, bottom-right) of an axis-aligned rectangle given as 4 corners, closed or not;
    None for anything else."""
    pts = [list(map(float, p)) for p in points]
    tol = _tol(pts)
    if len(pts) == 5 and _near(pts[0], pts[4], tol):
        pts = pts[:4]
    if len(pts) != 4:
        return None
    for i in range(4):
        a, b = pts[i], pts[(i + 1) % 4]
        if abs(a[0] - b[0]) > tol and abs(a[1] - b[1]) > tol:
            return None  # a side that is neither horizontal nor vertical
    xs, ys = sorted({round(p[0], 9) for p in pts}), sorted({round(p[1], 9) for p in pts})
    if len(xs) != 2 or len(ys) != 2:
        return None
    return [[min(p[0] for p in pts), min(p[1] for p in pts)], [max(p[0] for p in pts), max(p[1] for p in pts)]]


def ellipse_box(points) -> list[list[float]] | None:
    """The bounding box (top-left, bottom-right) of an SCOORD ELLIPSE whose axes are horizontal and vertical —
    the only ellipses the viewer's tool draws; None for a rotated one."""
    if len(points) != 4:
        return None
    (a, b), (c, d) = points[:2], points[2:]
    tol = _tol(points)
    axes = []
    for p, q in ((a, b), (c, d)):
        if abs(p[1] - q[1]) <= tol:
            axes.append("h")
        elif abs(p[0] - q[0]) <= tol:
            axes.append("v")
        else:
            return None
    if sorted(axes) != ["h", "v"]:
        return None
    h = (a, b) if axes[0] == "h" else (c, d)
    v = (c, d) if axes[0] == "h" else (a, b)
    return [[min(h[0][0], h[1][0]), min(v[0][1], v[1][1])], [max(h[0][0], h[1][0]), max(v[0][1], v[1][1])]]


def circle_box(points) -> list[list[float]] | None:
    """SCOORD CIRCLE (centre, a point on the circle) → the bounding box of the ellipse tool."""
    if len(points) != 2:
        return None
    (cx, cy), (px, py) = points
    r = math.hypot(px - cx, py - cy)
    return [[cx - r, cy - r], [cx + r, cy + r]]


def is_closed(points) -> bool:
    return len(points) > 2 and _near(points[0], points[-1], _tol(points))


def to_patient(plane: dict, points) -> list[list[float]]:
    """Image points of a reformatted plane → patient points (mm, LPS), pixels counted as above:
    origin is the patient point of the centre of pixel (0, 0), ``row`` the direction of increasing column,
    ``col`` of increasing row, ``spacing`` (between rows, between columns) — as view/mpr.py gives them."""
    o, r, c = plane["origin"], plane["row"], plane["col"]
    dr, dc = plane["spacing"]
    out = []
    for x, y in points:
        u, v = (float(x) - 0.5) * dc, (float(y) - 0.5) * dr
        out.append([o[i] + u * r[i] + v * c[i] + 0.0 for i in range(3)])
    return out
