"""A DICOM SR Measurement Report (PS3.16 TID 1500) → the viewer's measurements, from VeNOS or another writer.

Read as the standard allows, not only as we write: groups of TID 1501 (a NUM INFERRED FROM an SCOORD, as dcmjs
and OHIF write) and of TID 1410/1411 (the region as a group-level SCOORD or SCOORD3D, as highdicom writes), any
graphic type, units from the UCUM code. Each SCOORD becomes one record in image pixels exactly as stored (the
viewer and PS3.3 C.18.6.1 count pixels alike, see shapes.py); what cannot be drawn on an image is said in
``unshown``, never dropped without a word.

A record::

    {"kind": "length" | "angle" | "ellipse" | "rectangle" | "bidirectional" | "point" | "annotation",
     "points": [[x, y], ...] or None,     # viewer image pixels; None for patient coordinates
     "graphicType": "POLYLINE", "sopInstanceUid", "sopClassUid", "frame": 0-based,
     "patientPoints": [[x, y, z], ...] or None, "frameOfReference": "" (SCOORD3D, mm),
     "result": {...as api.measure gives it: value/units/spacing, area/areaUnits/mean/sd/min/max/units, long/short},
     "values": [{"name", "code", "scheme", "value", "units", "ucum"}],   # every NUM of the group, as written
     "label", "trackingUid", "finding": {value, scheme, meaning} or None, "findingSites": [...],
     "template": "1501" | "1410" | ..., "comments": [...]}
"""
from __future__ import annotations

import math

from . import codes as C
from .content import SR_CLASSES, children, concept, image_ref, is_code, num_value, template_of, to_code
from .shapes import axis_aligned_box, circle_box, ellipse_box, from_scoord, is_closed
from .write import SPACING_PREFIX


def is_measurement_report(ds) -> bool:
    """An SR document whose root is TID 1500 (Content Template Sequence) or "Imaging Measurement Report"."""
    if str(ds.get("Modality", "")) != "SR" and str(ds.get("SOPClassUID", "")) not in SR_CLASSES:
        return False
    if template_of(ds) == "1500" and str(ds.ContentTemplateSequence[0].get("MappingResource", "DCMR")) == "DCMR":
        return True
    return is_code(concept(ds), C.REPORT)


def read_measurement_report(ds) -> tuple[list[dict], list[str]]:
    """(records, unshown): the measurements to draw, and one plain sentence for each thing that is not drawn."""
    if not is_measurement_report(ds):
        name = concept(ds)
        return [], [f"not a TID 1500 Measurement Report (SOP class {ds.get('SOPClassUID', '?')}, template "
                    f"{template_of(ds) or 'none'}, title {name.meaning if name else 'none'}): nothing is shown"]
    records, unshown = [], []
    n = 0
    for section in children(ds):
        name = concept(section)
        if section.get("ValueType") != "CONTAINER" or is_code(name, C.IMAGE_LIBRARY):
            continue
        if not is_code(name, C.IMAGING_MEASUREMENTS):
            unshown.append(f"the report's section \"{name.meaning if name else '?'}\" is not shown "
                           "(only Imaging Measurements are)")
            continue
        for group in children(section):
            n += 1
            if group.get("ValueType") != "CONTAINER":
                unshown.append(f"item {n} of Imaging Measurements is a {group.get('ValueType')}, not a "
                               "Measurement Group: not shown")
                continue
            got, why = _group(group, n)
            records.extend(got)
            unshown.extend(why)
    return records, unshown


# ------------------------------------------------------------------------------------------------ one group

