"""Sharing a case, end to end in the browser: real CT files with identifying values planted, de-identified in the
page, a region blacked out, downloaded as a zip; the zip read on CPython (nothing planted survives), then served
from another origin and opened by its manifest link: the same pixels, bit-exact."""
from __future__ import annotations

import base64
import io
import json
import zipfile
from pathlib import Path

import numpy as np
import pydicom
import pytest

from remote_helpers import cors_host, ge_files, remote, case_dir  # noqa: F401

pytestmark = pytest.mark.browser

MARKS = {"PatientName": "PLANTED^NAME", "PatientID": "PLANTED-ID-77", "InstitutionName": "PLANTED HOSPITAL",
         "ReferringPhysicianName": "PLANTED^DOCTOR", "AccessionNumber": "PLANTED-ACC", "OperatorsName": "PLANTED^OP",
         "StudyID": "PLANTEDSTUDY", "PatientAddress": "PLANTED STREET 1"}


def planted(tmp: Path, n: int = 5) -> list[Path]:
    out = []
    for i, p in enumerate(ge_files()[:n]):
        ds = pydicom.dcmread(p)
        for k, v in MARKS.items():
            setattr(ds, k, v)
        block = ds.private_block(0x0011, "PLANTED CREATOR", create=True)
        block.add_new(0x01, "LO", "PLANTED-PRIVATE")
        ds.add_new(0x00081030, "LO", "PLANTED STUDY DESCRIPTION")
        q = tmp / f"{i:02d}.dcm"
        ds.save_as(q)
        out.append(q)
    return out


