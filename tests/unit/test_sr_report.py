"""Measurements → TID 1500 Measurement Report → bytes → measurements, on image references of real files."""
from __future__ import annotations

import datetime as dt
import io
from pathlib import Path

import pydicom
import pytest

from venos.sr import (is_measurement_report, measurement_report, read_measurement_report,
                      write_measurement_report)

DATA = Path(__file__).resolve().parents[2].parent / "shared/data/dicom"
if not (DATA / "manifest.json").exists():
    DATA = Path("/work/shared/data/dicom")
CT = DATA / "dcm_qa_ct/GE/01.dcm"
MULTIFRAME = DATA / "dicomParser/encapsulated/multi-frame/CT0012.explicit_little_endian.dcm"  # enhanced CT, 2 frames
PATIENT_KEYS = ("PatientName", "PatientID", "PatientBirthDate", "PatientSex", "StudyInstanceUID", "StudyDate",
                "StudyTime", "StudyID", "AccessionNumber", "ReferringPhysicianName", "StudyDescription")
SPACING = "PixelSpacing (in the patient plane)"


def image_of(path: Path) -> tuple[dict, pydicom.Dataset]:
    ds = pydicom.dcmread(path, stop_before_pixels=True)
    sp = ds.get("PixelSpacing")
    return ({"sopInstanceUid": ds.SOPInstanceUID, "sopClassUid": ds.SOPClassUID,
             "seriesInstanceUid": ds.SeriesInstanceUID, "studyInstanceUid": ds.StudyInstanceUID,
             "frames": int(ds.get("NumberOfFrames") or 1), "pixelSpacing": [float(v) for v in sp] if sp else None},
            ds)


@pytest.fixture(scope="module")
def ct():
    return image_of(CT)


@pytest.fixture(scope="module")
def mf():
    return image_of(MULTIFRAME)


def kinds(uid: str, frame: int = 0) -> list[dict]:
    """One measurement of each kind, shaped as the viewer's list holds them (app/js/annotations.js)."""
    at = {"sopInstanceUid": uid, "frame": frame}
    return [
        {"kind": "length", "points": [[10.5, 20.5], [100.25, 30.125]], **at,
         "result": {"value": 42.123456789, "units": "mm", "spacing": SPACING}},
        {"kind": "angle", "points": [[10.0, 20.0], [50.5, 50.5], [90.0, 21.0]], **at,
         "result": {"value": 73.5, "units": "°", "spacing": SPACING}},
        {"kind": "ellipse", "points": [[12.0, 20.0], [52.5, 40.0]], **at,
         "result": {"shape": "ellipse", "mean": 40.5, "sd": 3.25, "min": -10.0, "max": 80.0, "units": "HU",
                    "area": 123.4, "areaUnits": "mm²", "pixels": 500, "spacing": SPACING}},
        {"kind": "rectangle", "points": [[10.0, 20.0], [50.0, 45.5]], **at,
         "result": {"shape": "rectangle", "mean": -2.5, "sd": 0.5, "min": -1000.0, "max": 1200.0, "units": "HU",
                    "area": 321.0, "areaUnits": "mm²", "spacing": SPACING}},
        {"kind": "bidirectional", "points": [[10.0, 20.0], [50.0, 40.0], [32.0, 26.0], [28.0, 34.0]], **at,
         "result": {"value": 30.0, "long": 30.0, "short": 6.5, "units": "mm", "spacing": SPACING}},
    ]


def roundtrip(ds: pydicom.Dataset) -> pydicom.Dataset:
    buf = io.BytesIO()
    pydicom.dcmwrite(buf, ds, enforce_file_format=True)
    back = pydicom.dcmread(io.BytesIO(buf.getvalue()))
    assert back.file_meta.TransferSyntaxUID == pydicom.uid.ExplicitVRLittleEndian
    return back


def walk(item):
    for c in item.get("ContentSequence") or ():
        yield c
        yield from walk(c)


def code(item, seq="ConceptNameCodeSequence"):
    c = item[seq][0]
    return (c.CodeValue, c.CodingSchemeDesignator)


