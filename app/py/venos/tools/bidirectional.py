"""Bidirectional measurement: a lesion's longest diameter and the longest diameter perpendicular to it (the two
axes RECIST 1.1 and WHO ask for), in the patient plane.

The user drags the long axis (p1 → p2), then a second line across it (p3 → p4). A hand-drawn second line is never
exactly perpendicular, so it is made so here: perpendicular in millimetres (on non-square pixels a right angle in
pixels is not one in the patient), as long as its component across the long axis, and centred where its own
centre falls on the long axis (kept within the long axis). The corrected points come back, so what the page draws
is what was measured. If the second line ends up the longer, the two are swapped in the values: ``long`` is always
the longer axis.
"""
from __future__ import annotations

import math

from .measure import calibration, no_spacing


def bidirectional(m) -> dict:
    """``{value (the long axis), long, short, units, spacing, note, points}``: points are the long axis' ends and
    the short axis' corrected ends, in image pixels."""
    info = m.info
    p1, p2, p3, p4 = m.points
    cal = calibration(info, m.points)
    row_mm, col_mm = cal[:2] if cal is not None else (1.0, 1.0)
    units = "mm" if cal is not None else "px"
    spacing = cal[2] if cal is not None else no_spacing(info, "measurement")

    def mm(p):  # image pixels (x = column, y = row) → the patient plane
        return (p[0] * col_mm, p[1] * row_mm)

    def px(q):
        return (q[0] / col_mm, q[1] / row_mm)

    a, b, c, d = (mm(p) for p in (p1, p2, p3, p4))
    ux, uy = b[0] - a[0], b[1] - a[1]
    long_ = math.hypot(ux, uy)
    if long_ == 0:
        return {"value": 0.0, "long": 0.0, "short": None, "units": units, "spacing": spacing,
                "note": "the long axis has no length", "points": [list(p1), list(p2), list(p3), list(p4)]}
    ux, uy = ux / long_, uy / long_
    nx, ny = -uy, ux  # the unit normal, in the patient plane
    # the second line's extent across the long axis, and where its centre falls along it
    short = (d[0] - c[0]) * nx + (d[1] - c[1]) * ny
    mid = ((c[0] + d[0]) / 2, (c[1] + d[1]) / 2)
    along = min(max((mid[0] - a[0]) * ux + (mid[1] - a[1]) * uy, 0.0), long_)
    centre = (a[0] + ux * along, a[1] + uy * along)
    q3 = px((centre[0] - nx * short / 2, centre[1] - ny * short / 2))
    q4 = px((centre[0] + nx * short / 2, centre[1] + ny * short / 2))
    short = abs(short)
    note = ""
    if short > long_:
        note = "the second line was the longer: the axes are reported swapped"
    return {"value": max(long_, short), "long": max(long_, short), "short": min(long_, short), "units": units,
            "spacing": spacing, "note": note,
            "points": [list(p1), list(p2), [q3[0], q3[1]], [q4[0], q4[1]]]}