def test_deidentify_black_out_download_serve_and_open_by_link(remote, cors_host, case_dir, tmp_path):
    files = planted(tmp_path)
    remote.open()
    remote.load_via_input(files)
    # a rectangle (the Rect tool) on the series: what the Share dialog blacks out on every image of it
    remote.measure_by_drag("rectangle", (-60, -60), (-20, -30))
    length = remote.measure_by_drag("length", (0, 0), (50, 40))  # kept: the case carries it as a DICOM SR
    rect = remote.eval("venos.share.blackoutRectangles()")
    (sid, rects), = rect.items()
    remote.page.click("#share")
    remote.page.wait_for_selector("#share-dialog[open]")
    remote.page.wait_for_function("document.getElementById('share-blackout-note').textContent.includes('1 rectangle')")
    assert remote.page.is_checked("#share-deid")
    remote.page.check("#share-blackout")
    remote.page.check("#share-modifiedDates")
    remote.page.fill("#share-offset", "-30")
    remote.page.fill("#share-title", "Chest CT, planted identifiers")
    remote.page.fill("#share-description", "De-identified in the browser")
    with remote.page.expect_download() as dl:
        remote.page.click("#share-download")
    remote.page.wait_for_function("document.getElementById('share-status').textContent.includes('downloaded')")
    assert remote.page.text_content("#share-check").startswith("Checked:")
    data = Path(dl.value.path()).read_bytes()
    assert dl.value.suggested_filename == "chest-ct-planted-identifiers.zip"
    folder_name = "chest-ct-planted-identifiers"

    z = zipfile.ZipFile(io.BytesIO(data))
    dcm = sorted(n for n in z.namelist() if n.endswith(".dcm"))
    assert len(dcm) == len(files) + 1  # and the measurement report
    assert "2 saved" in remote.page.text_content("#share-sr-result")
    for n in dcm:  # nothing planted survives, anywhere in the bytes
        raw = z.read(n)
        for mark in list(MARKS.values()) + ["PLANTED-PRIVATE", "PLANTED STUDY DESCRIPTION", "PLANTED CREATOR"]:
            assert mark.encode() not in raw, (n, mark)
        ds = pydicom.dcmread(io.BytesIO(raw))
        assert ds.PatientIdentityRemoved == "YES" and "DeidentificationMethodCodeSequence" in ds
        assert ds.Modality == "SR" or ds.BurnedInAnnotation == "NO"
    report = json.loads(z.read(f"{folder_name}/deidentification-report.json"))
    assert "dateOffsetDays" not in report and report["options"] == ["modified_dates"]
    originals = {pydicom.dcmread(p).InstanceNumber: pydicom.dcmread(p).pixel_array for p in files}
    x0, y0, x1, y1 = rects[0]
    box = np.zeros(originals[next(iter(originals))].shape, bool)
    box[int(np.floor(min(y0, y1))):int(np.ceil(max(y0, y1))), int(np.floor(min(x0, x1))):int(np.ceil(max(x0, x1)))] = True
    exported = {}
    for n in dcm:
        ds = pydicom.dcmread(io.BytesIO(z.read(n)))
        if ds.Modality == "SR":
            assert ds.ContentTemplateSequence[0].TemplateIdentifier == "1500"
            continue
        px, was = ds.pixel_array, originals[ds.InstanceNumber]
        assert (px[~box] == was[~box]).all() and len(np.unique(px[box])) == 1
        exported[ds.SOPInstanceUID] = px

    # served from another origin, opened by the manifest's link: the same pixels
    library = case_dir.parent / "shared-case"
    z.extractall(library)
    folder = library / folder_name
    # the zip is a library of one case: its link opens the library dialog, one click opens the case
    page2 = remote.context.new_page()
    page2.goto(remote.base_url + "index.html?library=" + cors_host.url + "shared-case/library.json")
    page2.wait_for_selector("#library-dialog[open] #library-list li")
    assert page2.text_content("#library-list .case-title") == "Chest CT, planted identifiers"
    assert "De-identified in the browser" in page2.text_content("#library-list")
    assert page2.evaluate("document.querySelector('#library-list img').naturalWidth") > 0  # the thumbnail
    page2.click("#library-list button")
    page2.wait_for_function("""() => window.venos && venos.frame() !== null
        && !document.getElementById('series-list').textContent.includes('loaded')""", timeout=60_000)
    (series,) = page2.evaluate("venos.series()")
    assert series["slices"] == len(files) and series["patientName"] == "" and series["pending"] == 0
    # the measurements came with the case: the same length, on the same slice
    page2.wait_for_function("venos.measurements().length === 2", timeout=30_000)
    got = {m["kind"]: m for m in page2.evaluate("venos.measurements()")}
    assert got["length"]["value"] == pytest.approx(length["value"], rel=1e-5) and got["length"]["units"] == "mm"
    assert got["length"]["slice"] == remote.eval("venos.viewState().slice")
    for i in range(len(files)):
        d = page2.evaluate("""async ([s, i]) => { const d = await venos.pixelData(s, i);
            const u = new Uint8Array(d.data.buffer || d.data); let b = '';
            for (let k = 0; k < u.length; k += 0x8000) b += String.fromCharCode.apply(null, u.subarray(k, k + 0x8000));
            return { dtype: d.dtype, shape: d.shape, source: d.source, b64: btoa(b) }; }""", [series["id"], i])
        got = np.frombuffer(base64.b64decode(d["b64"]), dtype=d["dtype"]).reshape(d["shape"])
        uid = pydicom.dcmread(library / d["source"].split("shared-case/")[1], stop_before_pixels=True).SOPInstanceUID
        assert np.array_equal(got, exported[uid])


TOKEN = "stow-token-for-tests"


@pytest.fixture(scope="module")
def locked_pacs(tmp_path_factory):
    """An empty Orthanc + DICOMweb behind nginx that wants a bearer token."""
    from servers import started_pacs

    p = started_pacs(tmp_path_factory.mktemp("pacs-stow"), token=TOKEN)
    yield p
    p.close()


def pixels_b64(page, sid: str, i: int):
    d = page.evaluate("""async ([s, i]) => { const d = await venos.pixelData(s, i);
        const u = new Uint8Array(d.data.buffer || d.data); let b = '';
        for (let k = 0; k < u.length; k += 0x8000) b += String.fromCharCode.apply(null, u.subarray(k, k + 0x8000));
        return { dtype: d.dtype, shape: d.shape, b64: btoa(b) }; }""", [sid, i])
    return np.frombuffer(base64.b64decode(d["b64"]), dtype=d["dtype"]).reshape(d["shape"])


