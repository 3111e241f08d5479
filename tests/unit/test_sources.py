"""Remote case sources on CPython: manifests, URL lists, DICOMweb URLs and answers, DICOMDIR, placeholders."""
from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pydicom
import pytest

from venos import api
from venos.errors import SourceError
from venos.sources import dicomweb
from venos.sources.case import resolve_url
from venos.sources.manifest import parse_manifest

DATA = Path(__file__).resolve().parents[2].parent / "shared/data/dicom"
if not (DATA / "manifest.json").exists():
    DATA = Path("/work/shared/data/dicom")
GE = sorted((DATA / "dcm_qa_ct/GE").glob("*.dcm"))
BASE = "https://cases.example.org/ct/manifest.json"


def ohif_manifest(files, prefix="dicomweb:https://cases.example.org/ct/") -> dict:
    """OHIF's DICOM JSON shape, built from real files with keyword metadata."""
    ds0 = pydicom.dcmread(files[0], stop_before_pixels=True)
    insts = []
    for f in files:
        ds = pydicom.dcmread(f, stop_before_pixels=True)
        insts.append({"url": prefix + f.name, "metadata": {
            "Columns": ds.Columns, "Rows": ds.Rows, "InstanceNumber": ds.InstanceNumber, "SOPClassUID": ds.SOPClassUID,
            "SOPInstanceUID": ds.SOPInstanceUID, "PhotometricInterpretation": ds.PhotometricInterpretation,
            "BitsAllocated": ds.BitsAllocated, "BitsStored": ds.BitsStored, "PixelRepresentation": ds.PixelRepresentation,
            "SamplesPerPixel": 1, "ImagePositionPatient": [float(x) for x in ds.ImagePositionPatient],
            "ImageOrientationPatient": [float(x) for x in ds.ImageOrientationPatient],
            "PixelSpacing": [float(x) for x in ds.PixelSpacing], "RescaleSlope": 1, "RescaleIntercept": -1024,
            "WindowCenter": 40, "WindowWidth": 400, "NotAKeyword": 3, "Rows ": "junk"}})
    insts.reverse()  # manifest order is not slice order
    return {"studies": [{"StudyInstanceUID": ds0.StudyInstanceUID, "PatientName": {"Alphabetic": "Doe^Jane"},
                         "StudyDescription": "<b>CT</b>", "series": [{
                             "SeriesInstanceUID": ds0.SeriesInstanceUID, "Modality": "CT", "SeriesNumber": 2,
                             "SeriesDescription": "Head", "instances": insts}]}]}


@pytest.fixture(autouse=True)
def fresh_session():
    api.clear()
    yield
    api.clear()


def test_resolve_url_strips_loader_prefixes_and_refuses_other_schemes():
    assert resolve_url("wadouri:a/b.dcm", BASE) == "https://cases.example.org/ct/a/b.dcm"
    assert resolve_url("dicomweb:https://x.org/1.dcm", BASE) == "https://x.org/1.dcm"
    assert resolve_url("/root.dcm", BASE) == "https://cases.example.org/root.dcm"
    for bad in ("javascript:alert(1)", "data:text/html,<b>", "file:///etc/passwd", "", None, 3):
        with pytest.raises(SourceError):
            resolve_url(bad, BASE)


def test_resolve_url_of_relative_paths_is_urljoins_answer():
    """Plain relative paths take a shortcut (the base's folder + the path); every path resolves as urljoin does."""
    from urllib.parse import urljoin

    bases = [BASE, "https://h.org:8080/a/b/m.json?token=1#x", "http://h.org", "http://h.org/", "https://h.org/a/b/"]
    paths = ["0001.dcm", "s1/0001.dcm", "a.b/c-d_e~f.dcm", "../up.dcm", "./here.dcm", "a/../b.dcm", ".hidden",
             "x.dcm?frame=1", "x.dcm#f", "//other.org/x.dcm", "/root.dcm", "a b.dcm"]
    for base in bases:
        for path in paths:
            assert resolve_url(path, base) == urljoin(base, path), (base, path)
    # a base that is no http(s) address does not make its relative paths fetchable
    for base in ("file:///cases/m.json", "data:text/plain,x"):
        with pytest.raises(SourceError):
            resolve_url("0001.dcm", base)


