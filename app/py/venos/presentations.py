"""Grayscale Softcopy Presentation States in the session: a loaded one is kept (venos.pstate reads it) and resolved
against the images loaded — per series, the view it asks for (window, inversion, rotation, flip, displayed area)
and its graphic annotations on their slices. JavaScript applies them (app/js/presentations.js)."""
from __future__ import annotations

from typing import Any

from .dicom.parse import Parsed
from .model.series import Instance
from .reports import loaded_by_sop, slice_of
from .session import session

GRAPHIC_KINDS = ("polyline", "interpolated", "point", "circle", "ellipse", "text")


def take(ds: Any, name: str) -> dict | None:
    """Keep ``ds`` if it is a presentation state: ``{source, label, graphics, unsupported}``; None for any other
    object; ``{"refused": reason}`` for a presentation state VeNOS does not apply (colour, blending, …)."""
    from .pstate import is_presentation_state, not_handled_reason, read_presentation_state

    if str(ds.get("Modality", "")) != "PR" and not is_presentation_state(ds):
        return None
    why = not_handled_reason(ds)
    if why:
        return {"refused": why}
    pr = read_presentation_state(ds)
    if not any(p["uid"] == pr["uid"] for p in session.presentations):
        session.presentations.append({**pr, "source": name})
    return {"source": name, "label": pr["label"], "graphics": len(pr["graphics"]), "unsupported": pr["unsupported"]}


def _applies(entry: dict, sop: str, frame: int) -> bool:
    cells = entry.get("images")
    return cells is None or any(c[0] == sop and (c[1] is None or c[1] == frame + 1) for c in cells)


def _view(entry: dict, inst: Instance) -> dict:
    """One settings entry as VeNOS view-state keys for an image (window, invert, rotate, flip) and its area."""
    from .pstate import venos_invert

    out: dict = {"rotate": entry["view"]["rotate"], "flip": entry["view"]["flip"]}
    w = entry.get("window")
    if w and not w.get("lut"):
        out.update(center=w["center"], width=w["width"], voiFunction=w.get("function") or "LINEAR")
    plut = entry.get("presentationLut")
    ds = inst.source.dataset if isinstance(inst.source, Parsed) else None
    own = str(ds.get("PresentationLUTShape", "")) if ds is not None else ""
    out["invert"] = venos_invert(bool(plut and plut.get("inverse")), photometric=inst.info.photometric,
                                 image_shape=own) if plut else False
    area = entry.get("displayedArea")
    if area:
        out["area"] = {"box": area["area"], "sizeMode": area.get("sizeMode") or "SCALE TO FIT",
                       "magnification": area.get("magnification")}
    return out


def resolved() -> dict:
    """Every kept presentation state on the images loaded now: ``{presentations: [{uid, label, description,
    source, views: [{series, slice, ...view keys}], graphics: [...], unsupported, waiting}]}``. ``views`` holds one
    entry per series (the settings of its first referenced image loaded; other images of the series with other
    settings are said in ``unsupported``)."""
    where = loaded_by_sop()
    out = []
    for pr in session.presentations:
        notes = list(pr["unsupported"])
        views: dict[str, dict] = {}
        waiting = 0
        for img in pr["images"]:
            hit = where.get(img["sopInstanceUid"])
            if hit is None:
                waiting += 1
                continue
            sid, inst = hit
            frame = (img["frames"] or [1])[0] - 1
            entry = next((e for e in pr["applies"] if _applies(e, inst.info.sop_instance_uid, frame)), None)
            if entry is None:
                continue
            view = _view(entry, inst)
            if sid not in views:
                views[sid] = {"series": sid, "slice": slice_of(sid, inst, frame) or 0, **view}
            elif {k: v for k, v in views[sid].items() if k not in ("series", "slice")} != view:
                notes.append(f"{inst.info.source}: its own settings differ from the first image of its series; "
                             "the first image's are applied to the whole series")
        graphics = []
        for g in pr["graphics"]:
            if g["kind"] not in GRAPHIC_KINDS or g.get("units") == "display":
                continue  # display units were mapped to pixels by venos.pstate where it could; the rest is noted
            targets = g.get("images") or [[i["sopInstanceUid"], None] for i in pr["images"]]
            for sop, frame in targets:
                hit = where.get(sop)
                if hit is None:
                    continue
                sid, inst = hit
                f = (frame or 1) - 1
                idx = slice_of(sid, inst, f)
                if idx is None:
                    continue
                graphics.append({"kind": g["kind"], "points": g.get("points") or [], "text": g.get("text") or "",
                                 "filled": bool(g.get("filled")), "closed": bool(g.get("closed")),
                                 "color": g.get("layerColor"), "layer": g.get("layer") or "",
                                 "box": g.get("box"), "anchor": g.get("anchor"),
                                 "series": sid, "slice": idx, "source": inst.info.source,
                                 "frame": f, "key": f"{inst.key}:{f}"})
        out.append({"uid": pr["uid"], "label": pr["label"], "description": pr["description"],
                    "source": pr["source"], "views": list(views.values()), "graphics": graphics,
                    "unsupported": notes, "waiting": waiting})
    return {"presentations": out}
