"""A parsing helper worker's answer (venos.parse_api) is what the viewer's own parse gives, for every file in the
shared set it answers for; what it does not answer for, the viewer parses itself."""
import json
import pickle
import warnings


from conftest import DATA
from venos import load, parse_api
from venos.blob import BytesBlob
from venos.dicom.attrs import image_info, is_encapsulated
from venos.dicom.parse import LazyParsed, read_dataset
from venos.session import session

MANIFEST = json.loads((DATA / "manifest.json").read_text()) if (DATA / "manifest.json").exists() else {"files": []}
HEAD = 16 * 1024
FILES = [f for f in MANIFEST["files"] if f.get("readable_by_pydicom")]


def test_the_helpers_answers_are_the_viewers_own_parse_and_only_for_plain_images():
    """Every shared file: where the helper answers, its ImageInfo and pixel location are exactly what the viewer's
    own parse gives; it answers for the uncompressed images (≥ 20 of them) and for nothing compressed."""
    answered = []
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        for f in FILES:
            name, data = f["path"], (DATA / f["path"]).read_bytes()
            answer = parse_api.parse_head(name, data[:HEAD], len(data))
            if answer is None:
                continue
            info, pixels = pickle.loads(answer)
            own = read_dataset(data, source=name)
            assert pixels == own.pixels, name
            assert pickle.dumps(info) == pickle.dumps(image_info(own.dataset, source=name, pixels=own.pixels)), name
            answered.append(info)
    assert len(answered) >= 20
    assert not any(is_encapsulated(i.transfer_syntax) for i in answered)  # compressed: parsed where it is kept
    # a header past the bytes sent, or bytes that are not DICOM: no answer
    assert parse_api.parse_head("x.dcm", b"\0" * 128 + b"DICM" + b"\x02\x00\x10\x00UI", 10**6) is None
    assert parse_api.parse_head("x.txt", b"hello", 5) is None


def test_a_file_the_helper_parsed_is_added_and_its_data_set_is_read_when_asked(tmp_path):
    session.clear()
    f = next(f for f in FILES if f["path"].startswith("dcm_qa_ct/"))
    data = (DATA / f["path"]).read_bytes()
    r = load.add_parsed("helped.dcm", BytesBlob(data), parse_api.parse_head("helped.dcm", data[:HEAD], len(data)))
    assert r["ok"] is True and r["helped"] is True, r
    inst = next(i for s in session.series for i in s.instances if i.info.source == "helped.dcm")
    assert isinstance(inst.source, LazyParsed) and inst.source._read is None  # nothing parsed here yet
    assert inst.source.dataset.SOPInstanceUID == inst.info.sop_instance_uid  # read on demand
    # an answer for another file, or one that is not an answer, and the file is parsed here as usual
    other = load.add_parsed("other.dcm", BytesBlob(data), b"not a pickle")
    assert other["ok"] is False and other["error"]["code"] == "duplicate" and "helped" not in other
