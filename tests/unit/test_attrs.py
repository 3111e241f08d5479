"""The fast raw-element reader in dicom.values gives the values pydicom gives, for every file in the shared set."""
import json
import warnings

import pydicom
import pytest

from conftest import DATA
from venos.dicom import attrs, values

KEYWORDS = ["Rows", "Columns", "BitsAllocated", "BitsStored", "PixelRepresentation", "SamplesPerPixel",
            "NumberOfFrames", "PhotometricInterpretation", "Modality", "SOPClassUID", "SOPInstanceUID",
            "SeriesInstanceUID", "StudyInstanceUID", "StudyDate", "InstanceNumber", "SeriesNumber",
            "RescaleSlope", "RescaleIntercept", "WindowCenter", "WindowWidth", "ImagePositionPatient",
            "ImageOrientationPatient", "PixelSpacing", "SliceThickness", "PlanarConfiguration"]
MANIFEST = json.loads((DATA / "manifest.json").read_text()) if (DATA / "manifest.json").exists() else {"files": []}


def norm(v):
    if v is None or v == "":
        return None
    if isinstance(v, (list, tuple)) or type(v).__name__ == "MultiValue":
        return [norm(x) for x in v]
    if isinstance(v, (int, float)) or type(v).__name__ in ("DSfloat", "IS", "DSdecimal"):
        return float(v)
    s = str(v).strip(" \x00")
    try:
        return float(s)
    except ValueError:
        return s


