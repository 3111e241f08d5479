"""What a report is written from: the viewer's measurements and the images they were made on, as plain dicts from
JavaScript (through the API module) turned into small typed records here.

A measurement (one entry of the viewer's list, app/js/annotations.js, plus where its image is)::

    {"kind": "length" | "angle" | "ellipse" | "rectangle" | "bidirectional",
     "points": [[x, y], ...],         # image pixels: x = column, y = row, pixel (c, r) covers [c, c+1) × [r, r+1)
     "result": {...},                 # what api.measure returned: value/units/spacing; mean/sd/min/max/units,
                                      #   area/areaUnits/spacing; long/short/units/spacing
     "sopInstanceUid": "...", "frame": 0,           # the image and its 0-based frame (not for a reformatted plane)
     "plane": "axial", "geometry": {...},           # a reformatted plane: its name, and to save it, its geometry:
                                      #   {origin: centre of pixel (0, 0) in mm, row, col: unit vectors,
                                      #    spacing: [between rows, between columns] mm, frameOfReference: UID}
     "label": "", "trackingUid": "", "finding": {value, scheme, meaning}, "findingSites": [{...}]}

An image (one per referenced SOP Instance)::

    {"sopInstanceUid", "sopClassUid", "seriesInstanceUid", "studyInstanceUid", "frames": 1,
     "pixelSpacing": [row mm, column mm] or None}
"""
from __future__ import annotations

from dataclasses import dataclass, field

from ..errors import VenosError
from .codes import Code

POINTS = {"length": 2, "angle": 3, "ellipse": 2, "rectangle": 2, "bidirectional": 4}


@dataclass(frozen=True)
class ImageRef:
    sop_instance_uid: str
    sop_class_uid: str
    series_instance_uid: str = ""
    study_instance_uid: str = ""
    frames: int = 1
    pixel_spacing: tuple[float, float] | None = None  # (between rows, between columns) mm

    @classmethod
    def from_dict(cls, d: dict) -> "ImageRef":
        uid, cls_uid = str(d.get("sopInstanceUid") or ""), str(d.get("sopClassUid") or "")
        if not uid or not cls_uid:
            raise VenosError(f"an image needs sopInstanceUid and sopClassUid; got {sorted(d)}")
        sp = d.get("pixelSpacing")
        return cls(uid, cls_uid, str(d.get("seriesInstanceUid") or ""), str(d.get("studyInstanceUid") or ""),
                   max(1, int(d.get("frames") or 1)), (float(sp[0]), float(sp[1])) if sp else None)


@dataclass(frozen=True)
class PlaneGeometry:
    origin: tuple[float, float, float]
    row: tuple[float, float, float]
    col: tuple[float, float, float]
    spacing: tuple[float, float]
    frame_of_reference: str

    @classmethod
    def from_dict(cls, d: dict) -> "PlaneGeometry":
        try:
            vec = {k: tuple(float(v) for v in d[k]) for k in ("origin", "row", "col")}
            spacing = (float(d["spacing"][0]), float(d["spacing"][1]))
        except (KeyError, TypeError, ValueError, IndexError) as exc:
            raise VenosError(f"a plane's geometry needs origin, row, col (3 numbers each) and spacing (2): {exc}")
        if any(len(v) != 3 for v in vec.values()):
            raise VenosError("a plane's origin, row and col have 3 coordinates each")
        return cls(vec["origin"], vec["row"], vec["col"], spacing, str(d.get("frameOfReference") or ""))

    def as_dict(self) -> dict:
        return {"origin": self.origin, "row": self.row, "col": self.col, "spacing": self.spacing}


@dataclass(frozen=True)
class MeasurementIn:
    kind: str
    points: tuple[tuple[float, float], ...]
    result: dict
    sop_instance_uid: str = ""
    frame: int = 0
    plane: str = ""
    geometry: PlaneGeometry | None = None
    label: str = ""
    tracking_uid: str = ""
    finding: Code | None = None
    finding_sites: tuple[Code, ...] = field(default_factory=tuple)

    @classmethod
    def from_dict(cls, d: dict) -> "MeasurementIn":
        kind = str(d.get("kind") or "")
        if kind not in POINTS:
            raise VenosError(f"kind {kind!r} has no place in a measurement report (saved: {', '.join(POINTS)})")
        try:
            pts = tuple((float(p[0]), float(p[1])) for p in d.get("points") or ())
        except (TypeError, ValueError, IndexError):
            raise VenosError(f"the points of a {kind} are [x, y] pairs of numbers")
        if len(pts) != POINTS[kind]:
            raise VenosError(f"a {kind} has {POINTS[kind]} points, {len(pts)} given")
        geometry = d.get("geometry")
        return cls(kind, pts, dict(d.get("result") or {}), str(d.get("sopInstanceUid") or ""),
                   int(d.get("frame") or 0), str(d.get("plane") or ""),
                   PlaneGeometry.from_dict(geometry) if geometry else None, str(d.get("label") or ""),
                   str(d.get("trackingUid") or ""), _code(d.get("finding")),
                   tuple(c for c in (_code(s) for s in d.get("findingSites") or ()) if c is not None))


def _code(d) -> Code | None:
    if not d:
        return None
    if isinstance(d, Code):
        return d
    try:
        return Code(str(d["value"]), str(d["scheme"]), str(d.get("meaning") or d["value"]))
    except (KeyError, TypeError):
        raise VenosError(f"a code is {{value, scheme, meaning}}; got {d!r}")
