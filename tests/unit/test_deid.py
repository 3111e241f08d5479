"""De-identification of a real CT series with an identifying value planted in every attribute of PS3.15 Table E.1-1
that pydicom's dictionary knows, in nested items and in private tags: nothing planted may survive except what an
option keeps; UIDs are remapped consistently across the series; dates move by one offset; verify() agrees."""
from __future__ import annotations

import datetime as dt
import io
import json
from pathlib import Path

import pydicom
import pytest
from pydicom.datadict import dictionary_VR
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence

from venos.deid import Context, Options, by_study, deidentify_bytes, table, verify
from venos.errors import VenosError

DATA = Path(__file__).resolve().parents[2].parent / "shared/data/dicom"
if not (DATA / "manifest.json").exists():
    DATA = Path("/work/shared/data/dicom")
GE = sorted((DATA / "dcm_qa_ct/GE").glob("*.dcm"))
OFFSET = -10000  # far enough that no shifted planted date equals another planted one
BASE_DATE = dt.date(1950, 1, 1)
ALL = Options(modified_dates=True, patient_characteristics=True, device_identity=True, clean_descriptors=True,
              date_offset_days=OFFSET)
REAL_UIDS = {0x0020000D, 0x0020000E, 0x00080018, 0x00200052}  # kept real: their consistency is what is tested


def marker(tag: int, prefix: str = "PLT-") -> str:
    """A distinctive, digit-free text for a tag (digits would be cut by Clean Descriptors' number rule)."""
    return prefix + f"{tag:08X}".translate(str.maketrans("0123456789", "GHIJKLMNOP"))


def planted_date(index: int) -> str:
    return (BASE_DATE + dt.timedelta(days=index)).strftime("%Y%m%d")


def plant_value(tag: int, vr: str, index: int):
    vr = vr.split(" or ")[0]
    if vr in ("PN", "LO", "SH", "LT", "ST", "UT", "UC", "AE"):
        return marker(tag)
    if vr == "CS":
        return marker(tag, "PLT_").replace("-", "_")
    if vr == "DA":
        return planted_date(index)
    if vr == "DT":
        return planted_date(index) + "101500"
    if vr == "TM":
        return "101500"
    if vr == "UI":
        return f"1.2.826.0.1.3680043.10.999.{index + 1}"
    if vr == "AS":
        return "042Y"
    if vr in ("DS", "IS"):
        return "4242"
    if vr in ("US", "SS", "UL", "SL"):
        return 4242
    if vr == "UR":
        return "http://planted.example/" + marker(tag)
    if vr in ("OB", "OW", "UN"):
        return marker(tag).encode()
    raise AssertionError(vr)


def plant(ds: Dataset, *, reference: str, frame_of_reference: str) -> dict[int, object]:
    """Put a planted value in every table attribute pydicom knows (into the file meta for group 0002; group 0000,
    command elements, is skipped: it has no place in a file). Returns tag → planted value."""
    planted = {}
    for index, (tag, row) in enumerate(sorted(table.rows().items())):
        group = tag >> 16
        if group == 0x0000 or tag in REAL_UIDS or tag == 0x00020003:
            continue
        vr = dictionary_VR(tag)
        if vr == "SQ":
            item = Dataset()
            item.PersonName = marker(tag, "PLS-")  # (0040,A123) D inside every kept sequence
            item.ReferencedSOPInstanceUID = reference
            item.add_new(0x00091010, "LO", marker(tag, "PRV-"))  # private without creator: removed all the same
            ds.add_new(tag, "SQ", Sequence([item]))
            planted[tag] = item
            continue
        value = plant_value(tag, vr, index)
        target = ds.file_meta if group == 0x0002 else ds
        target.add_new(tag, vr.split(" or ")[0], value)
        planted[tag] = value
    # Curves, overlay comments and data (the table's ranges), private tags, nested references and a deep item.
    ds.add_new(0x50002500, "LO", marker(0x50002500))
    ds.add_new(0x60000010, "US", 2)
    ds.add_new(0x60000011, "US", 2)
    ds.add_new(0x60004000, "LT", marker(0x60004000))
    ds.add_new(0x60003000, "OW", marker(0x60003000).encode())
    ds.add_new(0x00090010, "LO", "VENOS TEST")
    ds.add_new(0x00091001, "LO", marker(0x00091001, "PRV-"))
    deep = Dataset()
    deep.PatientName = marker(0x00100010, "DEEP-")
    deep.StudyDate = planted_date(7)
    deep.FrameOfReferenceUID = frame_of_reference
    inner = Dataset()
    inner.ReferencedSOPInstanceUID = reference
    deep.SourceImageSequence = Sequence([inner])
    ds.AnatomicRegionSequence = Sequence([deep])  # a sequence the table does not name: walked all the same
    ds.ReferencedImageSequence[0].ReferencedFrameOfReferenceUID = frame_of_reference
    return planted


