"""Graphic annotations and layers (PS3.3 C.10.5 Graphic Annotation, C.10.7 Graphic Layer) → drawable records.

Coordinates: PIXEL units put 0.0\\0.0 at the top-left corner of the top-left pixel and Columns\\Rows at the
bottom-right corner of the last (C.10.5.1.2), column first: exactly VeNOS image coordinates (pixel (c, r) covers
[c, c+1) × [r, r+1)), so they are returned as stored. DISPLAY units are fractions of the displayed area as shown,
i.e. after the flip and rotation (C.10.4, C.10.6): they are mapped back through the rotation and flip onto the
displayed area that applies to each image, so every record is in image coordinates and the viewer draws all of
them the same way. Where no displayed area is known they stay fractions, marked ``units: "display"``.
"""
from __future__ import annotations

from .colour import cielab_css, grey_css
from .refs import Cells, Ref, as_json
from .values import MAX_OBJECTS, MAX_POINTS, Notes, code, floats_un, get, integer, items, numbers, plain

KINDS = {"POINT": ("point", 1, 1), "POLYLINE": ("polyline", 1, None), "INTERPOLATED": ("interpolated", 2, None),
         "CIRCLE": ("circle", 2, 2), "ELLIPSE": ("ellipse", 4, 4)}
UNITS = ("PIXEL", "DISPLAY")


def layers(ds, notes: Notes) -> dict[str, dict]:
    """Graphic Layer Sequence → {name: {name, order, color, description}}; ``color`` is "#rrggbb" from the
    recommended CIELab value, else from the grayscale value, else None."""
    out: dict[str, dict] = {}
    for it in items(ds, "GraphicLayerSequence", notes, "Graphic Layer Sequence"):
        name = plain(get(it, "GraphicLayer"), limit=64)
        if not name or name in out:
            notes.add(f"graphic layer {name!r}: missing or defined twice: the later one is ignored")
            continue
        lab = numbers(it, "GraphicLayerRecommendedDisplayCIELabValue", count=3)
        grey = integer(it, "GraphicLayerRecommendedDisplayGrayscaleValue")
        colour = cielab_css(lab) if lab else (grey_css(grey) if grey is not None else None)
        out[name] = {"name": name, "order": integer(it, "GraphicLayerOrder"), "color": colour,
                     "description": plain(get(it, "GraphicLayerDescription"), limit=64)}
    return out


