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
    manifest = json.loads(z.read("manifest.json"))
    assert manifest["studies"][0]["StudyInstanceUID"] == out[0].StudyInstanceUID
    report = json.loads(z.read("deidentification-report.json"))
    assert report["options"] == ["modified_dates"] and report["dateOffsetDays"] == -100
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