def test_plain_lists_in_three_shapes():
    text = "# a case\nhttps://h.org/1.dcm\n\n2.dcm\njavascript:alert(1)\n"
    case = parse_manifest(text, base=BASE)
    assert [p.url for p in case.instances] == ["https://h.org/1.dcm", "https://cases.example.org/ct/2.dcm"]
    assert len(case.warnings) == 1 and "javascript" in case.warnings[0]
    assert len(parse_manifest(json.dumps(["a.dcm", "b.dcm"]), base=BASE).instances) == 2
    c = parse_manifest(json.dumps({"base": "https://o.org/x/", "urls": ["a.dcm"]}), base=BASE)
    assert c.instances[0].url == "https://o.org/x/a.dcm"
    with pytest.raises(SourceError, match="HTML"):
        parse_manifest("<!doctype html><p>login</p>", base=BASE)
    with pytest.raises(SourceError, match="not valid JSON"):
        parse_manifest("{oops", base=BASE)


def test_ohif_manifest_shows_series_in_slice_order_before_any_pixels():
    files = GE[:8]
    res = api.open_case("manifest", json.dumps(ohif_manifest(files)), BASE)
    assert res["ok"] and res["placeholders"] == 8
    (s,) = res["series"]
    assert s["slices"] == 8 and s["pending"] == 8 and s["modality"] == "CT" and s["patientName"] == "Doe^Jane"
    assert s["studyDescription"] == "<b>CT</b>"
    plan = res["plan"]
    assert {p["series"] for p in plan} == {s["id"]}
    assert sorted(p["slice"] for p in plan) == list(range(8))
    # the plan's slice numbers follow the geometry, not the manifest's order
    by_slice = {p["slice"]: p["url"].rsplit("/", 1)[1] for p in plan}
    z = {f.name: float(pydicom.dcmread(f, stop_before_pixels=True).ImagePositionPatient[2]) for f in files}
    assert [by_slice[i] for i in range(8)] == [n for n in sorted(z, key=lambda n: -z[n])] or \
        [by_slice[i] for i in range(8)] == sorted(z, key=lambda n: z[n])
    # rendering a slice that has not arrived says so, with what to fetch; scrolling works meanwhile
    meta, rgba = api.render({"series": s["id"], "slice": 3})
    assert rgba is None and meta["pending"] and meta["source"] == next(p["url"] for p in plan if p["slice"] == 3)
    assert meta["overlay"]["slices"] == 8 and meta["overlay"]["slice"] == 4
    st = api.tool("scroll", {"series": s["id"], "slice": 3}, {"delta": 2})
    assert st["slice"] == 5
    # bytes arrive under the planned address: the placeholder is filled in place, slice numbers do not move
    for p in plan:
        if p["slice"] in (3, 5):
            r = api.add_file(p["url"], (DATA / "dcm_qa_ct/GE" / p["url"].rsplit("/", 1)[1]).read_bytes())
            assert r["ok"] and r["series"] == s["id"] and not r["new"]
    meta, rgba = api.render({"series": s["id"], "slice": 3, "center": 40, "width": 400})
    assert rgba is not None and rgba.shape == (512, 512, 4)
    assert api.series()[0]["pending"] == 6 and api.series()[0]["slices"] == 8
    assert api.decode_pending(50) == 0  # idle decoding skips what has not arrived


def test_failed_slice_shows_why_and_the_rest_stays():
    res = api.open_case("manifest", json.dumps(ohif_manifest(GE[:3])), BASE)
    url = next(p["url"] for p in res["plan"] if p["slice"] == 1)
    api.skip(url, "not-found", "HTTP 404 Not Found")
    meta, rgba = api.render({"series": "1", "slice": 1})
    assert rgba is None and meta["error"]["message"] == "HTTP 404 Not Found" and meta["error"]["frame"] == 0
    assert api.skipped()[-1]["source"] == url


