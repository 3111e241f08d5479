"""Making a case to share (docs/api.md "Share a case"): what is loaded, de-identified in this page if asked
(venos.deid, PS3.15 Annex E), rectangles blacked out on every frame, written as a zip for a static host
(venos.export.case). Nothing leaves the page: the zip comes back to JavaScript, which offers it as a download.

Imported on first use (api.share_survey / api.export_case), so none of it costs anything at start-up.
"""
from __future__ import annotations

import datetime
import io
import json
import math
from typing import Any

import numpy as np
import pydicom

from . import __version__
from .deid.core import deidentify
from .deid.files import read_whole, write
from .deid.options import Context, Options
from .deid.pixels import black_out, burned_in_reasons, set_pixels
from .deid.report import by_study
from .deid.verify import verify
from .dicom.parse import Parsed
from .errors import VenosError
from .export.case import CaseExport, png, zip_case
from .model.series import Instance, Series
from .pixels.codecs import CodecNotLoaded
from .session import session

DEID_MARKS = ("PatientIdentityRemoved", "DeidentificationMethod", "DeidentificationMethodCodeSequence",
              "LongitudinalTemporalInformationModified")
OPTION_NAMES = ("modified_dates", "patient_characteristics", "device_identity", "clean_descriptors")


def _instances(s: Series) -> list[Instance]:
    """The series' files in slice order, each once (a multi-frame file holds many slices)."""
    seen: dict[int, Instance] = {}
    for sl in s.ordered():
        seen.setdefault(sl.instance.key, sl.instance)
    for inst in s.instances:  # pending files are not in the slices yet
        seen.setdefault(inst.key, inst)
    return list(seen.values())


def _series(ids: Any) -> list[Series]:
    if not ids:
        return list(session.series)
    return [session.get_series(str(i)) for i in ids]


def share_survey() -> dict:
    """What the Share dialog says before anything is written: per series, its files, those not yet arrived, whether
    it is DICOM, whether it may carry burned-in text (and why), and whether its pixels are compressed."""
    out = []
    for s in session.series:
        insts = _instances(s)
        parsed = [i for i in insts if isinstance(i.source, Parsed)]
        first = parsed[0].source.dataset if parsed else None
        info = s.first
        ts = str(info.transfer_syntax or "")
        out.append({
            "id": s.id, "description": info.series_description or "", "modality": info.modality or "",
            "files": len(insts), "pending": sum(1 for i in insts if i.pending),
            "notDicom": sum(1 for i in insts if not i.pending and not isinstance(i.source, Parsed)),
            "burnedIn": burned_in_reasons(first) if first is not None else [],
            "transferSyntax": ts, "compressed": bool(ts) and pydicom.uid.UID(ts).is_compressed,
        })
    return {"series": out}


def _options(o: dict) -> Options:
    offset = o.get("dateOffsetDays")
    return Options(**{n: bool(o.get(_camel(n))) for n in OPTION_NAMES},
                   date_offset_days=None if offset in (None, "") else int(offset),
                   patient_name=str(o.get("patientName") or ""), patient_id=str(o.get("patientId") or ""))


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(w.title() for w in rest)


def _rectangles(spec: Any) -> dict[str, list[tuple[float, float, float, float]]]:
    out: dict[str, list] = {}
    for sid, rects in (spec or {}).items():
        for r in rects or []:
            x0, y0, x1, y1 = (float(v) for v in r)
            # pixel (c, r) covers [c, c + 1) × [r, r + 1) (tools.measure): every pixel the rectangle touches goes
            out.setdefault(str(sid), []).append((math.floor(min(x0, x1)), math.floor(min(y0, y1)),
                                                 math.ceil(max(x0, x1)), math.ceil(max(y0, y1))))
    return out


def _frames(inst: Instance) -> np.ndarray:
    """Every decoded frame of a file, stacked (frames × rows × columns [× samples])."""
    got = [session.pixels.get(inst.key, inst.info, inst.source, f).pixels for f in range(inst.info.frames)]
    return np.stack(got) if len(got) > 1 else got[0]


def _ready(series: list[Series], rects: dict) -> None:
    """Decode what will be blacked out before anything is written: a frame whose codec loads, or that decodes in the
    codec worker, raises CodecNotLoaded once every frame was asked for, and the worker calls again."""
    waits: list[CodecNotLoaded] = []
    for s in series:
        if s.id not in rects:
            continue
        for inst in _instances(s):
            if isinstance(inst.source, Parsed):
                for f in range(inst.info.frames):
                    try:
                        session.pixels.get(inst.key, inst.info, inst.source, f)
                    except CodecNotLoaded as exc:
                        waits.append(exc)
    if waits:
        raise waits[0]