def groups(ds):
    imaging = next(c for c in ds.ContentSequence if c.ValueType == "CONTAINER" and code(c) == ("126010", "DCM"))
    return list(imaging.ContentSequence)


def close(a, b, tol=1e-6):
    return len(a) == len(b) and all(abs(x - y) <= tol for p, q in zip(a, b) for x, y in zip(p, q))


# ------------------------------------------------------------------------------------------------ round trip

def test_every_kind_round_trips(ct, mf):
    img, src = ct
    mimg, _ = mf
    ms = kinds(img["sopInstanceUid"]) + kinds(mimg["sopInstanceUid"], frame=1)
    w = write_measurement_report(ms, images=[img, mimg], patient={k: src.get(k) for k in PATIENT_KEYS})
    assert w.saved == list(range(10)) and w.not_saved == []
    records, unshown = read_measurement_report(roundtrip(w.dataset))
    assert unshown == []
    assert [r["kind"] for r in records] == [m["kind"] for m in ms]
    for m, r in zip(ms, records):
        assert close(m["points"], r["points"]), (m["kind"], r["points"])
        assert r["sopInstanceUid"] == m["sopInstanceUid"] and r["frame"] == m["frame"]
        for key, value in m["result"].items():
            if key != "pixels":  # the pixel count has no place in TID 1419
                assert r["result"][key] == (pytest.approx(value, abs=1e-9) if isinstance(value, float) else value)


