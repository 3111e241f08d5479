"""Tag browser rows: every element pydicom reads, in file order, as text; sequences nested; bad values explained."""
import pydicom
import pytest

from conftest import data_path
from venos import api
from venos.dicom.tags import MAX_VALUE_CHARS, format_value, tag_rows
from venos.dicom.parse import read_dataset

CT = "dcm_qa_ct/GE/01.dcm"


@pytest.fixture(autouse=True)
def fresh():
    api.clear()
    yield
    api.clear()


def rows_of(rel, **kw):
    raw = data_path(rel).read_bytes()
    parsed = read_dataset(raw, source=rel)
    return tag_rows(parsed.dataset, parsed.pixels, parsed.head, **kw)


def test_every_top_level_element_pydicom_reads_is_listed_in_order_meta_first():
    ref = pydicom.dcmread(data_path(CT))
    out = rows_of(CT)
    top = [r for r in out["rows"] if r["depth"] == 0]
    want = [e.tag for e in ref.file_meta] + [e.tag for e in ref]  # includes Pixel Data, last
    assert [r["tag"] for r in top] == [f"({t.group:04X},{t.element:04X})" for t in want]
    assert not out["truncated"]
    by_kw = {r["keyword"]: r for r in top}
    assert by_kw["PatientName"]["value"] == str(ref.PatientName) and by_kw["PatientName"]["vr"] == "PN"
    assert by_kw["Rows"]["value"] == "512" and by_kw["Rows"]["name"] == "Rows"
    assert by_kw["ImagePositionPatient"]["value"] == "\\".join(str(v) for v in ref.ImagePositionPatient)
    assert by_kw["ImagePositionPatient"]["value"].startswith("-125.0000000\\")  # DS text as stored
    assert by_kw["TransferSyntaxUID"]["value"] == str(ref.file_meta.TransferSyntaxUID)
    pix = top[-1]
    assert pix["keyword"] == "PixelData" and pix["vr"] == ref["PixelData"].VR
    assert pix["length"] == len(ref.PixelData) and pix["value"] == f"{len(ref.PixelData)} bytes"


def test_sequences_list_their_items_one_level_deeper():
    ref = pydicom.dcmread(data_path("pydicom-data/mlut_18.dcm"))
    out = rows_of("pydicom-data/mlut_18.dcm")
    i = next(k for k, r in enumerate(out["rows"]) if r["keyword"] == "ModalityLUTSequence")
    seq, item, first = out["rows"][i:i + 3]
    assert seq["vr"] == "SQ" and seq["value"] == f"{len(ref.ModalityLUTSequence)} item" and seq["depth"] == 0
    assert item["name"] == "Item 1" and item["tag"] == "(FFFE,E000)" and item["depth"] == 1
    inner = [r for r in out["rows"][i + 2:] if r["depth"] == 2][: len(ref.ModalityLUTSequence[0])]
    assert [r["keyword"] for r in inner] == [e.keyword for e in ref.ModalityLUTSequence[0]]
    data = next(r for r in inner if r["keyword"] == "LUTData")
    lut = ref.ModalityLUTSequence[0].LUTData
    assert data["value"] == format_value(lut)
    assert data["value"].startswith(f"{len(lut)} bytes: " if isinstance(lut, bytes) else str(lut[0]))


def test_long_and_binary_values_are_cut_and_say_so():
    assert format_value(b"\x00\x01" * 20) == "40 bytes: " + " ".join(["00", "01"] * 8) + " …"
    text = format_value("x" * (MAX_VALUE_CHARS + 10))
    assert text.startswith("x" * MAX_VALUE_CHARS) and text.endswith(f"({MAX_VALUE_CHARS + 10} characters)")
    assert format_value(None) == "" and format_value(["A", "B"]) == "A\\B"


def test_row_limit_says_the_list_was_cut():
    out = rows_of(CT, max_rows=10)
    assert len(out["rows"]) == 10 and out["truncated"]


def test_a_value_that_cannot_be_read_is_listed_with_the_reason():
    ds = pydicom.Dataset()
    ds.add(pydicom.dataelem.RawDataElement(pydicom.tag.Tag(0x00280010), "US", 3, b"\x01\x02\x03", 0, False, True))
    ds.add(pydicom.dataelem.RawDataElement(pydicom.tag.Tag(0x00280011), "US", 2, b"\x00\x02", 0, False, True))
    rows = tag_rows(ds)["rows"]
    assert rows[0]["tag"] == "(0028,0010)" and rows[0]["value"].startswith("(cannot be read")
    assert rows[1]["value"] == "512"  # the next element is still listed


def test_api_lists_the_file_of_a_slice_and_explains_images_without_elements():
    raw = data_path(CT).read_bytes()
    sid = api.add_file("01.dcm", raw)["series"]
    out = api.tags(sid, 0)
    assert out["source"] == "01.dcm" and out["note"] == "" and len(out["rows"]) > 50
    img = api.add_image("photo.png", 2, 1, bytes(8))["series"]
    assert api.tags(img, 0)["note"].startswith("A JPEG or PNG image")