def planted_series():
    """The GE series as (name, original bytes) with planted values; each file refers to the next one's SOP
    Instance UID."""
    originals = [pydicom.dcmread(p) for p in GE]
    out = []
    for i, ds in enumerate(originals):
        nxt = originals[(i + 1) % len(originals)]
        plant(ds, reference=str(nxt.SOPInstanceUID), frame_of_reference=str(ds.FrameOfReferenceUID))
        buf = io.BytesIO()
        ds.save_as(buf, enforce_file_format=True)
        out.append((GE[i].name, buf.getvalue()))
    return out


@pytest.fixture(scope="module")
def series():
    assert len(GE) >= 20, f"the GE CT series is expected under {DATA / 'dcm_qa_ct/GE'}"
    return planted_series()


@pytest.fixture(scope="module")
def basic(series):
    return run(series, Options())


@pytest.fixture(scope="module")
def everything(series):
    return run(series, ALL)


def run(series, options, context=None):
    context = context or Context()
    outs = [deidentify_bytes(data, name, options=options, context=context) for name, data in series]
    return context, [o for o, _r in outs], [r for _o, r in outs]


def allowed(options: Options) -> set[int]:
    """Tags whose planted text may survive under ``options``: kept (K), or cleaned text that holds no identifier."""
    keep = set()
    for tag, row in table.rows().items():
        code = table.concrete(row.action(options.enabled))
        vr = dictionary_VR(tag)
        if code == "K" or (code == "C" and vr in ("LO", "SH", "ST", "LT", "UT", "UC", "PN", "CS")):
            keep.add(tag)
    return keep


def survivors(data: bytes, planted: dict[int, object]) -> set[int]:
    found = set()
    for tag, value in planted.items():
        if isinstance(value, Dataset):
            continue
        needle = value if isinstance(value, bytes) else str(value).encode()
        if isinstance(value, int) or dictionary_VR(tag) in ("TM", "DS", "IS", "AS"):
            continue  # numbers and times recur by chance; checked attribute by attribute below
        if needle in data:
            found.add(tag)
    return found


def test_planting_reaches_every_table_attribute_pydicom_knows(series):
    ds = pydicom.dcmread(io.BytesIO(series[0][1]))
    meta_and_data = {int(e.tag) for e in ds.iterall()} | {int(e.tag) for e in ds.file_meta}
    named = {t for t in table.rows() if t >> 16 != 0}
    assert named - meta_and_data == set()
    assert len(named) > 600


def test_basic_profile_leaves_no_planted_value(series, basic):
    planted = plant(pydicom.dcmread(GE[0]), reference="1.2.3", frame_of_reference="1.2.3")
    _context, outs, _reports = basic
    for (name, original), out in zip(series, outs):
        assert b"PLT-" not in out and b"PLT_" not in out and b"PLS-" not in out, name
        assert b"PRV-" not in out and b"DEEP-" not in out and b"VENOS TEST" not in out, name
        assert survivors(out, planted) == set(), name
        assert b"1.2.826.0.1.3680043.10.999." not in out, name  # every planted UID remapped
        assert verify(original, out, Options()) == [], name
        ds = pydicom.dcmread(io.BytesIO(out))
        assert ds.PatientIdentityRemoved == "YES"
        assert ds.LongitudinalTemporalInformationModified == "REMOVED"
        assert [(c.CodeValue, c.CodingSchemeDesignator) for c in ds.DeidentificationMethodCodeSequence] == [
            ("113100", "DCM")]
        assert "Basic Application Confidentiality Profile" in list(ds.DeidentificationMethod)
        assert ds.PatientName == "" and ds.PatientID == "" and ds.StudyDate == ""
        assert "PatientAge" not in ds and "StationName" in ds and ds.StationName == ""  # X, and X/Z/D → Z
        assert not any(t.group % 2 for t in ds.keys())
        assert not any(t.group in range(0x5000, 0x5100) or t.group in range(0x6000, 0x6100) for t in ds.keys())