def test_stow_to_a_real_pacs_then_open_the_link_by_dicomweb(remote, locked_pacs, tmp_path):
    import urllib.request

    files = planted(tmp_path)
    remote.open()
    remote.load_via_input(files)
    (sid,) = [s["id"] for s in remote.eval("venos.series()")]
    # without the token the server refuses, and says why
    err = remote.eval("""(root) => venos.stowCase(root, { deidentify: true }).then(() => null, (e) => e.message)""",
                      locked_pacs.url)
    assert err and "401" in err and "token" in err
    remote.eval("(t) => venos.dicomweb.setToken(t)", TOKEN)
    length = remote.measure_by_drag("length", (-30, 10), (40, 10))
    r = remote.eval("(root) => venos.stowCase(root, { deidentify: true, patientCharacteristics: true, measurements: true })",
                    locked_pacs.url)
    assert r["measurements"]["saved"] == 1
    assert len(r["stow"]["stored"]) == len(files) + 1 and r["stow"]["failed"] == [] and r["problems"] == []
    assert len(r["links"]) == 1 and "dicomweb=" in r["links"][0] and r["studies"][0] in r["links"][0]
    assert TOKEN not in r["links"][0]
    # what the server holds: de-identified (read through Orthanc's own REST API, on CPython)
    with urllib.request.urlopen(locked_pacs.rest + "/instances", timeout=30) as res:
        ids = json.loads(res.read())
    assert len(ids) == len(files) + 1
    stored = {}
    for i in ids:
        with urllib.request.urlopen(f"{locked_pacs.rest}/instances/{i}/file", timeout=30) as res:
            raw = res.read()
        for mark in list(MARKS.values()) + ["PLANTED-PRIVATE"]:
            assert mark.encode() not in raw
        ds = pydicom.dcmread(io.BytesIO(raw))
        assert ds.StudyInstanceUID == r["studies"][0] and ds.PatientIdentityRemoved == "YES"
        if ds.Modality != "SR":
            stored[ds.InstanceNumber] = ds.pixel_array

    # a colleague with the token opens the link: the same pixels, bit-exact (the files were lossless and untouched)
    page2 = remote.context.new_page()
    page2.goto(remote.base_url + "index.html")
    page2.evaluate("window.venos.ready")
    page2.evaluate("(t) => venos.dicomweb.setToken(t)", TOKEN)
    page2.evaluate("(link) => venos.open(link)", r["links"][0])
    page2.wait_for_function("window.venos && venos.frame() !== null", timeout=60_000)
    (series,) = page2.evaluate("venos.series()")
    assert series["slices"] == len(files)
    page2.wait_for_function("venos.measurements().length === 1", timeout=30_000)  # the SR came from the PACS too
    (m,) = page2.evaluate("venos.measurements()")
    assert m["kind"] == "length" and m["value"] == pytest.approx(length["value"], rel=1e-5) and m["units"] == "mm"
    originals = sorted((pydicom.dcmread(p) for p in files), key=lambda d: float(d.ImagePositionPatient[2]))
    shown = [pixels_b64(page2, series["id"], i) for i in range(len(files))]
    orig_px = [d.pixel_array for d in originals]
    for px in shown:
        assert any(np.array_equal(px, o) for o in orig_px)
    assert sorted(a.tobytes() for a in shown) == sorted(o.tobytes() for o in orig_px)


def test_measurements_saved_as_dicom_sr_come_back_with_their_images(viewer, tmp_path):
    from conftest import ViewerPage

    files = ge_files()[:4]
    viewer.open()
    viewer.load_via_input(files)
    viewer.set_view({"slice": 2})
    length = viewer.measure_by_drag("length", (-40, -10), (60, 30))
    region = viewer.measure_by_drag("ellipse", (-30, -30), (30, 20))
    viewer.page.click("#measurements")
    viewer.page.wait_for_selector("#measurements-dialog[open]")
    with viewer.page.expect_download() as dl:
        viewer.page.click("#measurements-sr")
    viewer.page.wait_for_function("document.getElementById('measurements-note').textContent.startsWith('Saved 2')")
    sr_path = tmp_path / dl.value.suggested_filename
    dl.value.save_as(sr_path)
    ds = pydicom.dcmread(sr_path)
    assert ds.Modality == "SR" and ds.ContentTemplateSequence[0].TemplateIdentifier == "1500"
    assert ds.PatientID == pydicom.dcmread(files[0], stop_before_pixels=True).PatientID

    # a colleague opens the images with the report (the report first): the measurements are back, on slice 2
    page = ViewerPage(viewer.page.context.new_page(), viewer.base_url)
    page.open()
    page.load_via_input([sr_path] + files)
    page.page.wait_for_function("venos.measurements().length === 2")
    got = {m["kind"]: m for m in page.eval("venos.measurements()")}
    assert got["length"]["value"] == pytest.approx(length["value"], rel=1e-5) and got["length"]["slice"] == 2
    assert got["ellipse"]["mean"] == pytest.approx(region["mean"], rel=1e-5)
    assert got["ellipse"]["units"] == region["units"] == "HU"
    page.set_view({"slice": 2})
    assert page.page.locator("#annotations line").count() >= 1 and page.page.locator("#annotations ellipse").count() == 1
    assert page.eval("venos.skipped()") == []  # the report is used, not skipped