def test_structure(ct, mf):
    img, src = ct
    mimg, _ = mf
    when = dt.datetime(2026, 3, 4, 5, 6, 7)
    ds = roundtrip(measurement_report(kinds(img["sopInstanceUid"]) + kinds(mimg["sopInstanceUid"], frame=1)[:1],
                                      images=[img, mimg], patient={k: src.get(k) for k in PATIENT_KEYS},
                                      content_datetime=when))
    assert is_measurement_report(ds)
    assert ds.SOPClassUID == "1.2.840.10008.5.1.4.1.1.88.22" and ds.Modality == "SR"  # Enhanced SR: all 2D
    assert (ds.ContentTemplateSequence[0].MappingResource, ds.ContentTemplateSequence[0].TemplateIdentifier) \
        == ("DCMR", "1500")
    assert code(ds) == ("126000", "DCM") and ds.ContentDate == "20260304" and ds.ContentTime == "050607"
    assert (ds.CompletionFlag, ds.VerificationFlag) == ("COMPLETE", "UNVERIFIED")
    for k in PATIENT_KEYS:  # copied; Type 2 attributes the images lack are present and empty
        assert (ds.get(k) or "") == (src.get(k) or ""), k
    assert ds.PatientName == src.PatientName and ds.StudyInstanceUID == src.StudyInstanceUID
    assert "PatientBirthDate" in ds
    assert ds.SeriesInstanceUID != src.SeriesInstanceUID and ds.SOPInstanceUID != src.SOPInstanceUID
    top = {code(c): c for c in ds.ContentSequence}
    assert code(top[("121049", "DCM")], "ConceptCodeSequence") == ("en", "RFC5646")
    assert code(top[("121005", "DCM")], "ConceptCodeSequence") == ("121007", "DCM")  # device observer
    assert top[("121013", "DCM")].TextValue == "VeNOS" and top[("121012", "DCM")].UID
    assert code(top[("121058", "DCM")], "ConceptCodeSequence") == ("363679005", "SCT")
    library = [c.ReferencedSOPSequence[0].ReferencedSOPInstanceUID for c in walk(top[("111028", "DCM")])
               if c.ValueType == "IMAGE"]
    assert sorted(library) == sorted([img["sopInstanceUid"], mimg["sopInstanceUid"]])
    evidence = {(s.StudyInstanceUID, se.SeriesInstanceUID, r.ReferencedSOPInstanceUID, r.ReferencedSOPClassUID)
                for s in ds.CurrentRequestedProcedureEvidenceSequence for se in s.ReferencedSeriesSequence
                for r in se.ReferencedSOPSequence}
    assert evidence == {(i["studyInstanceUid"], i["seriesInstanceUid"], i["sopInstanceUid"], i["sopClassUid"])
                        for i in (img, mimg)}

    g = groups(ds)
    assert [x.ContentTemplateSequence[0].TemplateIdentifier for x in g] == ["1501", "1501", "1410", "1410", "1501",
                                                                           "1501"]
    for x in g:
        names = {code(c): c for c in x.ContentSequence}
        assert names[("112039", "DCM")].ValueType == "TEXT" and names[("112040", "DCM")].UID
        assert names[("121106", "DCM")].TextValue == "Pixel spacing: " + SPACING
    length, angle, ellipse, rect, bidi, framed = g

    def num(group, c):
        n = next(i for i in group.ContentSequence if i.ValueType == "NUM" and code(i) == c)
        mv = n.MeasuredValueSequence[0]
        return n, float(mv.NumericValue), code(mv, "MeasurementUnitsCodeSequence")

    n, v, u = num(length, ("410668003", "SCT"))
    assert v == pytest.approx(42.123456789) and u == ("mm", "UCUM")
    sc = n.ContentSequence[0]
    assert (sc.RelationshipType, sc.ValueType, sc.GraphicType) == ("INFERRED FROM", "SCOORD", "POLYLINE")
    assert list(sc.GraphicData) == [10.5, 20.5, 100.25, 30.125]
    sel = sc.ContentSequence[0]
    assert (sel.RelationshipType, sel.ValueType) == ("SELECTED FROM", "IMAGE")
    ref = sel.ReferencedSOPSequence[0]
    assert (ref.ReferencedSOPClassUID, ref.ReferencedSOPInstanceUID) == (img["sopClassUid"], img["sopInstanceUid"])
    assert "ReferencedFrameNumber" not in ref  # a single-frame image: no frame number
    n, v, u = num(angle, ("1483009", "SCT"))
    assert u == ("deg", "UCUM") and n.ContentSequence[0].GraphicType == "POLYLINE"
    assert len(n.ContentSequence[0].GraphicData) == 6
    for region, gtype, data in ((ellipse, "ELLIPSE", [12.0, 30.0, 52.5, 30.0, 32.25, 20.0, 32.25, 40.0]),
                                (rect, "POLYLINE", [10.0, 20.0, 50.0, 20.0, 50.0, 45.5, 10.0, 45.5, 10.0, 20.0])):
        roi = next(i for i in region.ContentSequence if i.ValueType == "SCOORD")
        assert code(roi) == ("111030", "DCM") and roi.RelationshipType == "CONTAINS"
        assert roi.GraphicType == gtype and list(roi.GraphicData) == data
        assert num(region, ("42798000", "SCT"))[2] == ("mm2", "UCUM")
        for c in (("373098007", "SCT"), ("386136009", "SCT"), ("255605001", "SCT"), ("56851009", "SCT")):
            assert num(region, c)[2] == ("[hnsf'U]", "UCUM")
    long_, v, u = num(bidi, ("103339001", "SCT"))
    short, w, _ = num(bidi, ("103340004", "SCT"))
    assert (v, w, u) == (30.0, 6.5, ("mm", "UCUM"))
    assert list(long_.ContentSequence[0].GraphicData) == [10.0, 20.0, 50.0, 40.0]
    assert list(short.ContentSequence[0].GraphicData) == [32.0, 26.0, 28.0, 34.0]
    n, _, _ = num(framed, ("410668003", "SCT"))
    ref = n.ContentSequence[0].ContentSequence[0].ReferencedSOPSequence[0]
    assert ref.ReferencedSOPInstanceUID == mimg["sopInstanceUid"] and int(ref.ReferencedFrameNumber) == 2


def test_pixel_centres_are_written_as_the_standard_counts_them(ct):
    """The viewer's (3.5, 5.5) is the centre of column 3, row 5; so is SCOORD (3.5, 5.5): pixel (c, r) covers
    [c, c + 1) × [r, r + 1) on both sides (PS3.3 C.18.6.1)."""
    img, _ = ct
    m = {"kind": "length", "points": [[3.5, 5.5], [0.0, 0.0]], "sopInstanceUid": img["sopInstanceUid"],
         "result": {"value": 1.0, "units": "mm"}}
    ds = measurement_report([m], images=[img])
    sc = next(i for i in walk(ds) if i.ValueType == "SCOORD")
    assert list(sc.GraphicData) == [3.5, 5.5, 0.0, 0.0]


