"""The viewer's measurements → a DICOM SR Measurement Report (PS3.16 TID 1500).

SOP class: **Enhanced SR** when every measurement is on an image (what dcmjs, and so OHIF, writes; every archive
and SR reader we know accepts it), **Comprehensive 3D SR** as soon as one is on a reformatted plane, because only
that IOD allows SCOORD3D (PS3.3 A.35.13; what highdicom writes). The content is the same in both.

Measurement groups follow what the standard's templates and the two reference writers do:

* length, angle, bidirectional: TID 1501 — a NUM (Length, Angle, Long/Short Axis) INFERRED FROM an SCOORD
  POLYLINE that is SELECTED FROM the image (TID 300 / TID 320; dcmjs TID300/Length.js, Bidirectional.js);
* ellipse, rectangle: TID 1410 — the region as SCOORD "Image Region" (ELLIPSE, or a closed POLYLINE) SELECTED FROM
  the image, then Area, Mean, Standard Deviation, Minimum, Maximum (TID 1419; highdicom's planar ROI groups).

On a reformatted plane the same shapes are SCOORD3D in patient coordinates (mm) of the volume's Frame of
Reference (PS3.3 C.18.9), with no image reference. Where the pixel spacing came from is a TEXT "Comment" of the
group ("Pixel spacing: …"); lengths without one are in UCUM {pixels}, never mm.
"""
from __future__ import annotations

import datetime as _dt
import math
from dataclasses import dataclass, field

from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.sequence import Sequence
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

from .. import __version__
from ..errors import VenosError
from . import codes as C
from .content import (COMPREHENSIVE_3D_SR, ENHANCED_SR, add, code_ds, code_item, container, image_item, num_item,
                      scoord3d_item, scoord_item, text_item, uid_item)
from .model import ImageRef, MeasurementIn
from .shapes import ellipse_axes, rectangle_outline, to_patient, to_scoord

# A stable UID for the VeNOS device observer (TID 1004), derived from its name under pydicom's UID root.
DEVICE_UID = generate_uid(entropy_srcs=["VeNOS viewer device observer"])
SPACING_PREFIX = "Pixel spacing: "
PATIENT_STUDY = ("PatientName", "PatientID", "IssuerOfPatientID", "PatientBirthDate", "PatientSex", "PatientAge",
                 "StudyInstanceUID", "StudyDate", "StudyTime", "StudyID", "AccessionNumber",
                 "ReferringPhysicianName", "StudyDescription")
_TYPE2 = ("PatientName", "PatientID", "PatientBirthDate", "PatientSex", "StudyDate", "StudyTime", "StudyID",
          "AccessionNumber", "ReferringPhysicianName")


@dataclass
class WrittenReport:
    """The report, which measurements (indexes into the list given) it holds, and a sentence for each one left out
    or saved in part."""

    dataset: Dataset
    saved: list[int] = field(default_factory=list)
    not_saved: list[str] = field(default_factory=list)


def measurement_report(measurements, *, images, patient: dict | None = None,
                       series_description: str = "VeNOS measurements", series_number: int = 9001,
                       content_datetime: _dt.datetime | None = None) -> Dataset:
    """The SR Dataset of :func:`write_measurement_report`; what it left out is in that function's answer."""
    return write_measurement_report(measurements, images=images, patient=patient,
                                    series_description=series_description, series_number=series_number,
                                    content_datetime=content_datetime).dataset


def write_measurement_report(measurements, *, images, patient: dict | None = None,
                             series_description: str = "VeNOS measurements", series_number: int = 9001,
                             content_datetime: _dt.datetime | None = None) -> WrittenReport:
    """Write ``measurements`` (the viewer's list, see model.py) made on ``images`` (dicts, see model.py) into a
    TID 1500 report; ``patient`` holds the Patient and General Study attributes of the images, by keyword."""
    if not isinstance(measurements, (list, tuple)) or not isinstance(images, (list, tuple)):
        raise VenosError("measurements and images are lists")
    refs = {r.sop_instance_uid: r for r in (ImageRef.from_dict(dict(i)) for i in images)}
    out = WrittenReport(Dataset())
    groups, used, three_d = [], [], False
    for n, raw in enumerate(measurements):
        what = f"measurement {n + 1} ({raw.get('kind', '?') if isinstance(raw, dict) else '?'})"
        try:
            m = MeasurementIn.from_dict(dict(raw))
            ref = None
            if m.plane or not m.sop_instance_uid:
                if m.geometry is None or not m.geometry.frame_of_reference:
                    raise VenosError("made on a reformatted plane and given without the plane's geometry and Frame "
                                     "of Reference, so it has no image to point to and no patient coordinates")
                three_d = True
            else:
                ref = refs.get(m.sop_instance_uid)
                if ref is None:
                    raise VenosError(f"its image {m.sop_instance_uid} is not among the images given")
            group = _group(m, ref, n, out.not_saved, what)
        except VenosError as exc:
            out.not_saved.append(f"{what}: not saved: {exc.message}")
            continue
        groups.append(group)
        out.saved.append(n)
        if ref is not None and ref not in used:
            used.append(ref)
    out.dataset = _document(groups, used, dict(patient or {}), three_d=three_d,
                            series_description=series_description, series_number=series_number,
                            when=content_datetime or _dt.datetime.now())
    return out