def test_a_share_link_carries_the_measurements_and_they_are_measured_again(remote, cors_host):
    remote.open("index.html?manifest=" + cors_host.url + "case/manifest.json")
    remote.page.wait_for_function("""() => window.venos && venos.frame() !== null
        && !document.getElementById('series-list').textContent.includes('loaded')""", timeout=60_000)
    remote.set_view({"slice": 17})
    length = remote.measure_by_drag("length", (-50, 0), (40, 30))
    region = remote.measure_by_drag("ellipse", (-20, -20), (30, 10))
    link = remote.eval("venos.link()")
    assert "&m=1." in link
    page2 = remote.context.new_page()
    page2.goto(link)
    page2.wait_for_function("window.venos && venos.measurements().length === 2", timeout=60_000)
    got = {m["kind"]: m for m in page2.evaluate("venos.measurements()")}
    assert got["length"]["value"] == pytest.approx(length["value"], abs=0.01 * 2) and got["length"]["slice"] == 17
    assert got["ellipse"]["mean"] == pytest.approx(region["mean"], rel=0.02)
    assert page2.evaluate("venos.viewState().slice") == 17
    assert page2.locator("#annotations line").count() >= 1 and page2.locator("#annotations ellipse").count() == 1
    # the link names what was drawn, never a number: the numbers come from the pixels
    import base64 as b64
    from urllib.parse import parse_qs, urlsplit

    m = parse_qs(urlsplit(link).fragment)["m"][0]
    rows = json.loads(b64.urlsafe_b64decode(m[2:] + "=" * (-len(m[2:]) % 4)))
    assert [r[0] for r in rows] == ["l", "e"] and all(len(r) == 7 for r in rows)


def test_a_presentation_state_loaded_with_its_images_is_applied(viewer, tmp_path):
    import synthetic as sy

    files = ge_files()[:3]
    images = [pydicom.dcmread(p, stop_before_pixels=True) for p in files]
    pr = tmp_path / "pr.dcm"
    pr.write_bytes(sy.gsps(images, center=-600, width=1500, rotation=90, flip=True, area=(129, 129, 384, 384),
                           polyline=[[100, 100], [200, 100], [200, 180]], text=("Look <here>", [210, 120])))
    viewer.open()
    viewer.load_via_input([pr] + files)
    viewer.page.wait_for_function("""() => { const s = venos.viewState();
        return s.rotate === 90 && s.flip === true && s.width === 1500 && s.zoom > 0; }""")
    st = viewer.eval("venos.viewState()")
    assert (st["center"], st["voiFunction"]) == (-600, "LINEAR") and st["invert"] is False
    first = pydicom.dcmread(files[0], stop_before_pixels=True).SOPInstanceUID
    shown = viewer.eval("venos.pixelData(venos.viewState().series, venos.viewState().slice)")["source"]
    assert pydicom.dcmread(shown if Path(shown).exists() else files[[p.name for p in files].index(Path(shown).name)],
                           stop_before_pixels=True).SOPInstanceUID == first
    # the displayed area (columns/rows 129…384: 256 px) fills the viewport's smaller side
    box = viewer.page.locator("#canvas").bounding_box()
    assert st["zoom"] == pytest.approx(min(box["width"], box["height"]) / 256, rel=0.02)
    assert st["pan"] == [0, 0]  # the area is centred on the image
    # its graphics on that image, text as text
    viewer.page.wait_for_selector("#annotations .pr-graphic")
    assert viewer.page.locator("#annotations polyline.pr-graphic").count() == 1
    assert viewer.page.locator("#annotations text").all_text_contents() == ["Look <here>"]
    assert viewer.eval("venos.measurements()") == []  # graphics are not measurements
    (p,) = viewer.eval("venos.presentations()")
    assert p["label"] == "TEACHING" and p["waiting"] == 0
    assert viewer.eval("venos.skipped()") == []