def _read_twice_and_compare(entry, keywords, expected_of, got_of):
    """Read a shared file twice with pydicom: one copy's values through VeNOS's reader, the other's through pydicom
    (a value pydicom itself cannot convert is not compared; VeNOS must not crash on it either)."""
    path = DATA / entry["path"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            fast = pydicom.dcmread(path, stop_before_pixels=True, force=True)
            slow = pydicom.dcmread(path, stop_before_pixels=True, force=True)
        except Exception:
            pytest.skip("pydicom cannot read it")
        for kw in keywords:
            try:
                expected = expected_of(slow, kw)
            except Exception:
                got_of(fast, kw)
                continue
            assert got_of(fast, kw) == expected, kw


READABLE = [pytest.param(f, id=f["path"]) for f in MANIFEST["files"] if f.get("readable_by_pydicom")]


@pytest.mark.parametrize("entry", READABLE)
def test_fast_reader_matches_pydicom(entry):
    _read_twice_and_compare(entry, KEYWORDS, lambda ds, kw: norm(ds.get(kw)), lambda ds, kw: norm(values.get(ds, kw)))


@pytest.mark.parametrize("rel,want", [
    ("cornerstone3D/CTImage.dcm_JPEGProcess1TransferSyntax_1.2.840.10008.1.2.4.50.dcm",
     "Lossy compression 8.87:1 (ISO_10918_1)"),
    # stored uncompressed now, but the file says its pixels went through JPEG once: still lossy
    ("cornerstone3D/US-YBR_FULL_422-EVRLE.dcm", "Lossy compression 13:1 (ISO_10918_1)"),
    ("cornerstone3D/TestPattern_JPEG-LS-NearLossless.dcm", "Lossy compression 11.1:1 (ISO_14495_1)"),
    # JPEG 2000 may be lossless or not: here the file says lossy, without a method (the syntax does not tell)
    ("cornerstone3D/CTImage.dcm_JPEG2000TransferSyntax_1.2.840.10008.1.2.4.91.dcm", "Lossy compression 3.81:1"),
    ("dcm_qa_frag/5001_anat-T1w_acq-tfl/5001001.dcm", ""),  # JPEG lossless, Lossy Image Compression 00
    ("dcm_qa_ct/GE/01.dcm", ""),
])
def test_lossy_compression_is_reported(rel, want):
    from venos.dicom.parse import read_dataset

    parsed = read_dataset((DATA / rel).read_bytes(), source=rel)
    info = attrs.image_info(parsed.dataset, source=rel, pixels=parsed.pixels)
    assert info.lossy == want


def test_a_lossy_syntax_is_reported_even_when_the_file_says_otherwise():
    ds = pydicom.Dataset()
    ds.LossyImageCompression = "00"  # not updated when the file was re-encoded
    assert attrs.lossy_note(ds, "1.2.840.10008.1.2.4.50") == "Lossy compression (JPEG baseline)"
    assert attrs.lossy_note(ds, "1.2.840.10008.1.2.1") == ""
    ds.LossyImageCompression = "01"
    ds.LossyImageCompressionRatio = [10, 2.5]
    ds.LossyImageCompressionMethod = ["ISO_10918_1", "ISO_15444_1"]
    assert attrs.lossy_note(ds, "1.2.840.10008.1.2.1") == \
        "Lossy compression 10:1 then 2.5:1 (ISO_10918_1\\ISO_15444_1)"


def test_pixel_padding_is_read_as_stored_values():
    ds = pydicom.Dataset()
    assert attrs.pixel_padding(ds, 16, 1) is None
    ds.PixelPaddingValue = 63536  # -2000 written as US in a signed image (fo-dicom GH1308)
    assert attrs.pixel_padding(ds, 16, 1) == (-2000, -2000)
    assert attrs.pixel_padding(ds, 16, 0) == (63536, 63536)
    ds.PixelPaddingRangeLimit = 63000
    assert attrs.pixel_padding(ds, 16, 0) == (63000, 63536)


def test_default_window_leaves_padding_out():
    from venos import api

    rel = "dicomParser/CT1_UNC.implicit_little_endian.dcm"  # no window in the file; padding -2000
    ref = pydicom.dcmread(DATA / rel)
    api.clear()
    sid = api.add_file("ct1.dcm", (DATA / rel).read_bytes())["series"]
    meta, _ = api.render({"series": sid, "slice": 0})
    arr = ref.pixel_array
    kept = arr[arr != int(ref.PixelPaddingValue)]
    lo = float(kept.min()) * float(ref.RescaleSlope) + float(ref.RescaleIntercept)
    hi = float(kept.max()) * float(ref.RescaleSlope) + float(ref.RescaleIntercept)
    step = abs(float(ref.RescaleSlope))
    assert (arr == -2000).any() and "WindowCenter" not in ref
    assert meta["state"]["width"] == pytest.approx(hi - lo + step)
    assert meta["state"]["center"] == pytest.approx((lo + hi + step) / 2)
    api.clear()


def test_pixel_aspect_from_spacing_else_pixel_aspect_ratio():
    ds = pydicom.Dataset()
    assert attrs.pixel_aspect(ds, (2.0, 1.0)) == 2.0  # rows 2 mm apart, columns 1 mm: pixels twice as tall
    assert attrs.pixel_aspect(ds, None) == 1.0
    ds.PixelAspectRatio = [4, 3]
    assert attrs.pixel_aspect(ds, None) == pytest.approx(4 / 3)
    assert attrs.pixel_aspect(ds, (0.5, 0.5)) == 1.0  # the spacing wins
    ds.PixelAspectRatio = [1, 50]
    assert attrs.pixel_aspect(ds, None) == 1.0  # not an image's pixel: ignored


def test_pixel_aspect_ratio_of_a_real_file():
    from venos.dicom.parse import read_dataset

    rel = "pydicom-data/color-pl.dcm"
    parsed = read_dataset((DATA / rel).read_bytes(), source=rel)
    info = attrs.image_info(parsed.dataset, source=rel, pixels=parsed.pixels)
    assert info.aspect == pytest.approx(4 / 3)


TEXT_KEYWORDS = ["PatientName", "PatientID", "StudyDescription", "SeriesDescription", "RescaleType",
                 "InstitutionName", "ReferringPhysicianName", "Manufacturer",
                 "ProtocolName", "StationName", "OperatorsName", "PerformingPhysicianName"]  # LO, SH, PN


def slow_text(ds, kw):
    """values.text as it was before its raw-bytes path: pydicom converts, then the text is joined and stripped."""
    v = ds.get(kw)
    if v is None:
        return ""
    if isinstance(v, (list, tuple)) or type(v).__name__ == "MultiValue":
        return "\\".join(str(x) for x in v)
    return str(v).strip()


@pytest.mark.parametrize("entry", READABLE)
def test_text_read_from_raw_bytes_matches_pydicom(entry):
    _read_twice_and_compare(entry, TEXT_KEYWORDS, slow_text, values.text)


def _written(charset, elements, *, implicit=False):
    """A data set written and read back with pydicom, so its elements are raw bytes as in a loaded file."""
    from io import BytesIO

    from pydicom.dataset import FileMetaDataset
    from pydicom.uid import ExplicitVRLittleEndian, ImplicitVRLittleEndian

    ds = pydicom.Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ImplicitVRLittleEndian if implicit else ExplicitVRLittleEndian
    if charset is not None:
        ds.add_new(0x00080005, "CS", charset)
    for tag, vr, raw in elements:
        ds.add(pydicom.DataElement(tag, vr, raw))  # bytes: written as they are
    buf = BytesIO()
    ds.save_as(buf, implicit_vr=implicit, little_endian=True, enforce_file_format=False)
    return buf.getvalue()


@pytest.mark.parametrize("implicit", [False, True])
@pytest.mark.parametrize("charset,raw", [
    (None, b"Doe^John"), (None, b"  Doe^John  "), (None, b"Doe^J\xe9r\xf4me\x00"), ("ISO_IR 100", b"M\xfcller^Anna"),
    ("ISO_IR 192", "Müller^Ænne".encode()), ("ISO_IR 192", b"bad \xff utf-8"), ("ISO_IR 6", b"Plain^Name"),
    ("ISO 2022 IR 87", b"Yamada^Tarou=\x1b$B;3ED\x1b(B^\x1b$BB@O:\x1b(B"), (None, b"A^B=C^D"), (None, b"A^B\\C^D "),
    (None, b""), (["", "ISO 2022 IR 100"], b"Caf\xe9"), ("ISO_IR 144", b"\xb8\xd2\xd0\xdd"),
])
def test_text_of_crafted_values_matches_pydicom(charset, raw, implicit):
    from venos.dicom.parse import read_dataset

    lo = raw.replace(b"^", b" ")  # the same bytes as LO (multi-valued at a backslash) and SH
    data = _written(charset, [(0x00100010, "PN", raw), (0x00081030, "LO", lo), (0x0008103E, "LO", lo + b"\\ two "),
                              (0x00081010, "SH", lo[:16])], implicit=implicit)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        fast = read_dataset(b"\0" * 128 + b"DICM" + data[132:] if data[128:132] == b"DICM" else data,
                            source="t").dataset
        slow = pydicom.dcmread(__import__("io").BytesIO(data), force=True)
        for kw in ["PatientName", "StudyDescription", "SeriesDescription", "StationName"]:
            assert values.text(fast, kw) == slow_text(slow, kw), kw