def from_display(points, area, rotation: int, flip: bool) -> list[list[float]]:
    """Fractions of the displayed area as shown → image coordinates: undo the clockwise quarter turns, then the
    flip (the standard flips first, PS3.3 C.10.6), then scale onto ``area`` = [x0, y0, x1, y1]."""
    x0, y0, x1, y1 = area
    out = []
    for a, b in points:
        for _ in range(rotation // 90):
            a, b = b, 1.0 - a  # a quarter turn clockwise maps (u, v) to (1 − v, u)
        if flip:
            a = 1.0 - a
        out.append([x0 + a * (x1 - x0), y0 + b * (y1 - y0)])
    return out


def _pairs(values) -> list[list[float]]:
    return [[values[i], values[i + 1]] for i in range(0, len(values) - 1, 2)]


def _graphic(g, notes: Notes, what: str) -> dict | None:
    kind = code(g, "GraphicType")
    units = code(g, "GraphicAnnotationUnits")
    if kind not in KINDS:
        notes.add(f"{what}: Graphic Type {kind or 'missing'!r} is not POINT, POLYLINE, INTERPOLATED, CIRCLE or "
                  "ELLIPSE: not shown")
        return None
    if units not in UNITS:
        notes.add(f"{what}: Graphic Annotation Units {units or 'missing'!r} (only PIXEL and DISPLAY are read): "
                  "not shown")
        return None
    raw = get(g, "GraphicData")
    try:
        count = len(raw) // (8 if isinstance(raw, bytes) else 2) if not isinstance(raw, (str, float, int)) else 1
    except TypeError:
        count = 0
    if count > MAX_POINTS - notes.points:
        notes.add(f"more than {MAX_POINTS} graphic points in all: the graphics beyond are not shown")
        return None
    data = floats_un(g, "GraphicData", limit=2 * MAX_POINTS)
    name, least, most = KINDS[kind]
    if data is None or len(data) % 2 or len(data) // 2 < least or (most and len(data) // 2 != most):
        notes.add(f"{what}: {kind} Graphic Data malformed or of the wrong length "
                  f"({0 if data is None else len(data)} values): not shown")
        return None
    pts = _pairs(data)
    stated = integer(g, "NumberOfGraphicPoints")
    if stated is not None and stated != len(pts):
        notes.add(f"{what}: Number of Graphic Points {stated} but {len(pts)} points given: the points are used")
    closed = kind in ("CIRCLE", "ELLIPSE") or (len(pts) > 2 and pts[0] == pts[-1])
    return {"kind": name, "coords": {"points": (units, pts)}, "filled": code(g, "GraphicFilled") == "Y",
            "closed": closed}


def _text(t, notes: Notes, what: str) -> dict | None:
    text = plain(get(t, "UnformattedTextValue"))
    coords = {}
    tl, br = numbers(t, "BoundingBoxTopLeftHandCorner", count=2), numbers(t, "BoundingBoxBottomRightHandCorner",
                                                                             count=2)
    if tl and br:
        u = code(t, "BoundingBoxAnnotationUnits")
        if u in UNITS:
            coords["box"] = (u, [tl, br])
        else:
            notes.add(f"{what}: Bounding Box Annotation Units {u or 'missing'!r}: the box is not used")
    anchor = numbers(t, "AnchorPoint", count=2)
    if anchor:
        u = code(t, "AnchorPointAnnotationUnits")
        if u in UNITS:
            coords["anchor"] = (u, [anchor])
        else:
            notes.add(f"{what}: Anchor Point Annotation Units {u or 'missing'!r}: the anchor is not used")
    if not coords:
        notes.add(f"{what}: text {text[:40]!r} has no usable bounding box or anchor point: not shown")
        return None
    return {"kind": "text", "coords": coords, "text": text, "anchorVisible": code(t, "AnchorPointVisibility") == "Y",
            "justify": code(t, "BoundingBoxTextHorizontalJustification") or "LEFT"}


def _place(spec: dict, area, spatial: dict) -> dict | None:
    """The spec's coordinates in image coordinates (``area`` None: DISPLAY parts stay fractions)."""
    out, display = {}, False
    for key, (units, pts) in spec["coords"].items():
        if units == "DISPLAY" and area is not None:
            pts = from_display(pts, area, spatial["rotation"], spatial["flip"])
        display = display or (units == "DISPLAY" and area is None)
        out[key] = pts
    rec = {k: v for k, v in spec.items() if k != "coords"}
    rec["units"] = "display" if display else "pixel"
    if spec["kind"] == "text":
        box = out.get("box")
        rec["box"] = [min(box[0][0], box[1][0]), min(box[0][1], box[1][1]),
                      max(box[0][0], box[1][0]), max(box[0][1], box[1][1])] if box else None
        rec["anchor"] = out["anchor"][0] if "anchor" in out else None
        rec["points"] = [rec["box"][:2], rec["box"][2:]] if box else [rec["anchor"]]
        rec.update(filled=False, closed=False)
    else:
        rec["points"] = out["points"]
        rec["text"] = ""
    return rec


def annotations(ds, notes: Notes, *, cells: Cells, apps: list, area_of, spatial: dict, layer_map: dict) -> list:
    """Graphic Annotation Sequence → records ``{kind, points, filled, closed, text, layer, layerColor, units,
    images}`` (+ ``box``, ``anchor``, ``anchorVisible``, ``justify`` for text). ``apps`` holds each item's
    applicability; ``area_of(cell)`` gives (key, displayed area [x0, y0, x1, y1] or None) of a cell."""
    out: list[dict] = []
    styles, parsed = False, 0
    for n, (ann, app) in enumerate(zip(items(ds, "GraphicAnnotationSequence", notes, "Graphic Annotation"), apps)):
        what = f"graphic annotation {n + 1}"
        layer = plain(get(ann, "GraphicLayer"), limit=64)
        if layer not in layer_map:
            notes.add(f"{what}: graphic layer {layer!r} is not defined in the Graphic Layer Sequence")
        info = layer_map.get(layer, {})
        if get(ann, "CompoundGraphicSequence") is not None:
            notes.add(f"{what}: compound graphics (rulers, arrows, axes … PS3.3 C.10.5.1.4) are not shown")
        room = min(MAX_OBJECTS - notes.objects, 2 * MAX_OBJECTS - parsed)  # malformed objects cost time too
        if room <= 0:
            notes.add(f"more than {MAX_OBJECTS} graphic objects in all: the rest are not shown")
            break
        specs = []
        for k, g in enumerate(items(ann, "GraphicObjectSequence", notes, what)[:room]):
            styles = styles or any(get(g, kw) is not None for kw in ("LineStyleSequence", "FillStyleSequence"))
            specs.append(_graphic(g, notes, f"{what}, graphic {k + 1}"))
        for k, t in enumerate(items(ann, "TextObjectSequence", notes, what)[:room]):
            styles = styles or get(t, "TextStyleSequence") is not None
            specs.append(_text(t, notes, f"{what}, text {k + 1}"))
        parsed += len(specs)
        groups = None
        for spec in specs:
            if spec is None:
                continue
            if any(u == "DISPLAY" for u, _ in spec["coords"].values()):
                if groups is None:
                    groups = _groups(cells, app, area_of, what)
                placed = [(_place(spec, area, spatial), refs) for area, refs in groups]
            else:
                placed = [(_place(spec, None, spatial), as_json(app))]
            for rec, refs in placed:
                size = len(rec["points"])
                if notes.objects >= MAX_OBJECTS:
                    notes.add(f"more than {MAX_OBJECTS} graphic objects in all: the rest are not shown")
                    break
                if notes.points + size > MAX_POINTS:
                    notes.add(f"more than {MAX_POINTS} graphic points in all: the graphics beyond are not shown")
                    continue
                notes.objects += 1
                if rec["units"] == "display":
                    notes.add(f"{what}: DISPLAY coordinates with no displayed area for its images: returned as "
                              "fractions of the displayed area (units \"display\")")
                notes.points += size
                rec.update(layer=layer, layerColor=info.get("color"), layerOrder=info.get("order"), images=refs)
                out.append(rec)
    if styles:
        notes.add("line, fill and text styles (PS3.3 C.10.5.1.3) are not represented: the layer colour is given")
    return out


def _groups(cells: Cells, app: list[Ref] | None, area_of, what: str) -> list[tuple]:
    """The annotation's images split by the displayed area that applies: [(area or None, images)]."""
    hit = cells.matching(app, what)
    by: dict = {}
    for i in hit:
        key, area = area_of(i)
        by.setdefault(key, (area, []))[1].append(i)
    if not by:  # it applies to no referenced image: nothing to place its DISPLAY coordinates on
        return [(None, as_json(app))]
    if len(by) == 1:
        area, _ = next(iter(by.values()))
        return [(area, as_json(app))]
    return [(area, [cells.ref(i) for i in idx]) for area, idx in by.values()]