def test_wrong_metadata_moves_the_instance_where_it_belongs():
    m = ohif_manifest(GE[:2])
    for inst in m["studies"][0]["series"][0]["instances"]:
        inst["metadata"]["Rows"] = 256  # lies about the size
    res = api.open_case("manifest", json.dumps(m), BASE)
    assert res["series"][0]["rows"] == 256
    for p in res["plan"]:
        api.add_file(p["url"], (DATA / "dcm_qa_ct/GE" / p["url"].rsplit("/", 1)[1]).read_bytes())
    (s,) = api.series()
    assert s["rows"] == 512 and s["slices"] == 2 and s["pending"] == 0


def test_dicomweb_search_urls_encode_what_users_type():
    url = dicomweb.search_url("https://pacs.org/dicom-web/", "studies",
                              filters={"PatientName": "O'Brien & Co", "StudyDateFrom": "2020-01-01",
                                       "StudyDateTo": "2020-12-31", "ModalitiesInStudy": "CT", "PatientID": ""},
                              limit=50)
    assert url.startswith("https://pacs.org/dicom-web/studies?")
    assert "StudyDate=20200101-20201231" in url and "PatientName=O%27Brien%20%26%20Co*" in url
    assert "ModalitiesInStudy=CT" in url and "limit=50" in url and "PatientID=" not in url
    assert "includefield=StudyDescription" in url
    s = dicomweb.search_url("https://pacs.org/dw", "series", study="1.2.3", filters={"Modality": "MR"})
    assert s.startswith("https://pacs.org/dw/studies/1.2.3/series?Modality=MR")
    for bad in [dict(study="1.2.3/../x"), dict(study="1.2.3?x=1")]:
        with pytest.raises(SourceError, match="not a DICOM UID"):
            dicomweb.search_url("https://pacs.org/dw", "series", **bad)
    with pytest.raises(SourceError, match="cannot search"):
        dicomweb.search_url("https://pacs.org/dw", "studies", filters={"Evil": "x"})
    with pytest.raises(SourceError):
        dicomweb.search_url("javascript:alert(1)", "studies")
    assert dicomweb.rendered_url("https://p/dw", "1.2", "1.3", "1.4", frame=0).endswith("/instances/1.4/frames/1/rendered")
    assert dicomweb.wado_uri("https://p/wado", "1.2", "1.3", "1.4") == \
        "https://p/wado?requestType=WADO&studyUID=1.2&seriesUID=1.3&objectUID=1.4&contentType=application/dicom"


def test_qido_results_as_plain_rows():
    doc = [{"00100010": {"vr": "PN", "Value": [{"Alphabetic": "Doe^Jane"}]}, "0020000D": {"vr": "UI", "Value": ["1.2.3"]},
            "00080061": {"vr": "CS", "Value": ["CT", "SR"]}, "00201208": {"vr": "IS", "Value": [9]},
            "00080020": {"vr": "DA"}}]
    rows = dicomweb.results(json.dumps(doc))
    assert rows == [{"PatientName": "Doe^Jane", "StudyInstanceUID": "1.2.3", "ModalitiesInStudy": ["CT", "SR"],
                     "NumberOfStudyRelatedInstances": 9}]
    assert dicomweb.results("") == []
    with pytest.raises(SourceError):
        dicomweb.results("<html>")


def test_wado_rs_metadata_becomes_placeholders_fetched_as_multipart():
    meta = [json.loads(pydicom.dcmread(f, stop_before_pixels=True).to_json()) for f in GE[:5]]
    res = api.open_case("dicomweb", json.dumps(meta), "https://pacs.org/dicom-web")
    assert res["ok"] and res["placeholders"] == 5 and res["series"][0]["slices"] == 5
    p = res["plan"][0]
    assert p["multipart"] and "application/dicom" in p["accept"]
    assert p["url"].startswith("https://pacs.org/dicom-web/studies/") and "/instances/" in p["url"]
    # a multipart answer fills its placeholder
    f = next(f for f in GE[:5] if pydicom.dcmread(f, stop_before_pixels=True).SOPInstanceUID in p["url"])
    raw = b"--B\r\nContent-Type: application/dicom\r\n\r\n" + f.read_bytes() + b"\r\n--B--\r\n"
    r = api.add_multipart(p["url"], raw, 'multipart/related; type="application/dicom"; boundary=B')
    assert r["ok"] and api.series()[0]["pending"] == 4
    bad = api.add_multipart("https://pacs.org/x", b"<html>", "text/html")
    assert not bad["ok"] and "multipart" in bad["error"]["message"]