def _group(group, n: int) -> tuple[list[dict], list[str]]:
    base = {"label": "", "trackingUid": "", "finding": None, "findingSites": [], "template": template_of(group),
            "comments": []}
    spacing, nums, graphics = "", [], []  # graphics: (SCOORD item, index into nums of its NUM or None)
    for it in children(group):
        vt, name = it.get("ValueType"), concept(it)
        if vt == "TEXT" and is_code(name, C.TRACKING_ID):
            base["label"] = str(it.get("TextValue", ""))
        elif vt == "UIDREF" and is_code(name, C.TRACKING_UID):
            base["trackingUid"] = str(it.get("UID", ""))
        elif vt == "CODE" and is_code(name, C.FINDING):
            base["finding"] = _code_dict(it)
        elif vt == "CODE" and is_code(name, C.FINDING_SITE):
            base["findingSites"].append(_code_dict(it))
        elif vt == "TEXT":
            text = str(it.get("TextValue", ""))
            if text.startswith(SPACING_PREFIX):
                spacing = text[len(SPACING_PREFIX):]
            else:
                base["comments"].append(text)
        elif vt == "NUM":
            nums.append(it)
            graphics.extend((g, len(nums) - 1) for g in children(it) if g.get("ValueType") in ("SCOORD", "SCOORD3D"))
        elif vt in ("SCOORD", "SCOORD3D"):
            graphics.append((it, None))
    values = [_value(it) for it in nums]
    what = f"measurement group {n}" + (f" (\"{base['label']}\")" if base["label"] else "")
    if not graphics:
        listed = "; ".join(f"{v['name']} {v['value']:g} {v['units']}".strip() for v in values if v["value"] is not None)
        return [], [f"{what}: no spatial coordinates, so nothing to draw" + (f" (values: {listed})" if listed else "")]
    owned = {i for _, i in graphics if i is not None}
    loose = [i for i in range(len(nums)) if i not in owned]
    bidi = _bidirectional(graphics, values)
    if bidi is not None:
        graphics = [bidi]
    records, unshown = [], []
    for k, (g, owner) in enumerate(graphics):
        mine = [owner] if isinstance(owner, int) else list(owner or ())
        mine += loose if k == 0 else []
        vals = [values[i] for i in mine]
        rec, why = _record(g, vals, base, what, spacing, bidirectional=bidi is not None)
        if rec is not None:
            rec["values"] = vals
            records.append(rec)
        if why:
            unshown.append(why)
    return records, unshown


def _bidirectional(graphics, values):
    """The Long Axis and Short Axis lines of one group as one graphic (owners: both NUMs), or None."""
    axes = {}
    for g, i in graphics:
        if i is not None and values[i]["code"] in (C.LONG_AXIS.value, C.SHORT_AXIS.value) \
                and g.get("GraphicType") == "POLYLINE" and len(g.GraphicData) == (4 if g.ValueType == "SCOORD" else 6):
            axes[values[i]["code"]] = (g, i)
    if len(axes) != 2 or len(graphics) != 2:
        return None
    (lg, li), (sg, si) = axes[C.LONG_AXIS.value], axes[C.SHORT_AXIS.value]
    if lg.ValueType != sg.ValueType:
        return None
    return (_Joined(lg, sg), (li, si))


class _Joined:
    """Two POLYLINE items read as one four-point graphic (a bidirectional's axes)."""

    def __init__(self, a, b):
        self.a, self.ValueType, self.GraphicType = a, a.ValueType, "POLYLINE"
        self.GraphicData = list(a.GraphicData) + list(b.GraphicData)

    def get(self, key, default=None):
        return getattr(self, key, None) or self.a.get(key, default)