def test_uids_are_remapped_consistently_across_the_series(series, basic):
    _ctx, outs, _r = basic
    orig = [pydicom.dcmread(io.BytesIO(d)) for _n, d in series]
    new = [pydicom.dcmread(io.BytesIO(o)) for o in outs]
    assert len({d.StudyInstanceUID for d in new}) == 1 and len({d.SeriesInstanceUID for d in new}) == 1
    assert new[0].StudyInstanceUID != orig[0].StudyInstanceUID
    assert new[0].SeriesInstanceUID != orig[0].SeriesInstanceUID
    assert len({d.SOPInstanceUID for d in new}) == len(new)
    assert len({d.FrameOfReferenceUID for d in new}) == 1 and new[0].FrameOfReferenceUID != orig[0].FrameOfReferenceUID
    for i, d in enumerate(new):
        assert not {d.SOPInstanceUID} & {o.SOPInstanceUID for o in orig}
        assert d.file_meta.MediaStorageSOPInstanceUID == d.SOPInstanceUID
        assert d.SOPClassUID == orig[i].SOPClassUID  # well-known UIDs kept
        assert d.file_meta.TransferSyntaxUID == orig[i].file_meta.TransferSyntaxUID
        assert d.SOPInstanceUID.startswith("2.25.") and len(d.SOPInstanceUID) <= 64
        following = new[(i + 1) % len(new)].SOPInstanceUID
        assert d.ReferencedImageSequence[0].ReferencedSOPInstanceUID == following  # X/Z/U*: kept, remapped
        assert d.ReferencedImageSequence[0].ReferencedFrameOfReferenceUID == d.FrameOfReferenceUID
        deep = d.AnatomicRegionSequence[0]
        assert deep.SourceImageSequence[0].ReferencedSOPInstanceUID == following
        assert deep.FrameOfReferenceUID == d.FrameOfReferenceUID and deep.PatientName == ""


def test_pixel_data_is_copied_bit_exact(series, basic):
    _ctx, outs, _r = basic
    for (_n, original), out in zip(series, outs):
        assert pydicom.dcmread(io.BytesIO(out)).PixelData == pydicom.dcmread(io.BytesIO(original)).PixelData


def test_all_options_keep_what_they_name_and_nothing_else(series, everything):
    planted = plant(pydicom.dcmread(GE[0]), reference="1.2.3", frame_of_reference="1.2.3")
    keep = allowed(ALL)
    _ctx, outs, _r = everything
    for (name, original), out in zip(series, outs):
        assert survivors(out, planted) <= keep, name
        assert verify(original, out, ALL) == [], name
        ds = pydicom.dcmread(io.BytesIO(out))
        assert ds.LongitudinalTemporalInformationModified == "MODIFIED"
        assert sorted(c.CodeValue for c in ds.DeidentificationMethodCodeSequence) == [
            "113100", "113105", "113107", "113108", "113109"]
        # Retain Patient Characteristics, Retain Device Identity: K
        for keyword in ("PatientAge", "PatientSex", "PatientWeight", "PatientSize", "EthnicGroup", "SmokingStatus",
                        "StationName", "DeviceSerialNumber", "DetectorID", "DeviceLabel"):
            tag = pydicom.datadict.tag_for_keyword(keyword)
            assert ds[tag].value == planted[tag], keyword
        # Clean Descriptors: descriptors kept (no identifier in them); AE titles: a stable pseudonym
        assert ds.SeriesDescription == planted[0x0008103E] and ds.StudyDescription == planted[0x00081030]
        assert ds.StationAETitle != planted[0x00080055] and len(ds.StationAETitle) <= 16
        # never kept, whatever the options
        for keyword in ("PatientName", "PatientID", "InstitutionName", "OperatorsName", "AccessionNumber"):
            assert str(ds.get(keyword, "")) == "", keyword
        assert "PatientAddress" not in ds and "OtherPatientIDs" not in ds


def test_dates_move_by_one_offset_in_every_file(everything):
    _ctx, outs, _r = everything
    order = {t: i for i, t in enumerate(sorted(table.rows()))}
    for out in outs:
        ds = pydicom.dcmread(io.BytesIO(out))
        for keyword in ("StudyDate", "SeriesDate", "AcquisitionDate", "ContentDate", "PatientBirthDate"):
            tag = pydicom.datadict.tag_for_keyword(keyword)
            if keyword == "PatientBirthDate":
                assert ds[tag].value == ""  # Z: no option retains it
                continue
            want = (dt.datetime.strptime(planted_date(order[tag]), "%Y%m%d") + dt.timedelta(days=OFFSET))
            assert ds[tag].value == want.strftime("%Y%m%d"), keyword
        tag = 0x0008002A  # AcquisitionDateTime: the date part shifts, the time stays
        want = dt.datetime.strptime(planted_date(order[tag]), "%Y%m%d") + dt.timedelta(days=OFFSET)
        assert ds[tag].value == want.strftime("%Y%m%d") + "101500"
        assert ds.AnatomicRegionSequence[0].StudyDate == (BASE_DATE + dt.timedelta(days=7 + OFFSET)).strftime("%Y%m%d")