def write_fileset(files, folder):
    """A DICOMDIR file set made by pydicom (the GE files lack the Study Date/Time a STUDY record needs)."""
    from pydicom.fileset import FileSet

    fs = FileSet()
    for f in files:
        ds = pydicom.dcmread(f)
        ds.StudyDate = ds.StudyDate or "20200101"
        ds.StudyTime = ds.StudyTime or "120000"
        ds.StudyID = ds.get("StudyID") or "1"
        fs.add(ds)
    fs.write(folder)


def test_dicomdir_by_url_lists_files_relative_to_its_folder(tmp_path):
    write_fileset(GE[:3], tmp_path)
    data = (tmp_path / "DICOMDIR").read_bytes()
    res = api.open_case("dicomdir", data, "https://h.org/case/DICOMDIR")
    assert res["ok"] and len(res["plan"]) == 3
    for p in res["plan"]:
        assert p["url"].startswith("https://h.org/case/PT000000/")
        rel = p["url"][len("https://h.org/case/"):]
        assert (tmp_path / rel).exists()


def test_dicomdir_pointing_outside_its_folder_is_refused(tmp_path):
    write_fileset(GE[:1], tmp_path)
    ds = pydicom.dcmread(tmp_path / "DICOMDIR")
    for rec in ds.DirectoryRecordSequence:
        if "ReferencedFileID" in rec:
            rec.ReferencedFileID = ["..", "..", "etc"]
    buf = io.BytesIO()
    ds.save_as(buf)
    res = api.open_case("dicomdir", buf.getvalue(), "https://h.org/case/DICOMDIR")
    assert not res["ok"] and "only plain names" in res["error"]["message"]


def _depth_by_tokens(text: str, limit: int) -> bool:
    """The nesting check as first written: every escape, quote and bracket visited in Python (the reference)."""
    import re

    depth, in_string = 0, False
    for m in re.finditer(r'\\.|["\[\]{}]', text):
        token = m.group()
        if token[0] == "\\":
            continue
        if token == '"':
            in_string = not in_string
        elif not in_string:
            depth += 1 if token in "[{" else -1
            if depth > limit:
                return True
    return False


def test_the_json_nesting_check_agrees_with_a_token_by_token_count():
    from venos.sources.case import json_depth_exceeds

    rng = np.random.default_rng(7)
    alphabet = list('[]{}"\\a,:\n ')
    cases = ['', '[]', '{"a": "[[[["}', '"\\"[[[', '[' * 5 + ']' * 5, '[' * 6, '"' + '[' * 9, '["\\\\"' + '[' * 9,
             '[\\\n"[[[[[[' , '{"k": "\\u005b[[["}' + '[' * 5]
    cases += ["".join(rng.choice(alphabet, size=int(rng.integers(1, 60)))) for _ in range(3000)]
    for text in cases:
        for limit in (0, 1, 3, 5):
            assert json_depth_exceeds(text, limit) == _depth_by_tokens(text, limit), (text, limit)
    deep = "[" * 100_000  # hostile: decided without a pass per level, and an unterminated string hides the rest
    assert json_depth_exceeds(deep, 64) and not json_depth_exceeds('"' + deep, 64)
    manifest = json.dumps({"studies": [{"series": [{"instances": [{"url": f"{i}.dcm", "metadata": {
        "ImagePositionPatient": [0.0, 0.0, float(i)], "Name": 'a "quoted" [x] {y}'}} for i in range(500)]}]}]})
    assert not json_depth_exceeds(manifest, 64) and not _depth_by_tokens(manifest, 64)
