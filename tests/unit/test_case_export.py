"""A case exported for a static host: zip layout, OHIF DICOM JSON manifest read back by the viewer's own parser."""
from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import pydicom
import pytest

from venos.errors import VenosError
from venos.export.case import MANIFEST, CaseExport, manifest, zip_case
from venos.sources.manifest import parse_manifest

DATA = Path(__file__).resolve().parents[2].parent / "shared/data/dicom"
if not DATA.is_dir():
    DATA = Path("/work/shared/data/dicom")
CT = sorted((DATA / "dcm_qa_ct/GE").glob("*.dcm"))[:5]
MR = sorted((DATA / "dcm_qa_enh").rglob("*.dcm"))[:1]


def make_case() -> CaseExport:
    case = CaseExport()
    for p in CT + MR:
        data = p.read_bytes()
        case.add(pydicom.dcmread(io.BytesIO(data), stop_before_pixels=True), data)
    return case


def test_files_are_laid_out_by_study_and_series():
    case = make_case()
    paths = [f.path for f in case.files]
    assert paths[:5] == [f"study1/series1/{i:04d}.dcm" for i in range(1, 6)]
    assert paths[5] in ("study2/series1/0001.dcm", "study1/series2/0001.dcm")
    assert len(set(paths)) == len(paths)


def test_manifest_is_read_back_by_the_viewer_with_metadata():
    case = make_case()
    doc = manifest(case)
    text = json.dumps(doc)
    parsed = parse_manifest(text, base="https://host.example/cases/one/manifest.json")
    urls = [p.url for p in parsed.instances]
    assert urls[0] == "https://host.example/cases/one/study1/series1/0001.dcm" and len(urls) == 6
    ds = pydicom.dcmread(CT[0], stop_before_pixels=True)
    first = doc["studies"][0]["series"][0]["instances"][0]["metadata"]
    assert first["SOPInstanceUID"] == ds.SOPInstanceUID and first["Rows"] == ds.Rows
    assert first["ImagePositionPatient"] == [float(v) for v in ds.ImagePositionPatient]
    assert first["PatientName"] == {"Alphabetic": str(ds.PatientName)}
    assert first["TransferSyntaxUID"] == ds.file_meta.TransferSyntaxUID
    assert doc["studies"][0]["StudyInstanceUID"] == ds.StudyInstanceUID
    assert doc["studies"][0]["series"][0]["SeriesInstanceUID"] == ds.SeriesInstanceUID
    assert parsed.instances[0].metadata.get("Rows") == ds.Rows


def test_absolute_urls_for_ohif_and_a_bad_address_refused():
    doc = manifest(make_case(), base_url="https://bucket.example/case")
    url = doc["studies"][0]["series"][0]["instances"][0]["url"]
    assert url == "dicomweb:https://bucket.example/case/study1/series1/0001.dcm"
    with pytest.raises(VenosError, match="http"):
        manifest(make_case(), base_url="javascript:alert(1)")


def test_zip_holds_files_bit_exact_manifest_readme_and_extras():
    case = make_case()
    case.extra["deidentification-report.json"] = b"{}"
    z = zipfile.ZipFile(io.BytesIO(zip_case(case, version="t", when="now", deidentified=True)))
    names = z.namelist()
    assert names[:3] == [MANIFEST, "README.txt", "deidentification-report.json"]
    assert z.read("study1/series1/0001.dcm") == CT[0].read_bytes()
    readme = z.read("README.txt").decode()
    assert "Access-Control-Allow-Origin: *" in readme and "?manifest=" in readme and "de-identified" in readme
    assert json.loads(z.read(MANIFEST))["studies"]