def test_a_drawn_offset_is_the_same_for_every_file_of_a_context(series):
    context = Context()
    options = Options(modified_dates=True)
    outs = [deidentify_bytes(d, n, options=options, context=context)[0] for n, d in series[:3]]
    dates = {pydicom.dcmread(io.BytesIO(o)).StudyDate for o in outs}
    assert len(dates) == 1
    shift = (dt.datetime.strptime(dates.pop(), "%Y%m%d").date() - dt.datetime.strptime(
        pydicom.dcmread(io.BytesIO(series[0][1])).StudyDate, "%Y%m%d").date()).days
    assert shift == context.date_offset(options) and -3650 <= shift <= -365


def test_uid_map_is_keyed_by_the_context_secret():
    a, b = Context(), Context()
    uid = "1.2.840.113619.2.1.1.1"
    assert a.uid(uid) == a.uid(uid) != b.uid(uid)
    assert Context(secret=b"k" * 32).uid(uid) == Context(secret=b"k" * 32).uid(uid)
    with pytest.raises(VenosError):
        Context(secret=b"short")
    with pytest.raises(VenosError):
        Options(date_offset_days=1.5)


def test_clean_descriptors_takes_identifiers_out_of_descriptors():
    ds = pydicom.dcmread(GE[0])
    ds.PatientName = "Doe^Jane"
    ds.PatientID = "MRN9918"
    ds.SeriesDescription = "BRAIN Doe Jane MRN9918 2019-03-14 555123456"
    buf = io.BytesIO()
    ds.save_as(buf, enforce_file_format=True)
    out, report = deidentify_bytes(buf.getvalue(), "x.dcm", options=Options(clean_descriptors=True),
                                   context=Context())
    assert pydicom.dcmread(io.BytesIO(out)).SeriesDescription == "BRAIN"
    assert report.count("cleaned", "SeriesDescription") == 1


def test_verify_finds_a_broken_output(series):
    name, original = series[0]
    out, _r = deidentify_bytes(original, name, options=Options(), context=Context())
    assert verify(original, out, Options()) == []
    ds = pydicom.dcmread(io.BytesIO(out))
    ds.PatientName = marker(0x00100010)  # the original planted name, put back
    ds.add_new(0x00190010, "LO", "SOME VENDOR")
    del ds.PatientIdentityRemoved
    buf = io.BytesIO()
    ds.save_as(buf, enforce_file_format=True)
    problems = verify(original, buf.getvalue(), Options())
    assert any("PatientName" in p and "kept its original value" in p for p in problems)
    assert any("PatientName" in p and "occurs in the de-identified file's bytes" in p for p in problems)
    assert any("(0019,0010)" in p for p in problems)
    assert any("Patient Identity Removed" in p for p in problems)
    assert verify(original, b"not dicom", Options())


def test_safe_listed_private_attributes_survive():
    ds = pydicom.dcmread(GE[0])
    block = ds.private_block(0x0019, "GEMS_ACQU_01")
    safe = Options(safe_private=frozenset({(0x0019, "GEMS_ACQU_01", 0x23)}))
    out, _r = deidentify_bytes(open(GE[0], "rb").read(), "x", options=safe, context=Context())
    new = pydicom.dcmread(io.BytesIO(out))
    kept = sorted(t for t in new.keys() if t.group % 2)
    assert kept == [0x00190010, block.get_tag(0x23)]
    assert verify(open(GE[0], "rb").read(), out, safe) == []
    assert verify(open(GE[0], "rb").read(), out, Options())  # the same output is a problem without the list


def test_reports_count_actions_per_file_and_study_without_values(series, everything):
    context, _outs, reports = everything
    first = reports[0]
    assert first.count("emptied", "PatientName") == 2  # the top level's and the nested item's
    assert first.count("removed", "(private)") >= 2
    assert first.count("date shifted", "StudyDate") == 2 and first.count("remapped", "SOPInstanceUID") == 1
    assert first.count("kept", "PatientAge") == 1 and first.count("cleaned", "StationAETitle") == 1
    studies = by_study(context.reports)
    assert list(studies) == [first.study]
    total = studies[first.study]
    assert total.files == len(series) and total.count("emptied", "PatientName") == 2 * len(series)
    text = json.dumps([r.to_dict() for r in reports] + [total.to_dict()])
    assert "PLT" not in text and "PLS" not in text and planted_date(10) not in text
    assert {row["action"] for row in total.rows()} <= {"removed", "emptied", "replaced", "kept", "remapped",
                                                       "date shifted", "cleaned"}


def test_compressed_pixels_keep_their_transfer_syntax():
    path = sorted((DATA / "dcm_qa_frag").rglob("*.dcm"))[0]
    data = path.read_bytes()
    out, _r = deidentify_bytes(data, path.name, options=Options(), context=Context())
    before, after = pydicom.dcmread(io.BytesIO(data)), pydicom.dcmread(io.BytesIO(out))
    assert after.file_meta.TransferSyntaxUID == before.file_meta.TransferSyntaxUID
    assert after.PixelData == before.PixelData
    assert verify(data, out, Options()) == []