# ------------------------------------------------------------------------------------------------ one group

def _group(m: MeasurementIn, ref: ImageRef | None, n: int, notes: list[str], what: str) -> Dataset:
    r = m.result
    region = m.kind in ("ellipse", "rectangle")
    group = container("CONTAINS", C.MEASUREMENT_GROUP, template="1410" if region else "1501")
    add(group, text_item("HAS OBS CONTEXT", C.TRACKING_ID, (m.label or f"VeNOS {m.kind} {n + 1}")[:64]))
    add(group, uid_item("HAS OBS CONTEXT", C.TRACKING_UID, m.tracking_uid or generate_uid()))
    if m.finding is not None:
        add(group, code_item("CONTAINS", C.FINDING, m.finding))
    for site in m.finding_sites:
        add(group, code_item("HAS CONCEPT MOD", C.FINDING_SITE, site))

    def graphic(graphic_type: str, points, concept=None, relationship="INFERRED FROM"):
        if ref is not None:
            frame = m.frame + 1 if ref.frames > 1 else None
            image = image_item("SELECTED FROM", ref.sop_class_uid, ref.sop_instance_uid, frame)
            return scoord_item(relationship, graphic_type, to_scoord(points), image, concept)
        g = m.geometry
        data = [v for p in to_patient(g.as_dict(), points) for v in p]
        return scoord3d_item(relationship, "POLYGON" if graphic_type == "POLYLINE" and region else graphic_type,
                             data, g.frame_of_reference, concept)

    units = str(r.get("units") or "")
    if m.kind == "length":
        add(group, num_item("CONTAINS", C.LENGTH, _value(r, "value", what), C.ucum(units or "px"),
                            [graphic("POLYLINE", m.points)]))
    elif m.kind == "angle":
        add(group, num_item("CONTAINS", C.ANGLE, _value(r, "value", what), C.ucum("°"),
                            [graphic("POLYLINE", m.points)]))
    elif m.kind == "bidirectional":
        long_, short = _value(r, "long", what), _value(r, "short", what)
        axes = [m.points[:2], m.points[2:]]
        if _length(axes[1], ref, m) > _length(axes[0], ref, m):
            axes.reverse()  # the second line drawn was the longer: tools/bidirectional.py swaps the values too
        for code, value, axis in ((C.LONG_AXIS, long_, axes[0]), (C.SHORT_AXIS, short, axes[1])):
            add(group, num_item("CONTAINS", code, value, C.ucum(units or "px"), [graphic("POLYLINE", axis)]))
    else:
        p1, p2 = m.points
        if m.kind == "ellipse":
            add(group, graphic("ELLIPSE", ellipse_axes(p1, p2), C.IMAGE_REGION, "CONTAINS"))
        else:
            add(group, graphic("POLYLINE", rectangle_outline(p1, p2), C.IMAGE_REGION, "CONTAINS"))
        if r.get("area") is not None:
            add(group, num_item("CONTAINS", C.AREA, float(r["area"]), C.ucum(str(r.get("areaUnits") or "px²"))))
        if r.get("channels"):
            notes.append(f"{what}: saved in part: the statistics of each colour channel have no place in the "
                         "report; its shape and area are saved")
        for code, key in ((C.MEAN, "mean"), (C.SD, "sd"), (C.MINIMUM, "min"), (C.MAXIMUM, "max")):
            if r.get(key) is not None:
                add(group, num_item("CONTAINS", code, float(r[key]), C.ucum(units)))
    if r.get("spacing"):
        add(group, text_item("CONTAINS", C.COMMENT, SPACING_PREFIX + str(r["spacing"])))
    return group


def _value(r: dict, key: str, what: str) -> float:
    v = r.get(key)
    if v is None or not math.isfinite(float(v)):
        raise VenosError(f"it has no {key} value ({r.get('note') or r.get('spacing') or 'none was computed'})")
    return float(v)


def _length(axis, ref: ImageRef | None, m: MeasurementIn) -> float:
    (x1, y1), (x2, y2) = axis
    sp = ref.pixel_spacing if ref is not None else (m.geometry.spacing if m.geometry else None)
    dr, dc = sp or (1.0, 1.0)
    return math.hypot((x2 - x1) * dc, (y2 - y1) * dr)


# ------------------------------------------------------------------------------------------------ the document