def test_lengths_in_pixels_are_never_millimetres(ct):
    img, _ = ct
    m = {"kind": "length", "points": [[1, 2], [4, 6]], "sopInstanceUid": img["sopInstanceUid"],
         "result": {"value": 5.0, "units": "px", "spacing": "none: the file gives no pixel spacing"}}
    rect = {"kind": "rectangle", "points": [[1, 2], [4, 6]], "sopInstanceUid": img["sopInstanceUid"],
            "result": {"area": 12.0, "areaUnits": "px²", "mean": 3.0, "units": ""}}
    ds = roundtrip(measurement_report([m, rect], images=[img]))
    units = {code(i): code(i.MeasuredValueSequence[0], "MeasurementUnitsCodeSequence")
             for i in walk(ds) if i.ValueType == "NUM"}
    assert units[("410668003", "SCT")] == ("{pixels}", "UCUM")
    assert units[("42798000", "SCT")] == ("{pixels^2}", "UCUM")
    assert units[("373098007", "SCT")] == ("1", "UCUM")
    records, _ = read_measurement_report(ds)
    assert records[0]["result"] == {"value": 5.0, "units": "px", "spacing": "none: the file gives no pixel spacing"}
    assert records[1]["result"]["areaUnits"] == "px²"


def test_reformatted_plane_as_patient_coordinates(ct):
    img, src = ct
    ipp = [float(v) for v in src.ImagePositionPatient]
    iop = [float(v) for v in src.ImageOrientationPatient]
    dr, dc = (float(v) for v in src.PixelSpacing)
    geometry = {"origin": ipp, "row": iop[:3], "col": iop[3:], "spacing": [dr, dc],
                "frameOfReference": src.FrameOfReferenceUID}
    ms = [dict(m, plane="axial", geometry=geometry, sopInstanceUid="") for m in kinds("")]
    w = write_measurement_report(ms, images=[img])
    assert w.saved == [0, 1, 2, 3, 4] and w.dataset.SOPClassUID == "1.2.840.10008.5.1.4.1.1.88.34"
    assert "CurrentRequestedProcedureEvidenceSequence" not in w.dataset  # no image is referenced
    ds = roundtrip(w.dataset)
    sc = [i for i in walk(ds) if i.ValueType == "SCOORD3D"]
    assert [s.GraphicType for s in sc] == ["POLYLINE", "POLYLINE", "ELLIPSE", "POLYGON", "POLYLINE", "POLYLINE"]
    assert all(s.ReferencedFrameOfReferenceUID == src.FrameOfReferenceUID for s in sc)

    def patient(x, y):  # PS3.3 C.7.6.2.1.1, with the centre of pixel (0, 0) at image point (0.5, 0.5)
        return [ipp[k] + (x - 0.5) * dc * iop[k] + (y - 0.5) * dr * iop[3 + k] for k in range(3)]

    assert close([list(sc[0].GraphicData[:3])], [patient(10.5, 20.5)], 1e-4)
    assert close([list(sc[2].GraphicData[:3])], [patient(12.0, 30.0)], 1e-4)  # the ellipse's major axis
    assert patient(0.5, 0.5) == ipp
    records, unshown = read_measurement_report(ds)
    assert [r["kind"] for r in records] == [m["kind"] for m in ms]
    assert all(r["points"] is None and r["frameOfReference"] == src.FrameOfReferenceUID for r in records)
    assert close(records[0]["patientPoints"], [patient(10.5, 20.5), patient(100.25, 30.125)], 1e-4)
    assert records[2]["result"]["mean"] == 40.5
    assert len(unshown) == 5 and all("patient coordinates" in u for u in unshown)