def _record(g, vals, base, what, spacing, *, bidirectional) -> tuple[dict | None, str]:
    three_d = g.get("ValueType") == "SCOORD3D"
    gtype = str(g.get("GraphicType", ""))
    pts = from_scoord(g.get("GraphicData") or (), 3 if three_d else 2)
    rec = {"kind": "annotation", "points": None, "graphicType": gtype, "sopInstanceUid": "", "sopClassUid": "",
           "frame": 0, "patientPoints": None, "frameOfReference": "", "result": {}, **base,
           "findingSites": list(base["findingSites"]), "comments": list(base["comments"])}
    codes = {v["code"] for v in vals}
    kind, shown = "annotation", pts
    if bidirectional:
        kind = "bidirectional"
    elif gtype == "POINT" and len(pts) == 1:
        kind = "point"
    elif gtype in ("POLYLINE", "POLYGON"):
        region = base["template"] in ("1410", "1411") or gtype == "POLYGON" or is_closed(pts)
        if region:
            corners = _rectangle(pts, three_d)
            if corners is not None:
                kind, shown = "rectangle", pts if three_d else corners
        elif len(pts) == 2:
            kind = "length"
        elif codes & C.ANGLES and len(pts) == 3:
            kind = "angle"
        elif codes & C.ANGLES and len(pts) == 4 and _same(pts[1], pts[2]):
            kind, shown = "angle", [pts[0], pts[1], pts[3]]  # dcmjs: an angle as a Cobb angle, vertex twice
    elif gtype in ("ELLIPSE", "CIRCLE"):
        corners = pts if three_d else (ellipse_box(pts) if gtype == "ELLIPSE" else circle_box(pts))
        if corners is not None:
            kind, shown = "ellipse", corners
    rec["kind"] = kind
    rec["result"] = _result(kind, vals, spacing)
    if three_d:
        rec.update(patientPoints=pts, frameOfReference=str(g.get("ReferencedFrameOfReferenceUID", "")))
        return rec, (f"{what}: a {kind} in patient coordinates (SCOORD3D {gtype}, Frame of Reference "
                     f"{rec['frameOfReference'] or '?'}): listed, not drawn on an image")
    image = next((c for c in children(g.a if isinstance(g, _Joined) else g) if c.get("ValueType") == "IMAGE"), None)
    ref = image_ref(image) if image is not None else None
    if ref is None or not ref["sopInstanceUid"]:
        return None, f"{what}: its {gtype} names no image it was drawn on (no SELECTED FROM IMAGE): not shown"
    rec.update(points=[list(p) for p in shown], sopInstanceUid=ref["sopInstanceUid"],
               sopClassUid=ref["sopClassUid"], frame=ref["frame"])
    return rec, ""


def _rectangle(pts, three_d: bool):
    if not three_d:
        return axis_aligned_box(pts)
    p = pts[:-1] if len(pts) == 5 and _same(pts[0], pts[-1]) else pts
    if len(p) != 4:
        return None
    for i in range(4):
        a, b, c = p[i - 1], p[i], p[(i + 1) % 4]
        u = [a[k] - b[k] for k in range(3)]
        v = [c[k] - b[k] for k in range(3)]
        nu, nv = math.sqrt(sum(x * x for x in u)), math.sqrt(sum(x * x for x in v))
        if nu == 0 or nv == 0 or abs(sum(x * y for x, y in zip(u, v))) > 1e-6 * nu * nv:
            return None
    return pts


def _same(a, b) -> bool:
    return all(abs(x - y) <= 1e-9 * max(1.0, abs(x), abs(y)) for x, y in zip(a, b))


def _result(kind: str, vals: list[dict], spacing: str) -> dict:
    """The values in the shape api.measure gives them for this kind."""
    by = {v["code"]: v for v in vals if v["value"] is not None}
    out: dict = {"spacing": spacing} if spacing else {}
    if kind == "length":
        v = next((v for v in vals if v["code"] in C.LINEAR and v["value"] is not None), None)
        if v:
            out.update(value=v["value"], units=v["units"])
    elif kind == "angle":
        v = next((v for v in vals if v["code"] in C.ANGLES and v["value"] is not None), None)
        if v:
            out.update(value=v["value"], units=v["units"] or "°")
    elif kind == "bidirectional":
        lo, sh = by.get(C.LONG_AXIS.value), by.get(C.SHORT_AXIS.value)
        out.update(value=lo and lo["value"], long=lo and lo["value"], short=sh and sh["value"],
                   units=(lo or sh or {}).get("units", ""))
    elif kind in ("ellipse", "rectangle"):
        out["shape"] = kind
        if C.AREA.value in by:
            out.update(area=by[C.AREA.value]["value"], areaUnits=by[C.AREA.value]["units"])
        stats = [(C.STATS[c], by[c]) for c in C.STATS if c in by]
        for key, v in stats:
            out[key] = v["value"]
        if stats:
            out["units"] = stats[0][1]["units"]
    return out


def _value(it) -> dict:
    name = concept(it)
    value, units = num_value(it)
    return {"name": name.meaning if name else "", "code": name.value if name else "",
            "scheme": name.scheme if name else "", "value": value, "units": C.units_text(units),
            "ucum": units.value if units is not None and units.scheme == "UCUM" else ""}


def _code_dict(it) -> dict | None:
    seq = it.get("ConceptCodeSequence")
    if not seq:
        return None
    c = to_code(seq[0])
    return {"value": c.value, "scheme": c.scheme, "meaning": c.meaning}
