"""Bad input gets a clear, typed message naming the file; nothing crashes."""
import io

import numpy as np
import pydicom
import pytest

from conftest import data_path
from venos import api


@pytest.fixture(autouse=True)
def fresh():
    api.clear()
    yield
    api.clear()


def test_non_dicom_file_is_skipped_with_reason():
    r = api.add_file("notes.txt", b"hello, this is not DICOM at all" * 10)
    assert not r["ok"] and r["error"]["code"] == "not-dicom" and r["error"]["source"] == "notes.txt"


def test_truncated_file_names_the_problem():
    raw = data_path("dcm_qa_ct/GE/01.dcm").read_bytes()
    r = api.add_file("cut.dcm", raw[: len(raw) // 2])
    assert not r["ok"]
    assert r["error"]["code"] == "invalid"
    assert "truncated" in r["error"]["message"]


def test_oversized_dimensions_are_rejected_before_allocation():
    r = api.add_file("oob.dcm", data_path("orthanc-tests/2026-05-26-oob-monochrome-65535.dcm").read_bytes())
    assert not r["ok"] and r["error"]["code"] == "invalid"
    assert "65535" in r["error"]["message"]


def test_deeply_nested_sequences_do_not_crash():
    r = api.add_file("deep.dcm", data_path("orthanc-tests/2026-05-06-Deeply-Nested-Sequence.dcm").read_bytes())
    assert not r["ok"] and r["error"]["code"] in ("invalid", "not-image")


def test_structured_report_is_not_an_image():
    r = api.add_file("sr.dcm", data_path("cornerstone3D/no-pixel-data.dcm").read_bytes())
    assert not r["ok"] and r["error"]["code"] == "not-image"
    assert "Basic Text SR" in r["error"]["message"]


def test_xss_strings_are_kept_verbatim_as_data():
    raw = data_path("orthanc-tests/2017-06-27-XSSInjection.dcm").read_bytes()
    name = '<img src=x onerror=alert("n")>&amp;.dcm'  # the name is data too
    # header only: skipped, under the name exactly as given, with a plain reason that echoes none of the markup
    r = api.add_file(name, raw)
    assert not r["ok"] and r["error"]["source"] == name and r["error"]["code"] == "invalid"
    assert "no Pixel Data" in r["error"]["message"]
    assert "<" not in r["error"]["message"] and "&" not in r["error"]["message"]
    assert api.skipped() == [r["error"]]
    # with pixels the same header loads, and its hostile strings come back exactly as pydicom reads them:
    # neither escaped nor stripped here (the page puts them in the DOM as text)
    ds = pydicom.dcmread(io.BytesIO(raw), force=True)
    assert "<script>" in str(ds.PatientName)  # the file is still the hostile one
    ds.file_meta.TransferSyntaxUID = pydicom.uid.ExplicitVRLittleEndian
    ds.Rows = ds.Columns = 4
    ds.PixelData = np.arange(16, dtype=np.int16).tobytes()
    ds["PixelData"].VR = "OW"
    buf = io.BytesIO()
    ds.save_as(buf, enforce_file_format=True)
    api.clear()
    assert api.add_file(name, buf.getvalue())["ok"]
    (s,) = api.series()
    assert s["patientName"] == str(ds.PatientName)
    assert s["description"] == ds.SeriesDescription and s["studyDescription"] == ds.StudyDescription
    assert api.tags(s["id"], 0)["source"] == name


def test_unsupported_transfer_syntax_names_file_and_syntax():
    # JPEG-LS needs a codec; on CPython without pylibjpeg/pyjpegls there is none
    from pydicom.pixels import get_decoder
    if get_decoder("1.2.840.10008.1.2.4.80").is_available:
        pytest.skip("a JPEG-LS decoder is installed on this CPython")
    r = api.add_file("jls.dcm", data_path("pydicom-data/emri_small_jpeg_ls_lossless.dcm").read_bytes())
    assert not r["ok"] and r["error"]["code"] == "unsupported-transfer-syntax"
    assert "JPEG-LS Lossless" in r["error"]["message"] and r["error"]["source"] == "jls.dcm"


def test_a_deflated_bomb_is_refused_before_pydicom_inflates_it():
    import zlib

    from venos.dicom import parse

    raw = data_path("cornerstone3D/CTImage.dcm_DeflatedExplicitVRLittleEndianTransferSyntax_1.2.840.10008.1.2.1.99"
                    ".dcm").read_bytes()
    assert api.add_file("dfl.dcm", raw)["ok"]  # a real deflated file reads as before
    # its file meta, then a deflate stream of zeros (under 1 MB) that inflates past the limit
    meta_end = 144 + int.from_bytes(raw[140:144], "little")
    c = zlib.compressobj(9, zlib.DEFLATED, -zlib.MAX_WBITS)
    bomb = c.compress(b"\0" * (parse.MAX_INFLATED + 2**20)) + c.flush()
    assert len(bomb) < 2**20
    api.clear()
    r = api.add_file("bomb.dcm", raw[:meta_end] + bomb)
    assert not r["ok"] and r["error"]["code"] == "invalid" and "inflates past 512 MB" in r["error"]["message"]
    assert r["error"]["source"] == "bomb.dcm"
