"""A case exported for a static host: zip layout, OHIF DICOM JSON manifest read back by the viewer's own parser."""
from __future__ import annotations

import io
import json
import zipfile
from pathlib import Path

import numpy as np
import pydicom
import pytest

from venos.errors import VenosError
from venos.export.case import LIBRARY, MANIFEST, CaseExport, manifest, png, zip_case
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
    data, folder = zip_case(case, title="Liver lesion, arterial phase", version="t", when="now", deidentified=True,
                            thumbnail=png(np.zeros((4, 6, 4), np.uint8)))
    z = zipfile.ZipFile(io.BytesIO(data))
    assert folder == "liver-lesion-arterial-phase"
    names = z.namelist()
    assert names[:4] == [LIBRARY, "README.txt", f"{folder}/{MANIFEST}", f"{folder}/thumbnail.png"]
    assert f"{folder}/deidentification-report.json" in names
    assert z.read(f"{folder}/study1/series1/0001.dcm") == CT[0].read_bytes()
    readme = z.read("README.txt").decode()
    assert "Access-Control-Allow-Origin: *" in readme and "?manifest=" in readme and "?library=" in readme
    assert "de-identified" in readme
    assert json.loads(z.read(f"{folder}/{MANIFEST}"))["studies"]
    lib = json.loads(z.read(LIBRARY))
    assert lib["cases"] == [{"title": "Liver lesion, arterial phase", "description": "", "modality": "CT/MR",
                             "manifest": f"{folder}/{MANIFEST}", "thumbnail": f"{folder}/thumbnail.png"}]
    assert z.read(f"{folder}/thumbnail.png").startswith(b"\x89PNG")


def test_a_library_is_extended_and_folders_do_not_collide():
    old = {"title": "Our cases", "cases": [{"title": "Case", "manifest": "case/manifest.json"}]}
    data, folder = zip_case(make_case(), title="Case", library=json.dumps(old))
    lib = json.loads(zipfile.ZipFile(io.BytesIO(data)).read(LIBRARY))
    assert folder == "case-2" and lib["title"] == "Our cases"
    assert [c["manifest"] for c in lib["cases"]] == ["case/manifest.json", "case-2/manifest.json"]
    with pytest.raises(VenosError, match="cases"):
        zip_case(make_case(), library="{}")
    with pytest.raises(VenosError, match="not JSON"):
        zip_case(make_case(), library="<html>")


def test_png_is_read_by_a_png_reader():
    import struct
    import zlib

    img = np.arange(5 * 7 * 4, dtype=np.uint8).reshape(5, 7, 4)
    data = png(img)
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    w, h = struct.unpack(">II", data[16:24])
    idat = data[data.index(b"IDAT") + 4:data.index(b"IEND") - 8]
    raw = zlib.decompress(idat)
    rows = [raw[i * (1 + w * 4) + 1:(i + 1) * (1 + w * 4)] for i in range(h)]
    assert (w, h) == (7, 5) and np.array_equal(np.frombuffer(b"".join(rows), np.uint8).reshape(5, 7, 4), img)
