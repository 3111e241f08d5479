"""A real PACS: Orthanc + its DICOMweb plugin, behind nginx adding CORS, loaded with real files; searched with
QIDO-RS and opened with WADO-RS (metadata first, multipart instances) from the built viewer in Chromium."""
from __future__ import annotations

from pathlib import Path

import numpy as np
import pydicom
import pytest

from conftest import data_path
from remote_helpers import case_dir, cors_host, open_case, remote  # noqa: F401
from servers import started_pacs
from test_viewer import reference_grey

pytestmark = [pytest.mark.browser, pytest.mark.servers]

GE, PHILIPS = "dcm_qa_ct/GE", "dcm_qa_ct/Philips/S21570/S2010"
MULTIFRAME = "pydicom-data/emri_small.dcm"  # 10 frames, MR, Explicit VR Little Endian
TOKEN = "s3cret-token-for-tests"


def series_files(rel: str) -> list[Path]:
    return sorted(p for p in data_path(rel).iterdir() if p.is_file())  # Philips names have no extension


def files() -> list[Path]:
    return series_files(GE) + series_files(PHILIPS) + [data_path(MULTIFRAME)]


@pytest.fixture(scope="module")
def pacs(tmp_path_factory):
    p = started_pacs(tmp_path_factory.mktemp("pacs"), files=files())
    yield p
    p.close()


@pytest.fixture(scope="module")
def locked_pacs(tmp_path_factory):
    """The same server, but nginx wants a bearer token."""
    p = started_pacs(tmp_path_factory.mktemp("pacs-locked"), token=TOKEN, files=files()[:3])
    yield p
    p.close()


def header(rel: str) -> pydicom.Dataset:
    return pydicom.dcmread(series_files(rel)[0], stop_before_pixels=True)


def test_search_studies_then_series(remote, pacs):
    remote.open()
    ge = header(GE)
    rows = remote.eval("(r) => venos.dicomweb.search({ root: r, level: 'studies', filters: { PatientID: arguments[0] } })"
                       .replace("arguments[0]", repr(str(ge.PatientID))), pacs.url)
    assert [r["StudyInstanceUID"] for r in rows] == [ge.StudyInstanceUID]
    assert rows[0]["NumberOfStudyRelatedInstances"] == 28
    every = remote.eval("(r) => venos.dicomweb.search({ root: r, level: 'studies', filters: { ModalitiesInStudy: 'CT' } })", pacs.url)
    assert {r["StudyInstanceUID"] for r in every} >= {ge.StudyInstanceUID, header(PHILIPS).StudyInstanceUID}
    series = remote.eval("([r, s]) => venos.dicomweb.search({ root: r, level: 'series', study: s })", [pacs.url, ge.StudyInstanceUID])
    assert [(s["SeriesInstanceUID"], s["NumberOfSeriesRelatedInstances"]) for s in series] == [(ge.SeriesInstanceUID, 28)]
    thumb = remote.eval("""async ([r, st, se]) => { const b = await venos.dicomweb.thumbnail({ root: r, study: st, series: se });
        return b ? [b.type, b.size] : null; }""", [pacs.url, ge.StudyInstanceUID, ge.SeriesInstanceUID])
    assert thumb and thumb[0] == "image/jpeg" and thumb[1] > 1000  # rendered by the server (WADO-RS /rendered)


def test_open_study_metadata_first_then_pixels_equal_cpython(remote, pacs):
    remote.open()
    ge = header(GE)
    res = open_case(remote, {"dicomweb": {"root": pacs.url, "study": ge.StudyInstanceUID}})
    s = res["summary"]
    assert s["loaded"] == 28 and s["failed"] == 0
    assert res["firstPending"] is None or res["firstPending"]["slices"] == 28  # all slices known from metadata
    (series,) = remote.eval("venos.series()")
    assert series["slices"] == 28 and series["seriesUid"] == ge.SeriesInstanceUID
    remote.set_view({"slice": 9, "center": 40, "width": 400})
    src = remote.eval("venos.pixelData('1', 9)")["source"]
    sop = src.rsplit("/", 1)[1]
    path = next(f for f in sorted(data_path(GE).glob("*.dcm")) if pydicom.dcmread(f, stop_before_pixels=True).SOPInstanceUID == sop)
    assert np.array_equal(remote.frame()[..., 0], reference_grey(path, 40, 400))


def test_open_philips_and_a_multiframe_series(remote, pacs):
    remote.open()
    ph = header(PHILIPS)
    res = open_case(remote, {"dicomweb": {"root": pacs.url, "study": ph.StudyInstanceUID, "series": ph.SeriesInstanceUID}})
    assert res["summary"]["loaded"] == 28 and remote.eval("venos.series()")[0]["slices"] == 28
    mf = pydicom.dcmread(data_path(MULTIFRAME))
    res = open_case(remote, {"dicomweb": {"root": pacs.url, "study": mf.StudyInstanceUID, "series": mf.SeriesInstanceUID}})
    (series,) = remote.eval("venos.series()")
    assert res["summary"]["loaded"] == 1 and series["slices"] == 10 and series["multiframe"]
    remote.set_view({"slice": 6})
    got = remote.eval("""async () => { const d = await venos.pixelData('1', 6); const u = new Uint8Array(d.data.buffer || d.data);
        let s = ''; for (const b of u) s += String.fromCharCode(b); return { dtype: d.dtype, shape: d.shape, b64: btoa(s) }; }""")
    import base64

    arr = np.frombuffer(base64.b64decode(got["b64"]), dtype=got["dtype"]).reshape(got["shape"])
    assert np.array_equal(arr, mf.pixel_array[6])


def test_wado_uri_retrieval(remote, pacs):
    remote.open()
    ge = header(GE)
    res = open_case(remote, {"dicomweb": {"root": pacs.url, "study": ge.StudyInstanceUID, "wadoUri": pacs.wado}})
    assert res["summary"]["loaded"] == 28


def test_bearer_token_is_sent_but_never_put_in_a_url(remote, locked_pacs):
    remote.open()
    seen: list[str] = []
    remote.page.on("request", lambda r: seen.append(r.url))
    ge = header(GE)
    with pytest.raises(Exception, match="401"):
        remote.eval("(r) => venos.dicomweb.search({ root: r, level: 'studies' })", locked_pacs.url)
    assert remote.eval(f"venos.dicomweb.setToken({TOKEN!r})") is True
    rows = remote.eval("(r) => venos.dicomweb.search({ root: r, level: 'studies' })", locked_pacs.url)
    assert [r["StudyInstanceUID"] for r in rows] == [ge.StudyInstanceUID]
    res = open_case(remote, {"dicomweb": {"root": locked_pacs.url, "study": ge.StudyInstanceUID}})
    assert res["summary"]["loaded"] == 3
    link = remote.eval("venos.link()")
    assert TOKEN not in link and all(TOKEN not in u for u in seen)
    assert TOKEN not in remote.page.content()


def test_pacs_dialog_search_and_open(remote, pacs):
    remote.open()
    ge = header(GE)
    remote.page.click("#open-pacs")
    remote.page.fill("#pacs-root", pacs.url)
    remote.page.fill("#pacs-pid", str(ge.PatientID))
    remote.page.click("#pacs-search")
    remote.page.wait_for_selector("#pacs-results tr.study")
    assert remote.page.locator("#pacs-results tr.study").count() == 1
    done = remote.when("loadend")
    remote.page.click("#pacs-results tr.study button:text('Open study')")
    remote.page.evaluate("h => h.promise", done)
    assert remote.eval("venos.series()")[0]["slices"] == 28
    assert "dicomweb=" in remote.eval("venos.link()")
