"""Sharing a case on CPython: what is loaded → de-identified zip with a manifest; black-out on every frame."""
from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import numpy as np
import pydicom
import pytest

from venos import api
from venos.errors import VenosError

DATA = Path(__file__).resolve().parents[2].parent / "shared/data/dicom"
if not DATA.is_dir():
    DATA = Path("/work/shared/data/dicom")
CT = sorted((DATA / "dcm_qa_ct/GE").glob("*.dcm"))[:4]


def _load(paths) -> list[str]:
    api.clear()
    for p in paths:
        assert api.add_file(p.name, p.read_bytes())["ok"]
    return [s["id"] for s in api.series()]


def _zip(r) -> zipfile.ZipFile:
    return zipfile.ZipFile(io.BytesIO(r["zip"]))


def test_survey_lists_series_and_flags():
    _load(CT)
    s = api.share_survey()["series"]
    assert len(s) == 1 and s[0]["files"] == 4 and s[0]["pending"] == 0 and s[0]["modality"] == "CT"
    assert s[0]["burnedIn"] == []


def test_plain_export_keeps_the_files_bit_exact():
    _load(CT)
    r = api.export_case({})
    z = _zip(r)
    dcm = sorted(n for n in z.namelist() if n.endswith(".dcm"))
    assert r["files"] == 4 and not r["deidentified"] and r["report"] is None
    originals = {pydicom.dcmread(p).SOPInstanceUID: p.read_bytes() for p in CT}
    for n in dcm:
        data = z.read(n)
        assert data == originals[pydicom.dcmread(io.BytesIO(data)).SOPInstanceUID]


def test_deidentified_export_removes_identity_keeps_pixels_and_reports():
    _load(CT)
    before = [pydicom.dcmread(p) for p in CT]
    r = api.export_case({"deidentify": True, "modifiedDates": True, "dateOffsetDays": -100})
    assert r["problems"] == [] and r["deidentified"]
    z = _zip(r)
    out = [pydicom.dcmread(io.BytesIO(z.read(n))) for n in sorted(z.namelist()) if n.endswith(".dcm")]
    studies = {d.StudyInstanceUID for d in out}
    assert len(studies) == 1 and studies.isdisjoint({d.StudyInstanceUID for d in before})
    by_pixels = {b.pixel_array.tobytes(): b for b in before}
    for d in out:
        assert d.PatientIdentityRemoved == "YES" and str(d.PatientName) != str(before[0].PatientName)
        b = by_pixels[d.pixel_array.tobytes()]  # the pixels are untouched
        assert d.SOPInstanceUID != b.SOPInstanceUID
        if "StudyDate" in b and b.StudyDate:
            from datetime import date, timedelta
            old = date(int(b.StudyDate[:4]), int(b.StudyDate[4:6]), int(b.StudyDate[6:8]))
            assert d.StudyDate == (old - timedelta(days=100)).strftime("%Y%m%d")
    folder = r["folder"]
    manifest = json.loads(z.read(f"{folder}/manifest.json"))
    assert manifest["studies"][0]["StudyInstanceUID"] == out[0].StudyInstanceUID
    report = json.loads(z.read(f"{folder}/deidentification-report.json"))
    assert report["options"] == ["modified_dates"] and "dateOffsetDays" not in report  # the shift would undo itself
    assert r["report"]["dateOffsetDays"] == -100  # the caller, who chose it, is told
    rows = next(iter(report["studies"].values()))["attributes"]
    assert any(row["keyword"] == "PatientName" for row in rows)
    assert str(before[0].PatientName) not in json.dumps(report)


def test_blackout_applies_to_every_frame_of_the_series():
    sid = _load(CT)[0]
    r = api.export_case({"blackout": {sid: [[10.5, 29.2, 39.5, 20.0]]}})  # drawn from any corner
    z = _zip(r)
    assert len(r["uncompressed"]) == 4
    originals = {pydicom.dcmread(p).SOPInstanceUID: pydicom.dcmread(p).pixel_array for p in CT}
    for n in (n for n in z.namelist() if n.endswith(".dcm")):
        d = pydicom.dcmread(io.BytesIO(z.read(n)))
        px, was = d.pixel_array, originals[d.SOPInstanceUID]
        box = np.zeros(px.shape, bool)
        box[20:30, 10:40] = True  # every pixel the rectangle touches
        assert len(np.unique(px[box])) == 1 and px[box][0] <= was.min()
        assert (px[~box] == was[~box]).all()
        assert d.BurnedInAnnotation == "NO"


def test_nothing_loaded_is_a_clear_error():
    api.clear()
    with pytest.raises(VenosError, match="nothing to export"):
        api.export_case({})


def _length_item(sid: str, slice_index: int = 1) -> dict:
    st = {"series": sid, "slice": slice_index}
    r = api.measure("length", st, [[10.5, 20.5], [110.5, 20.5]])
    return {"kind": "length", "anchor": r["anchor"], "series": sid, "slice": slice_index,
            "points": [[10.5, 20.5], [110.5, 20.5]], "result": r}


