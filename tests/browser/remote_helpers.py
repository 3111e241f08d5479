"""Fixtures for the remote-loading browser tests: a case folder served from other origins, and pages that may
reach them (only them: any other request is recorded and aborted)."""
from __future__ import annotations

import io
import json
import shutil
import zipfile
from pathlib import Path

import numpy as np
import pydicom
import pytest

from conftest import DATA, ViewerPage, data_path
from servers import FileHost

GE = "dcm_qa_ct/GE"


def ge_files() -> list[Path]:
    return sorted(data_path(GE).glob("*.dcm"))


def ohif_manifest(files: list[Path], prefix: str = "dicomweb:") -> dict:
    """OHIF's DICOM JSON for `files` (URLs relative to the manifest), listed in reverse InstanceNumber order."""
    first = pydicom.dcmread(files[0], stop_before_pixels=True)
    insts = []
    for f in files:
        ds = pydicom.dcmread(f, stop_before_pixels=True)
        insts.append({"url": prefix + f.name, "metadata": {
            "SOPInstanceUID": ds.SOPInstanceUID, "SOPClassUID": ds.SOPClassUID, "InstanceNumber": int(ds.InstanceNumber),
            "Rows": ds.Rows, "Columns": ds.Columns, "BitsAllocated": ds.BitsAllocated, "BitsStored": ds.BitsStored,
            "PixelRepresentation": ds.PixelRepresentation, "PhotometricInterpretation": ds.PhotometricInterpretation,
            "ImagePositionPatient": [float(x) for x in ds.ImagePositionPatient],
            "ImageOrientationPatient": [float(x) for x in ds.ImageOrientationPatient],
            "PixelSpacing": [float(x) for x in ds.PixelSpacing]}})
    insts.sort(key=lambda i: -i["metadata"]["InstanceNumber"])
    return {"studies": [{"StudyInstanceUID": first.StudyInstanceUID, "PatientName": "<b>Remote</b>^Case",
                         "series": [{"SeriesInstanceUID": first.SeriesInstanceUID, "Modality": "CT",
                                     "SeriesNumber": 7, "SeriesDescription": "Head from afar",
                                     "instances": insts}]}]}


def slice_order(files: list[Path]) -> list[str]:
    """File names in VeNOS's slice order (position along the slice normal, ascending), computed on CPython."""
    keyed = []
    for f in files:
        ds = pydicom.dcmread(f, stop_before_pixels=True)
        o = np.array([float(x) for x in ds.ImageOrientationPatient])
        n = np.cross(o[:3], o[3:])
        keyed.append((float(np.dot([float(x) for x in ds.ImagePositionPatient], n)), f.name))
    return [name for _, name in sorted(keyed)]


def make_case_folder(root: Path) -> Path:
    """GE CT files, a manifest, a URL list, a zip, a DICOMDIR file set, a PNG and a case index."""
    from PIL import Image

    case = root / "case"
    case.mkdir(parents=True)
    files = ge_files()
    for f in files:
        shutil.copyfile(f, case / f.name)
    (case / "manifest.json").write_text(json.dumps(ohif_manifest(files)))
    (case / "list.txt").write_text("# eight slices\n" + "\n".join(f.name for f in files[:8]) + "\n")
    with zipfile.ZipFile(case / "study.zip", "w", compression=zipfile.ZIP_DEFLATED) as z:
        for f in files[:5]:
            z.write(f, f"study/{f.name}")
        z.writestr("study/README.txt", "not an image")
    img = np.zeros((30, 40, 3), dtype=np.uint8)
    img[..., 1] = 180
    Image.fromarray(img).save(case / "photo.png")
    # A DICOMDIR file set of four slices (pydicom's FileSet; the STUDY record needs a date and time).
    from pydicom.fileset import FileSet

    fs = FileSet()
    for f in files[:4]:
        ds = pydicom.dcmread(f)
        ds.StudyDate, ds.StudyTime, ds.StudyID = "20200101", "120000", "1"
        fs.add(ds)
    fs.write(case / "dd")
    (case / "index.json").write_text(json.dumps({"title": "Teaching <i>cases</i>", "cases": [
        {"title": "Head CT <img src=x onerror=alert(1)>", "description": "GE HiSpeed, 28 slices", "modality": "CT",
         "thumbnail": "photo.png", "manifest": "manifest.json"},
        {"title": "Eight slices", "description": "a plain list", "modality": "CT", "manifest": "list.txt"},
        {"title": "Bad", "manifest": "javascript:alert(1)"}]}))
    return case


@pytest.fixture(scope="session")
def case_dir(tmp_path_factory) -> Path:
    return make_case_folder(tmp_path_factory.mktemp("remote"))


@pytest.fixture(scope="session")
def cors_host(case_dir):
    host = FileHost(case_dir.parent)
    yield host
    host.close()


@pytest.fixture(scope="session")
def plain_host(case_dir):
    """The same files from a host that sends no CORS headers."""
    host = FileHost(case_dir.parent, cors=None)
    yield host
    host.close()


@pytest.fixture
def remote(browser, site, cors_host):
    """A VeNOS page allowed to reach the loopback hosts of these tests (and nothing else)."""
    cors_host.hits.clear()
    cors_host.order.clear()
    context = browser.new_context(bypass_csp=True, viewport={"width": 1280, "height": 800})
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=site.url.rstrip("/"))
    page = context.new_page()
    vp = ViewerPage(page, site.url)

    def guard(route):
        url = route.request.url
        if url.startswith(("http://127.0.0.1:", "data:", "blob:")):
            return route.continue_()
        vp.offsite.append(url)
        return route.abort()

    context.route("**/*", guard)
    page.on("console", lambda m: vp.console_errors.append(m.text) if m.type == "error" else None)
    page.on("dialog", lambda d: (vp.dialogs.append(d.message), d.dismiss()))
    vp.context = context
    yield vp
    context.close()


def open_case(vp: ViewerPage, spec, options=None) -> dict:
    """venos.open(spec) with first-event timings: {summary, first (ms to the first image), case (the case event)}."""
    return vp.eval("""async ([spec, options]) => {
        const t0 = performance.now(); let first = null, caseEv = null, firstPending = null;
        const offs = [venos.on('rendered', () => { if (first === null) first = performance.now() - t0; }),
                      venos.on('pending', (d) => { if (firstPending === null) firstPending = d.meta.overlay; })];
        venos.ready.then(() => {});
        const s = await venos.open(spec, { options });
        offs.forEach((f) => f());
        return { summary: s, first, firstPending };
    }""", [spec, options])


def throttle(vp: ViewerPage, mbit: float, latency_ms: float):
    cdp = vp.context.new_cdp_session(vp.page)
    cdp.send("Network.enable")
    bw = mbit * 1_000_000 / 8
    cdp.send("Network.emulateNetworkConditions", {"offline": False, "latency": latency_ms,
                                                   "downloadThroughput": bw, "uploadThroughput": bw})
    return cdp


def zip_bytes(files: list[Path]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", compression=zipfile.ZIP_DEFLATED) as z:
        for f in files:
            z.write(f, f"dropped/{f.name}")
    return buf.getvalue()


__all__ = ["DATA", "GE", "ge_files", "slice_order", "open_case", "throttle", "zip_bytes", "case_dir", "cors_host",
           "plain_host", "remote"]
