"""Every transfer syntax decoded IN THE BROWSER, through pydicom's decoder registry and the vendored codecs,
compared with pixels decoded independently on CPython (the data manifest, GDCM, pydicom + numpy + Pillow).

One page decodes all files (``venos.decode`` runs ``decode_frame`` for every frame in the worker and returns the
sha256 of the stacked array), so ~300 files take about a minute instead of one Pyodide start each.
"""
from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pydicom
import pytest

from codec_refs import (LOSSY_FLOOR, array_hash, browser_decode, codec_page, cpython_pixels,  # noqa: F401
                        data_server, decoded, gdcm_pixels, manifest_cases, staged_url)
from conftest import data_path

pytestmark = pytest.mark.browser

CASES = manifest_cases()
PYDICOM_TEST_FILES = Path(pydicom.__file__).parent / "data" / "test_files"


# ------------------------------------------------------------------------------------------------ manifest

@pytest.mark.parametrize("path,entry,ref", CASES, ids=[c[0] for c in CASES])
def test_manifest_file_decodes_in_the_browser_to_reference_pixels(codec_page, data_server, path, entry, ref):
    r = browser_decode(codec_page, data_server.url + path, path)
    assert r.get("ok"), f"{path}: {r.get('errors') or r.get('error')}"
    assert np.dtype(r["dtype"]) == np.dtype(ref["dtype"]).newbyteorder("<")
    assert list(r["shape"]) == list(ref["shape"])
    if r["sha256"] == ref["sha256"]:
        return
    assert entry.get("lossy_transfer_syntax"), (
        f"{path}: lossless data decoded to different pixels than {ref['decoder']} (sha256 {r['sha256']})")
    # Lossy: the manifest's decoder is one of several valid ones. Compare with GDCM's decode (IJG/OpenJPEG/CharLS)
    # within the spread the manifest measured between decoders (at least LOSSY_FLOOR grey level).
    got = decoded(browser_decode(codec_page, data_server.url + path, path, pixels=True))
    ref_arr = gdcm_pixels(str(data_path(path)))
    assert ref_arr is not None, f"{path}: no GDCM reference (install libgdcm-tools)"
    tol = max(ref["spread"], LOSSY_FLOOR)
    diff = np.abs(got.astype(np.int64) - ref_arr.reshape(got.shape).astype(np.int64)).max()
    assert diff <= tol, f"{path}: max |browser − GDCM| = {diff} > {tol}"


# ------------------------------------------------------------------------------------------------ syntaxes
# pydicom 3.0.2 cannot decode these; VeNOS adds them to pydicom's registry (venos.pixels.syntaxes).

def test_deflated_image_frame_compression_equals_the_native_original(codec_page, data_server):
    """1.2.840.10008.1.2.8.1: liver_deflate.dcm holds liver.dcm's 1-bit frames, Deflate-compressed."""
    data_path("pydicom-data/liver_deflate.dcm")
    r = browser_decode(codec_page, data_server.url + "pydicom-data/liver_deflate.dcm", "liver_deflate.dcm")
    native = pydicom.dcmread(data_path("pydicom-data/liver.dcm")).pixel_array
    assert r["ok"] and r["syntax"] == "1.2.840.10008.1.2.8.1"
    assert r["sha256"] == array_hash(native) and r["shape"] == list(native.shape)


def test_one_bit_rle_that_is_not_byte_aligned_equals_the_native_original(codec_page, data_server):
    """RLE Lossless with 510×510 1-bit frames (every pydicom plugin refuses): equals liver.dcm cropped to 510×510."""
    path = "pydicom-data/liver_nonbyte_aligned_rle.dcm"
    data_path(path)
    r = browser_decode(codec_page, data_server.url + path, path)
    native = pydicom.dcmread(data_path("pydicom-data/liver.dcm")).pixel_array[:, :510, :510]
    assert r["ok"] and r["sha256"] == array_hash(native)


def test_encapsulated_uncompressed_equals_the_native_original(codec_page, site):
    """1.2.840.10008.1.2.1.98: a CT slice and a 3-frame RGB image re-encapsulated, one fragment per frame."""
    from pydicom.encaps import encapsulate
    from pydicom.uid import UID

    for src_path in (data_path("dcm_qa_ct/GE/01.dcm"), PYDICOM_TEST_FILES / "SC_rgb_rle_2frame.dcm"):
        src = pydicom.dcmread(src_path)
        native = src.pixel_array
        ds = src.copy()
        if src.file_meta.TransferSyntaxUID.is_compressed:
            ds.decompress()
        frames = ds.get("NumberOfFrames", 1)
        raw = ds.PixelData
        size = len(raw) // int(frames)
        ds.file_meta.TransferSyntaxUID = UID("1.2.840.10008.1.2.1.98")
        ds.PixelData = encapsulate([raw[i * size:(i + 1) * size] for i in range(int(frames))])
        ds["PixelData"].VR = "OB"
        ds["PixelData"].is_undefined_length = True
        buf = io.BytesIO()
        ds.save_as(buf, enforce_file_format=True)
        r = browser_decode(codec_page, staged_url(codec_page, site, src_path.name, buf.getvalue()), src_path.name)
        assert r["ok"], r
        assert r["sha256"] == array_hash(native), src_path.name


# ------------------------------------------------------------------------------------------------ pydicom's files

def _pydicom_cases() -> list[tuple[str, str, bool]]:
    if not PYDICOM_TEST_FILES.is_dir():
        return []
    out = []
    for p in sorted(PYDICOM_TEST_FILES.glob("*.dcm")):
        arr = cpython_pixels(p)
        if arr is None:
            continue
        ts = str(pydicom.dcmread(p, stop_before_pixels=True, force=True).file_meta.get("TransferSyntaxUID", ""))
        lossy = ts in ("1.2.840.10008.1.2.4.50", "1.2.840.10008.1.2.4.51")
        out.append((p.name, array_hash(arr), lossy))
    return out


PYDICOM_CASES = _pydicom_cases()


@pytest.mark.parametrize("name,sha,lossy", PYDICOM_CASES, ids=[c[0] for c in PYDICOM_CASES])
def test_pydicom_test_file_decodes_like_pydicom_on_cpython(codec_page, site, name, sha, lossy):
    url = staged_url(codec_page, site, name, (PYDICOM_TEST_FILES / name).read_bytes())
    r = browser_decode(codec_page, url, name)
    assert r.get("ok"), r.get("errors") or r.get("error")
    if r["sha256"] == sha:
        return
    assert lossy, f"{name}: lossless data decoded to other pixels than pydicom on CPython"
    got = decoded(browser_decode(codec_page, url, name, pixels=True))
    ref = cpython_pixels(PYDICOM_TEST_FILES / name)
    diff = np.abs(got.astype(np.int64) - ref.reshape(got.shape).astype(np.int64)).max()
    assert diff <= LOSSY_FLOOR, f"{name}: max |browser − pydicom+Pillow| = {diff}"
