"""Measurement reports (DICOM SR, PS3.16 TID 1500) in the session: a loaded report is kept and its measurements
are resolved against the images loaded (they may arrive before or after it) for the measurement layer; the layer's
measurements are written back as a report (venos.sr). JavaScript reaches this through api.reports /
api.report_write / export_api."""
from __future__ import annotations

from typing import Any

from .dicom.parse import Parsed
from .errors import VenosError
from .model.series import Instance
from .session import resolve, session
from .view import mpr

DRAWN = ("length", "angle", "ellipse", "rectangle", "bidirectional")  # the tools that draw a record again

def take(ds: Any, name: str) -> dict | None:
    """Keep ``ds`` if it is a measurement report: ``{source, measurements, unshown}``; None for any other object."""
    from .sr import is_measurement_report, read_measurement_report

    if not is_measurement_report(ds):
        return None
    uid = str(ds.get("SOPInstanceUID", ""))
    if any(r["uid"] == uid for r in session.reports):
        return {"source": name, "measurements": 0, "unshown": [], "duplicate": True}
    records, unshown = read_measurement_report(ds)
    session.reports.append({"uid": uid, "source": name, "records": records, "unshown": unshown})
    return {"source": name, "measurements": len(records), "unshown": unshown}


def loaded_by_sop() -> dict[str, tuple[str, Instance]]:
    """SOP Instance UID → (series id, instance) of every image loaded (what reports and presentation states name)."""
    return {i.info.sop_instance_uid: (s.id, i) for s in session.series for i in s.instances if not i.pending}


def slice_of(series_id: str, inst: Instance, frame: int) -> int | None:
    """The index, in its series' order, of the slice that shows ``frame`` (0-based) of ``inst``."""
    return next((k for k, sl in enumerate(session.series.get(series_id).ordered())
                 if sl.instance is inst and sl.frame == frame), None)


def resolved() -> dict:
    """Every kept report's measurements placed on the images loaded now, as the measurement layer's items
    (``{id, kind, anchor, series, slice, source, frame, points, result, report}``); ``waiting``: how many name an
    image not loaded (yet); ``unshown``: what cannot be drawn, said per measurement."""
    where = loaded_by_sop()
    items, unshown, waiting = [], [], 0
    for rep in session.reports:
        unshown.extend(f"{rep['source']}: {u}" for u in rep["unshown"])
        for n, rec in enumerate(rep["records"]):
            if rec.get("points") is None:
                continue  # in patient coordinates, or no image: already in the report's unshown list
            if rec["kind"] not in DRAWN:
                unshown.append(f"{rep['source']}: measurement {n + 1} is a {rec.get('graphicType') or rec['kind']} "
                               f"({rec.get('label') or 'no label'}): no VeNOS tool draws it")
                continue
            hit = where.get(rec["sopInstanceUid"])
            if hit is None:
                waiting += 1
                continue
            sid, inst = hit
            frame = int(rec.get("frame") or 0)
            idx = slice_of(sid, inst, frame)
            if idx is None:
                unshown.append(f"{rep['source']}: measurement {n + 1} names frame {frame + 1} of "
                               f"{inst.info.source}, which has {inst.info.frames}")
                continue
            items.append({"id": f"{rep['uid']}#{n}", "kind": rec["kind"], "anchor": f"{inst.key}:{frame}",
                          "series": sid, "slice": idx, "source": inst.info.source, "frame": frame,
                          "points": rec["points"], "result": {**rec["result"], "anchor": f"{inst.key}:{frame}"},
                          "report": rep["source"], "label": rec.get("label") or ""})
    return {"items": items, "waiting": waiting, "unshown": unshown, "reports": len(session.reports)}


def locate(refs: list) -> list:
    """``[{sop, frame}]`` → ``{series, slice, source}`` for each image loaded, None for the others."""
    where = loaded_by_sop()
    out = []
    for ref in refs[:1000]:
        hit = where.get(str((ref or {}).get("sop", "")))
        frame = int((ref or {}).get("frame") or 0)
        if hit is None:
            out.append(None)
            continue
        sid, inst = hit
        idx = slice_of(sid, inst, frame)
        out.append(None if idx is None else {"series": sid, "slice": idx, "source": inst.info.source})
    return out


def _image(inst: Instance) -> dict:
    info = inst.info
    return {"sopInstanceUid": info.sop_instance_uid, "sopClassUid": info.sop_class_uid,
            "seriesInstanceUid": info.series_uid, "studyInstanceUid": info.study_uid, "frames": info.frames,
            "pixelSpacing": list(info.pixel_spacing) if info.pixel_spacing else None}


def patient_of(ds: Any) -> dict:
    """The Patient and General Study attributes a report copies from its images (venos.sr.write.PATIENT_STUDY)."""
    from .sr.write import PATIENT_STUDY

    return {k: ds[k].value for k in PATIENT_STUDY if k in ds}


def _patient(inst: Instance) -> dict:
    ds = inst.source.dataset if isinstance(inst.source, Parsed) else None
    return patient_of(ds) if ds is not None else {"StudyInstanceUID": inst.info.study_uid}


def measurements_in(items: Any) -> tuple[list[dict], list[dict], dict, list[str]]:
    """The measurement layer's items → (measurements, images, patient, problems) for venos.sr's writer: an item on
    an acquired image names its SOP Instance; one on a reformatted plane carries the plane's geometry."""
    keys = {i.key: (s, i) for s in session.series for i in s.instances}
    out, images, patient, problems = [], {}, {}, []
    for n, it in enumerate(items or []):
        it = dict(it)
        m = {"kind": it.get("kind"), "points": it.get("points"), "result": dict(it.get("result") or {}),
             "label": it.get("label") or ""}
        try:
            if it.get("plane"):
                st = {"series": it.get("series"), "slice": it.get("slice", 0), "plane": it["plane"],
                      "angle": it.get("angle", 0), "slab": it.get("slab", 0), "slabMode": it.get("slabMode") or "mip"}
                r = resolve(st, need_pixels=False)
                m.update(plane=str(it["plane"]), geometry=mpr.geometry(r.info, r.frame_info))
                inst = session.get_series(str(it.get("series"))).instances[0]
            else:
                key, _, frame = str(it.get("anchor") or "").partition(":")
                hit = keys.get(int(key)) if key.isdigit() else None
                if hit is None:
                    raise VenosError("its image is no longer loaded")
                inst = hit[1]
                m.update(sopInstanceUid=inst.info.sop_instance_uid, frame=int(frame or 0))
                images[inst.info.sop_instance_uid] = _image(inst)
        except VenosError as exc:
            problems.append(f"measurement {n + 1} ({it.get('kind')}): not saved: {exc.message}")
            continue
        patient = patient or _patient(inst)
        out.append(m)
    return out, list(images.values()), patient, problems


def write(items: Any) -> dict:
    """The measurement layer's items as one report file: ``{data, name, saved, notSaved}``."""
    from .deid.files import write as file_bytes
    from .sr import write_measurement_report

    measurements, images, patient, problems = measurements_in(items)
    if not measurements:
        raise VenosError("no measurement to save" + (f": {problems[0]}" if problems else ""))
    rep = write_measurement_report(measurements, images=images, patient=patient)
    return {"data": file_bytes(rep.dataset, "measurements.dcm"), "name": "venos-measurements.dcm",
            "saved": len(rep.saved), "notSaved": problems + rep.not_saved}