def export_case(spec: Any = None) -> dict:
    """The loaded series (``series``: ids, default all) as a zip for a static host: ``{zip, files, skipped,
    problems, report, uncompressed, deidentified, studies}`` (``studies``: the Study Instance UIDs written);
    ``format: "files"`` answers ``parts`` [{name, data}] instead of the zip (for STOW-RS). ``deidentify``: apply the Basic Profile with the options named in camelCase
    (``modifiedDates``, ``patientCharacteristics``, ``deviceIdentity``, ``cleanDescriptors``, ``dateOffsetDays``);
    ``blackout``: {series id: [[x0, y0, x1, y1], …]} in image pixels, set to black on every frame; ``baseUrl``: the
    public address the folder will have (absolute urls in the manifest, for OHIF); ``measurements``: the
    measurement layer's items, added as a DICOM SR Measurement Report on the files written (``measurements`` in the
    answer: ``{saved, notSaved}``); ``title``, ``description``: the case's entry in the library index written
    beside it, ``library``: the index (JSON text or object) of a library to extend with this case (``folder``
    in the answer: the case's folder in the zip)."""
    o = dict(spec or {})
    series = _series(o.get("series"))
    rects = _rectangles(o.get("blackout"))
    _ready(series, rects)
    deid = bool(o.get("deidentify"))
    options, context = (_options(o), Context()) if deid else (None, None)
    case, skipped, problems, uncompressed = CaseExport(), [], [], []
    written: dict[str, Any] = {}  # original SOP Instance UID → the header of the file written for it
    for s in series:
        for inst in _instances(s):
            name = inst.info.source
            if inst.pending:
                skipped.append({"source": name, "reason": inst.error or "its bytes have not arrived yet"})
                continue
            if not isinstance(inst.source, Parsed):
                skipped.append({"source": name, "reason": "a JPEG or PNG picture, not a DICOM file"})
                continue
            try:
                data, note = _one(inst, rects.get(s.id), options, context, problems)
            except VenosError as exc:
                skipped.append({"source": name, "reason": exc.message})
                continue
            if note:
                uncompressed.append({"source": name, "note": note})
            header = pydicom.dcmread(io.BytesIO(data), stop_before_pixels=True)
            written[inst.info.sop_instance_uid] = header
            case.add(header, data)
    if not case.files:
        raise VenosError("nothing to export: " + ("; ".join(f"{x['source']}: {x['reason']}" for x in skipped[:3])
                                                  or "no series is loaded"))
    saved = _measurements(case, o.get("measurements"), written, options, context) if o.get("measurements") else None
    report = _report(context, options) if deid else None
    out = {"measurements": saved, "files": len(case.files), "skipped": skipped, "problems": problems, "report": report,
           "uncompressed": uncompressed, "deidentified": deid, "studies": list(case.studies())}
    if o.get("format") == "files":  # for STOW-RS: each file's bytes, no zip
        return {**out, "parts": [{"name": f.path, "data": f.data} for f in case.files]}
    if report is not None:  # the zip's copy never holds the date shift: with it, the real dates come back
        case.extra["deidentification-report.json"] = json.dumps(
            {k: v for k, v in report.items() if k != "dateOffsetDays"}, indent=1).encode()
    when = datetime.datetime.now().strftime("%Y-%m-%d %H:%M")
    zipped, folder = zip_case(case, title=str(o.get("title") or "Teaching case"),
                              description=str(o.get("description") or ""), library=o.get("library"),
                              thumbnail=_thumbnail(series, rects), base_url=str(o.get("baseUrl") or ""),
                              version=__version__, when=when, deidentified=deid)
    return {**out, "zip": zipped, "folder": folder}