def test_what_cannot_be_saved_is_listed(ct):
    img, _ = ct
    uid = img["sopInstanceUid"]
    ms = [{"kind": "length", "points": [[1, 1], [2, 2]], "plane": "coronal", "result": {"value": 1, "units": "mm"}},
          {"kind": "probe", "points": [[1, 1]], "sopInstanceUid": uid},
          {"kind": "length", "points": [[1, 1], [2, 2]], "sopInstanceUid": "1.2.3.4", "result": {"value": 1}},
          {"kind": "angle", "points": [[1, 1], [1, 1], [2, 2]], "sopInstanceUid": uid,
           "result": {"value": None, "units": "°", "spacing": "an arm has no length"}},
          {"kind": "length", "points": [[1, 1]], "sopInstanceUid": uid},
          {"kind": "ellipse", "points": [[1, 1], [5, 5]], "sopInstanceUid": uid,
           "result": {"area": 3.0, "areaUnits": "mm²", "channels": [{"mean": 1}], "units": ""}}]
    w = write_measurement_report(ms, images=[img])
    assert w.saved == [5]
    assert len(w.not_saved) == 6
    assert "reformatted plane" in w.not_saved[0] and "probe" in w.not_saved[1]
    assert "1.2.3.4" in w.not_saved[2] and "an arm has no length" in w.not_saved[3]
    assert "2 points, 1 given" in w.not_saved[4] and "colour channel" in w.not_saved[5]


def test_bidirectional_axes_follow_the_longer_line(ct):
    img, _ = ct
    m = {"kind": "bidirectional", "points": [[10, 10], [14, 10], [12, 0], [12, 20]],
         "sopInstanceUid": img["sopInstanceUid"],
         "result": {"value": 20 * img["pixelSpacing"][0], "long": 20 * img["pixelSpacing"][0],
                    "short": 4 * img["pixelSpacing"][1], "units": "mm"}}
    ds = measurement_report([m], images=[img])
    nums = {code(i): list(i.ContentSequence[0].GraphicData) for i in walk(ds) if i.ValueType == "NUM"}
    assert nums[("103339001", "SCT")] == [12.0, 0.0, 12.0, 20.0]
    assert nums[("103340004", "SCT")] == [10.0, 10.0, 14.0, 10.0]


def test_a_region_drawn_backwards_comes_back_as_the_same_box(ct):
    img, _ = ct
    m = {"kind": "ellipse", "points": [[52.5, 40.0], [12.0, 20.0]], "sopInstanceUid": img["sopInstanceUid"],
         "result": {"area": 1.0, "areaUnits": "mm²"}}
    records, _ = read_measurement_report(roundtrip(measurement_report([m], images=[img])))
    assert records[0]["points"] == [[12.0, 20.0], [52.5, 40.0]]


@pytest.mark.parametrize("rel", ["cornerstone3D/no-pixel-data.dcm", "dicomParser/deflate/report_dfl"])
def test_other_structured_reports_are_not_measurement_reports(rel):
    """The development set's two SR files: an OFFIS Basic Text SR and a deflated Enhanced SR (dclunie)."""
    ds = pydicom.dcmread(DATA / rel, force=True)
    assert not is_measurement_report(ds)
    records, unshown = read_measurement_report(ds)
    assert records == [] and len(unshown) == 1 and "not a TID 1500" in unshown[0]


def test_arbitrary_points_keep_float32_precision(ct):
    """Graphic Data is FL (32-bit, PS3.3 C.18.6.1): a pointer position comes back within float32 rounding (about
    3e-5 px on a 512 px image), values exactly (Floating Point Value when the DS string rounds them)."""
    img, _ = ct
    pts = [[123.456789012, 7.000001234], [511.999999, 0.333333333]]
    m = {"kind": "length", "points": pts, "sopInstanceUid": img["sopInstanceUid"],
         "result": {"value": 1 / 3, "units": "mm"}}
    records, _ = read_measurement_report(roundtrip(measurement_report([m], images=[img])))
    assert close(records[0]["points"], pts, 512 * 2 ** -24)
    assert records[0]["result"]["value"] == 1 / 3
