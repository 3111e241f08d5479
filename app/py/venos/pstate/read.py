"""A Grayscale Softcopy Presentation State (PS3.3 A.33.1) → plain, JSON-able values the viewer applies.

Frames are 1-based Referenced Frame Numbers as the standard writes them (None = every frame); the viewer's
0-based frame index is ``frame - 1``. Coordinates are VeNOS image coordinates (see graphics.py, settings.py).
"""
from __future__ import annotations

from ..errors import VenosError
from . import settings as S
from .graphics import annotations, layers
from .refs import Cells, applicability, referenced_images
from .values import Notes, code, codes, get, items, person, plain, uid

GSPS = "1.2.840.10008.5.1.4.1.1.11.1"
OTHER_PR = {
    "1.2.840.10008.5.1.4.1.1.11.2": "Color Softcopy Presentation State",
    "1.2.840.10008.5.1.4.1.1.11.3": "Pseudo-Color Softcopy Presentation State",
    "1.2.840.10008.5.1.4.1.1.11.4": "Blending Softcopy Presentation State",
    "1.2.840.10008.5.1.4.1.1.11.5": "XA/XRF Grayscale Softcopy Presentation State",
    "1.2.840.10008.5.1.4.1.1.11.6": "Grayscale Planar MPR Volumetric Presentation State",
    "1.2.840.10008.5.1.4.1.1.11.7": "Compositing Planar MPR Volumetric Presentation State",
    "1.2.840.10008.5.1.4.1.1.11.8": "Advanced Blending Presentation State",
    "1.2.840.10008.5.1.4.1.1.11.9": "Volume Rendering Volumetric Presentation State",
    "1.2.840.10008.5.1.4.1.1.11.10": "Segmented Volume Rendering Volumetric Presentation State",
    "1.2.840.10008.5.1.4.1.1.11.11": "Multiple Volume Rendering Volumetric Presentation State",
    "1.2.840.10008.5.1.4.1.1.11.12": "Variable Modality LUT Softcopy Presentation State",
}


def not_handled_reason(ds) -> str:
    """"" for a Grayscale Softcopy Presentation State; else one plain sentence saying why it is not read."""
    cls = uid(get(ds, "SOPClassUID"))
    if cls == GSPS:
        modality = code(ds, "Modality")
        return "" if modality in ("", "PR") else (
            f"SOP Class is Grayscale Softcopy Presentation State but Modality is {modality!r}, not PR")
    if cls in OTHER_PR:
        return f"a {OTHER_PR[cls]} ({cls}): only Grayscale Softcopy Presentation States are read"
    if code(ds, "Modality") == "PR":
        return f"Modality PR but SOP Class {cls or 'missing'}: not a Grayscale Softcopy Presentation State"
    return f"not a presentation state (SOP Class {cls or 'missing'}, Modality {code(ds, 'Modality') or 'missing'})"


def is_presentation_state(ds) -> bool:
    """True for a Grayscale Softcopy Presentation State (SOP Class 1.2.840.10008.5.1.4.1.1.11.1, Modality PR)."""
    return not not_handled_reason(ds)