def _document(groups, used: list[ImageRef], patient: dict, *, three_d: bool, series_description: str,
              series_number: int, when: _dt.datetime) -> Dataset:
    ds = Dataset()
    sop_class = COMPREHENSIVE_3D_SR if three_d else ENHANCED_SR
    uid = generate_uid()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.file_meta.MediaStorageSOPClassUID, ds.file_meta.MediaStorageSOPInstanceUID = sop_class, uid
    ds.SpecificCharacterSet = "ISO_IR 192"  # labels typed in the page are UTF-8
    ds.SOPClassUID, ds.SOPInstanceUID = sop_class, uid
    for key in PATIENT_STUDY:  # Patient and General Study modules, as the images have them
        if patient.get(key) not in (None, ""):
            setattr(ds, key, patient[key])
        elif key in _TYPE2:
            setattr(ds, key, "")
    if "StudyInstanceUID" not in ds:
        ds.StudyInstanceUID = next((r.study_instance_uid for r in used if r.study_instance_uid), "") or generate_uid()
    ds.Modality = "SR"  # SR Document Series
    ds.SeriesInstanceUID = generate_uid()
    ds.SeriesNumber, ds.SeriesDescription = int(series_number), series_description[:64]
    ds.ReferencedPerformedProcedureStepSequence = Sequence()
    ds.Manufacturer, ds.ManufacturerModelName, ds.SoftwareVersions = "VeNOS", "VeNOS viewer", __version__
    ds.InstanceNumber = 1  # SR Document General
    ds.ContentDate, ds.ContentTime = when.strftime("%Y%m%d"), when.strftime("%H%M%S")
    ds.InstanceCreationDate, ds.InstanceCreationTime = ds.ContentDate, ds.ContentTime
    ds.CompletionFlag, ds.VerificationFlag = "COMPLETE", "UNVERIFIED"
    ds.PerformedProcedureCodeSequence = Sequence()
    if used:
        ds.CurrentRequestedProcedureEvidenceSequence = _evidence(used, ds.StudyInstanceUID)
    # SR Document Content: the root of TID 1500
    ds.ValueType = "CONTAINER"
    ds.ConceptNameCodeSequence = Sequence([code_ds(C.REPORT)])
    ds.ContinuityOfContent = "SEPARATE"
    t = Dataset()
    t.MappingResource, t.TemplateIdentifier = "DCMR", "1500"
    ds.ContentTemplateSequence = Sequence([t])
    language = code_item("HAS CONCEPT MOD", C.LANGUAGE, C.ENGLISH)  # TID 1204
    add(language, code_item("HAS CONCEPT MOD", C.COUNTRY, C.USA))
    items = [language,
             code_item("HAS OBS CONTEXT", C.OBSERVER_TYPE, C.DEVICE),  # TID 1001 → 1002 → 1004
             uid_item("HAS OBS CONTEXT", C.DEVICE_UID, DEVICE_UID),
             text_item("HAS OBS CONTEXT", C.DEVICE_NAME, "VeNOS"),
             text_item("HAS OBS CONTEXT", C.DEVICE_MANUFACTURER, "VeNOS"),
             text_item("HAS OBS CONTEXT", C.DEVICE_MODEL, f"VeNOS viewer {__version__}"),
             code_item("HAS CONCEPT MOD", C.PROCEDURE_REPORTED, C.IMAGING_PROCEDURE)]
    if used:
        items.append(_library(used))
    items.append(container("CONTAINS", C.IMAGING_MEASUREMENTS, groups))
    ds.ContentSequence = Sequence(items)
    return ds


def _library(used: list[ImageRef]) -> Dataset:
    """TID 1600: one Image Library Group per series, an IMAGE entry (TID 1601) per image."""
    by_series: dict[str, list[ImageRef]] = {}
    for r in used:
        by_series.setdefault(r.series_instance_uid, []).append(r)
    library = container("CONTAINS", C.IMAGE_LIBRARY)
    for refs in by_series.values():
        add(library, container("CONTAINS", C.IMAGE_LIBRARY_GROUP,
                               [image_item("CONTAINS", r.sop_class_uid, r.sop_instance_uid) for r in refs]))
    return library


def _evidence(used: list[ImageRef], study_uid: str) -> Sequence:
    """Current Requested Procedure Evidence (PS3.3 C.17.2.3): every referenced image, by study and series."""
    tree: dict[str, dict[str, list[ImageRef]]] = {}
    for r in used:
        tree.setdefault(r.study_instance_uid or study_uid, {}).setdefault(r.series_instance_uid, []).append(r)
    studies = []
    for study, series in tree.items():
        s = Dataset()
        s.StudyInstanceUID = study
        s.ReferencedSeriesSequence = Sequence()
        for series_uid, refs in series.items():
            se = Dataset()
            se.SeriesInstanceUID = series_uid or generate_uid()
            se.ReferencedSOPSequence = Sequence()
            for r in refs:
                ref = Dataset()
                ref.ReferencedSOPClassUID, ref.ReferencedSOPInstanceUID = r.sop_class_uid, r.sop_instance_uid
                se.ReferencedSOPSequence.append(ref)
            s.ReferencedSeriesSequence.append(se)
        studies.append(s)
    return Sequence(studies)