def _one(inst: Instance, rects, options, context, problems: list) -> tuple[bytes, str]:
    """One file's bytes for the case, and a note when its pixels were rewritten uncompressed."""
    blob = inst.source.blob
    original = blob.read(0, blob.size)
    ds = read_whole(original, inst.info.source)
    note = ""
    if rects:
        frames = _frames(inst)
        pi = str(ds.get("PhotometricInterpretation", "MONOCHROME2"))
        if pi.startswith("YBR") and frames.ndim >= 3 and frames.shape[-1] == 3:
            pi = "RGB"  # the decoded frames are RGB (set_pixels writes them so)
        was = str(ds.file_meta.get("TransferSyntaxUID", ""))
        set_pixels(ds, black_out(frames, rects, photometric=pi), text_removed=True)
        note = (f"blacked out {len(rects)} region(s) on every frame"
                + (f"; rewritten as Explicit VR Little Endian, uncompressed (was {pydicom.uid.UID(was).name})"
                   if was and was != pydicom.uid.ExplicitVRLittleEndian else ""))
    if options is not None:
        deidentify(ds, options=options, context=context, name=inst.info.source)
    data = write(ds, inst.info.source)
    if options is not None:
        for p in verify(original, data, options):
            problems.append({"source": inst.info.source, "problem": p})
    return data, note


def _report(context: Context, options: Options) -> dict:
    studies = by_study(context.reports)
    return {"profile": "DICOM PS3.15 Annex E Basic Application Level Confidentiality Profile",
            "options": sorted(options.enabled), "dateOffsetDays": context.date_offset(options)
            if options.modified_dates else None,
            "studies": {study: rep.to_dict() for study, rep in studies.items()}}


def _measurements(case: CaseExport, items: Any, written: dict, options, context) -> dict:
    """The measurements as a report on the files as written: references, patient and study follow the
    de-identified files (the report's own content is only the numbers, shapes, units and spacing sources)."""
    from .reports import measurements_in
    from .sr import write_measurement_report

    measurements, images, _patient, problems = measurements_in(items)
    kept = []
    for m in measurements:
        if m.get("plane"):
            geometry = m.get("geometry") or {}
            if not geometry.get("frameOfReference"):
                problems.append(f"a {m['kind']} on a reformatted plane with no geometry or Frame of Reference: not saved")
                continue
            if options is not None:  # the plane's Frame of Reference is remapped like every UID
                m["geometry"] = {**geometry, "frameOfReference": context.uid(geometry["frameOfReference"])}
            kept.append(m)
            continue
        h = written.get(m["sopInstanceUid"])
        if h is None:
            problems.append(f"a {m['kind']} on {m['sopInstanceUid']}: its image is not in the case, not saved")
            continue
        kept.append({**m, "sopInstanceUid": str(h.SOPInstanceUID)})
    headers = {str(h.SOPInstanceUID): h for h in written.values()}
    refs = [{"sopInstanceUid": str(h.SOPInstanceUID), "sopClassUid": str(h.SOPClassUID),
             "seriesInstanceUid": str(h.SeriesInstanceUID), "studyInstanceUid": str(h.StudyInstanceUID),
             "frames": int(h.get("NumberOfFrames", 1) or 1),
             "pixelSpacing": [float(v) for v in h.PixelSpacing] if "PixelSpacing" in h else None}
            for uid, h in headers.items() if any(k.get("sopInstanceUid") == uid for k in kept)]
    if not kept:
        return {"saved": 0, "notSaved": problems}
    first = headers.get(next((k["sopInstanceUid"] for k in kept if k.get("sopInstanceUid")), ""),
                        next(iter(written.values())))
    from .reports import patient_of

    patient = patient_of(first)
    when = datetime.datetime.now()
    if options is not None and options.modified_dates:  # the report's date moves with the others
        when += datetime.timedelta(days=context.date_offset(options))
    rep = write_measurement_report(kept, images=refs, patient=patient, content_datetime=when)
    for k in DEID_MARKS:  # the report is as de-identified as the files it points to, and says so
        if k in first:
            rep.dataset[k] = first[k]
    data = write(rep.dataset, "measurements.dcm")
    case.add(rep.dataset, data)
    return {"saved": len(rep.saved), "notSaved": problems + rep.not_saved}


def _thumbnail(series: list[Series], rects: dict) -> bytes | None:
    """The library's picture of the case: the first series' middle image in its default window, with its black-out
    rectangles applied (the same the files got), at most 128 pixels on a side, as PNG."""
    from .api import render

    for s in series:
        # overlay planes off: de-identification removes them from the files (group 60xx)
        meta, rgba = render({"series": s.id, "slice": len(s.ordered()) // 2, "overlays": False})
        if rgba is None:
            continue
        rgba = np.array(rgba, copy=True)
        for x0, y0, x1, y1 in rects.get(s.id, []):
            rgba[max(0, y0):max(0, y1), max(0, x0):max(0, x1), :3] = 0
        step = max(1, -(-max(rgba.shape[:2]) // 128))
        return png(np.ascontiguousarray(rgba[::step, ::step]))
    return None