def read_presentation_state(ds) -> dict:
    """Everything a GSPS sets, as plain values (module docstring of ``venos.pstate``). Raises VenosError only when
    ``ds`` is not a GSPS; anything malformed or not represented is said in ``unsupported``."""
    why = not_handled_reason(ds)
    if why:
        raise VenosError(f"cannot read as a presentation state: {why}")
    notes = Notes()
    images = referenced_images(ds, notes)
    if not images:
        notes.add("the presentation state references no image (Referenced Series Sequence is empty or unreadable)")
    vois = items(ds, "SoftcopyVOILUTSequence", notes, "Softcopy VOI LUT")
    areas = items(ds, "DisplayedAreaSelectionSequence", notes, "Displayed Area Selection")
    anns = items(ds, "GraphicAnnotationSequence", notes, "Graphic Annotation")
    voi_apps = [applicability(it, notes, f"Softcopy VOI LUT item {i + 1}") for i, it in enumerate(vois)]
    area_apps = [applicability(it, notes, f"displayed area {i + 1}") for i, it in enumerate(areas)]
    ann_apps = [applicability(it, notes, f"graphic annotation {i + 1}") for i, it in enumerate(anns)]
    cells = Cells(images, voi_apps + area_apps + ann_apps, notes)

    windows = [S.window(it, notes, f"Softcopy VOI LUT item {i + 1}") for i, it in enumerate(vois)]
    area_vals = [S.displayed_area(it, notes, f"displayed area {i + 1}") for i, it in enumerate(areas)]
    voi_of = _first_match(cells, voi_apps, notes, "Softcopy VOI LUT")
    area_of = _first_match(cells, area_apps, notes, "displayed area")
    if images and not areas:
        notes.add("no Displayed Area Selection (required, PS3.3 C.10.4): the whole image is displayed")

    spatial = S.spatial(ds, notes)
    common = {"modalityLut": S.modality_lut(ds, notes), "presentationLut": S.presentation_lut(ds, notes),
              "rotation": spatial["rotation"], "flip": spatial["flip"], "view": spatial["view"],
              "shutters": S.shutters(ds, notes)}
    groups: dict[tuple, list[int]] = {}
    for i in range(len(cells.cells)):
        groups.setdefault((voi_of[i], area_of[i]), []).append(i)
    applies = []
    for (v, a), idx in groups.items():
        applies.append({"images": None if len(groups) == 1 else [cells.ref(i) for i in idx],
                        "window": windows[v] if v is not None else None,
                        "displayedArea": area_vals[a] if a is not None else None, **common})

    def area_for(i: int):
        a = area_of[i]
        return a, (area_vals[a]["area"] if a is not None and area_vals[a] else None)

    layer_map = layers(ds, notes)
    graphics = annotations(ds, notes, cells=cells, apps=ann_apps, area_of=area_for, spatial=spatial,
                           layer_map=layer_map)
    _unsupported_modules(ds, notes)
    return {"label": plain(get(ds, "ContentLabel"), limit=64), "description": plain(get(ds, "ContentDescription"),
                                                                                    limit=64),
            "creator": person(get(ds, "ContentCreatorName")), "uid": uid(get(ds, "SOPInstanceUID")),
            "images": images, "applies": applies, "layers": sorted(
                layer_map.values(), key=lambda l: (l["order"] is None, l["order"] or 0)),
            "graphics": graphics, "unsupported": notes.result()}


def _first_match(cells: Cells, apps: list, notes: Notes, what: str) -> list[int | None]:
    """For each cell, the index of the first item that applies to it (PS3.3 allows one; more are said)."""
    chosen: list[int | None] = [None] * len(cells.cells)
    for k, app in enumerate(apps):
        for i in cells.matching(app, f"{what} item {k + 1}"):
            if chosen[i] is None:
                chosen[i] = k
            elif chosen[i] != k:
                notes.add(f"more than one {what} item applies to image {cells.cells[i][0]}: the first is used")
    return chosen


def _unsupported_modules(ds, notes: Notes) -> None:
    try:
        tags = [int(t) for t in ds.keys()]
    except Exception:
        tags = []
    groups = {t >> 16 for t in tags if 0x6000 <= t >> 16 <= 0x601E and not (t >> 16) % 2}
    for g in sorted(groups):
        if g << 16 | 0x1001 in tags:
            notes.add(f"overlay activation (group {g:04X}, PS3.3 C.11.7) is not applied: the image's overlays show "
                      "as the viewer's overlay setting says")
        if g << 16 | 0x3000 in tags:
            notes.add(f"the presentation state's own overlay plane (group {g:04X}) is not shown")
    if get(ds, "ShutterOverlayGroup") is not None and "BITMAP" not in codes(ds, "ShutterShape"):
        notes.add("bitmap display shutter (Shutter Overlay Group, PS3.3 C.7.6.15) is not applied")
    if get(ds, "MaskSubtractionSequence") is not None:
        notes.add("mask subtraction (PS3.3 C.7.6.10) is not applied")
    if get(ds, "GraphicGroupSequence") is not None:
        notes.add("graphic groups (PS3.3 C.10.5.1.5) are not represented: each object is returned on its own")