def test_a_report_round_trip_through_the_session():
    sid = _load(CT)[0]
    item = _length_item(sid)
    w = api.report_write([item])
    assert w["saved"] == 1 and w["notSaved"] == []
    assert not api.add_file("report.dcm", w["data"])["ok"]  # a report is no image: kept, not a series
    placed = api.reports()
    assert placed["waiting"] == 0 and len(placed["items"]) == 1
    got = placed["items"][0]
    assert got["series"] == sid and got["slice"] == 1 and got["kind"] == "length" and got["anchor"] == item["anchor"]
    assert got["result"]["value"] == pytest.approx(item["result"]["value"], rel=1e-6)
    assert got["result"]["units"] == "mm" and "PixelSpacing" in got["result"]["spacing"]
    assert np.allclose(got["points"], item["points"], atol=1e-4)


def test_a_report_before_its_images_waits_for_them():
    sid = _load(CT)[0]
    data = api.report_write([_length_item(sid, 2)])["data"]
    api.clear()
    res = api.add_file("report.dcm", data)
    assert res["report"]["measurements"] == 1
    assert api.reports()["waiting"] == 1 and api.reports()["items"] == []
    for p in CT:
        api.add_file(p.name, p.read_bytes())
    assert len(api.reports()["items"]) == 1


def test_an_exported_case_carries_its_measurements_on_the_deidentified_files():
    sid = _load(CT)[0]
    r = api.export_case({"deidentify": True, "measurements": [_length_item(sid)]})
    assert r["measurements"]["saved"] == 1 and r["problems"] == []
    z = _zip(r)
    files = [pydicom.dcmread(io.BytesIO(z.read(n))) for n in z.namelist() if n.endswith(".dcm")]
    (sr,) = [d for d in files if d.Modality == "SR"]
    images = {d.SOPInstanceUID for d in files if d.Modality != "SR"}
    ref = sr.CurrentRequestedProcedureEvidenceSequence[0].ReferencedSeriesSequence[0].ReferencedSOPSequence[0]
    assert ref.ReferencedSOPInstanceUID in images and sr.StudyInstanceUID == files[0].StudyInstanceUID
    assert sr.PatientName == files[0].PatientName and "PatientIdentityRemoved" in sr
    # loaded again (the de-identified case alone), the measurement lands on its image
    api.clear()
    for d in files:
        buf = io.BytesIO()
        d.save_as(buf, enforce_file_format=True)
        api.add_file("x.dcm", buf.getvalue())
    assert len(api.reports()["items"]) == 1


def test_the_library_thumbnail_is_blacked_out_too():
    import struct
    import zlib

    sid = _load(CT)[0]
    r = api.export_case({"blackout": {sid: [[0, 0, 512, 512]]}, "title": "All black"})
    data = _zip(r).read(f"{r['folder']}/thumbnail.png")
    w, h = struct.unpack(">II", data[16:24])
    raw = zlib.decompress(data[data.index(b"IDAT") + 4:data.index(b"IEND") - 8])
    px = np.frombuffer(b"".join(raw[i * (1 + w * 4) + 1:(i + 1) * (1 + w * 4)] for i in range(h)), np.uint8)
    rgba = px.reshape(h, w, 4)
    assert max(w, h) <= 128 and (rgba[..., :3] == 0).all() and (rgba[..., 3] == 255).all()


def test_a_date_shift_of_zero_is_refused():
    _load(CT)
    with pytest.raises(VenosError, match="0 days"):
        api.export_case({"deidentify": True, "modifiedDates": True, "dateOffsetDays": 0})


@pytest.mark.parametrize("rel", ["pydicom-data/emri_small_big_endian.dcm", "pydicom-data/SC_rgb_expb_2frame.dcm",
                                 "cornerstone3D/US-YBR_FULL_422-EVRLE.dcm"])
def test_blackout_rewrites_other_encodings_as_explicit_little_endian(rel):
    """Big endian and YBR files blacked out: rewritten as Explicit VR Little Endian, the box black on every frame
    (RGB black for colour: YBR frames are decoded to RGB), the rest of every frame unchanged."""
    path = DATA / rel
    api.clear()
    assert api.add_file(path.name, path.read_bytes())["ok"]
    sid = api.series()[0]["id"]
    r = api.export_case({"blackout": {sid: [[0, 0, 10, 10]]}})
    src = pydicom.dcmread(path)
    note = r["uncompressed"][0]["note"]
    assert r["files"] == 1 and r["skipped"] == [] and note.startswith("blacked out 1 region")
    assert ("Explicit VR Little Endian" in note) == (src.file_meta.TransferSyntaxUID != pydicom.uid.ExplicitVRLittleEndian)
    z = _zip(r)
    d = pydicom.dcmread(io.BytesIO(z.read(next(n for n in z.namelist() if n.endswith(".dcm")))))
    assert d.file_meta.TransferSyntaxUID == pydicom.uid.ExplicitVRLittleEndian
    colour = src.SamplesPerPixel == 3
    o = src.pixel_array  # pydicom gives YBR as RGB, as VeNOS decodes it
    px = d.pixel_array
    box = (Ellipsis, slice(0, 10), slice(0, 10)) + ((slice(None),) if colour else ())
    rest = (Ellipsis, slice(10, None), slice(10, None)) + ((slice(None),) if colour else ())
    if colour:
        assert d.PhotometricInterpretation == "RGB" and (px[box] == 0).all()
    else:
        assert len(np.unique(px[box])) == 1
    assert np.array_equal(px[rest], o[rest])
