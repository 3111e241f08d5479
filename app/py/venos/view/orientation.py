"""Patient orientation letters for the four edges of the image (PS3.3 C.7.6.2.1.1 and C.7.6.1.1.1).

The patient coordinate system is LPS: +x towards the patient's Left, +y Posterior, +z Head. The right edge of the
image lies in the direction of the row cosines (columns increase), the bottom edge in the direction of the column
cosines (rows increase), both from Image Orientation (Patient). A direction gets one letter per axis it leans
along, the largest component first, so an oblique plane reads e.g. "PF" (as Patient Orientation itself writes
oblique directions). Without Image Orientation (Patient), projection images give their directions in Patient
Orientation (0020,0020) ("A\\F": rows run anterior, columns run to the feet). No direction known: no letters.
"""
from __future__ import annotations

from collections.abc import Sequence

_AXES = (("L", "R"), ("P", "A"), ("H", "F"))
_OPPOSITE = {"L": "R", "R": "L", "A": "P", "P": "A", "H": "F", "F": "H"}
TOLERANCE = 1e-4  # components smaller than this are rounding noise, not obliquity


def direction_letters(v: Sequence[float]) -> str:
    """Letters for a direction in LPS, most significant axis first: (1, 0, 0) → "L", (0, .95, -.32) → "PF"."""
    order = sorted(range(3), key=lambda i: -abs(v[i]))
    return "".join(_AXES[i][0 if v[i] > 0 else 1] for i in order if abs(v[i]) > TOLERANCE)


def opposite(letters: str) -> str:
    return "".join(_OPPOSITE.get(c, "") for c in letters)


def edge_labels(orientation: Sequence[float] | None, patient_orientation: Sequence[str] = ()) -> dict | None:
    """``{"left", "right", "top", "bottom"}`` letters for the image as stored (no flip or rotation), or None."""
    if orientation is not None and len(orientation) == 6:
        row, col = orientation[:3], orientation[3:]
        right, bottom = direction_letters(row), direction_letters(col)
        if right and bottom:
            return {"right": right, "left": direction_letters([-x for x in row]),
                    "bottom": bottom, "top": direction_letters([-x for x in col])}
    if len(patient_orientation) == 2 and all(patient_orientation):
        right, bottom = (str(p).strip().upper() for p in patient_orientation)
        if all(c in _OPPOSITE for c in right + bottom):
            return {"right": right, "left": opposite(right), "bottom": bottom, "top": opposite(bottom)}
    return None
