"""The codec registry on CPython, with a Python stand-in for a browser codec (no network, no browser)."""
import numpy as np
import pydicom
import pytest

from conftest import data_path
from venos.dicom.attrs import image_info
from venos.errors import DecodeError, UnsupportedTransferSyntax
from venos.pixels import codecs
from venos.pixels.decode import decode_frame

RLE_FILE = "pydicom-data/emri_small_RLE.dcm"


class PydicomRle:
    """Decodes like a browser codec would (bytes in, frame bytes out), using pydicom's own RLE decoder."""

    def __init__(self):
        self.calls = 0

    def decode(self, src, params):
        from pydicom.pixels.decoders.rle import _rle_decode_frame

        self.calls += 1
        data = _rle_decode_frame(bytes(src), params["rows"], params["columns"], params["samples"],
                                 params["bitsAllocated"])

        class Out:
            pass

        out = Out()
        out.data, out.bits, out.planar, out.rgb = bytes(data), params["bitsAllocated"], 1, False
        return out


@pytest.fixture
def dcmjs():
    codecs.offer(["dcmjs"])
    codecs.take_wanted()
    yield codecs.get("dcmjs")
    codecs.reset("dcmjs")


def load(rel):
    ds = pydicom.dcmread(data_path(rel))
    return ds, image_info(ds, source=rel)


def test_unloaded_codec_raises_codec_not_loaded_and_is_wanted(dcmjs):
    ds, info = load(RLE_FILE)
    with pytest.raises(codecs.CodecNotLoaded) as exc:
        decode_frame(ds, info, 0)
    assert exc.value.codec == "dcmjs" and exc.value.to_dict()["codec"] == "dcmjs"
    assert codecs.take_wanted() == ["dcmjs"] and codecs.take_wanted() == []


def test_ready_codec_serves_decode_frame_and_pixel_array_alike(dcmjs):
    impl = PydicomRle()
    codecs.ready("dcmjs", impl)
    ds, info = load(RLE_FILE)
    expected = pydicom.dcmread(data_path("pydicom-data/emri_small.dcm")).pixel_array
    assert np.array_equal(decode_frame(ds, info, 3), expected[3])
    assert impl.calls == 1
    # pydicom's own entry point reaches the same plugin through its public option (VeNOS picks it per call too)
    ds.pixel_array_options(decoding_plugin=codecs.get("dcmjs").label)
    assert np.array_equal(ds.pixel_array, expected)
    assert impl.calls == 1 + info.frames


def test_failed_codec_names_its_reason(dcmjs):
    codecs.failed("dcmjs", "HTTP 404")
    ds, info = load("dcm_qa_ts/7.dcm")  # JPEG-LS: only dcmjs is offered
    with pytest.raises(UnsupportedTransferSyntax, match="dcmjs decoder failed to load .HTTP 404."):
        decode_frame(ds, info, 0)


def test_preference_order_per_syntax():
    codecs.offer(["dcmjs", "charls", "openjpeg"])
    try:
        assert [c.name for c in codecs.for_syntax(codecs.JPEG_LS_LOSSLESS)] == ["charls", "dcmjs"]
        assert [c.name for c in codecs.for_syntax(codecs.JPEG_BASELINE)] == ["dcmjs"]
        assert codecs.missing_for(codecs.J2K) == "openjpeg"
    finally:
        for n in ("dcmjs", "charls", "openjpeg"):
            codecs.reset(n)


def test_without_browser_codecs_a_compressed_file_says_what_is_missing():
    ds, info = load("dcm_qa_ts/7.dcm")  # JPEG-LS: neither numpy nor Pillow decodes it
    with pytest.raises((UnsupportedTransferSyntax, DecodeError)) as exc:
        decode_frame(ds, info, 0)
    assert "JPEG-LS" in exc.value.message and exc.value.source == "dcm_qa_ts/7.dcm"


def test_a_codec_that_is_not_built_in_registers_and_decodes():
    """The seam: a new codec is one register_codec() call (its pydicom plugin function is made), offered, loaded,
    and preferred for its syntax; pydicom can name it when a syntax lacks it."""
    impl = PydicomRle()
    extra = codecs.register_codec("test-rle", (codecs.RLE,), "a test RLE decoder (pydicom's, through the seam)",
                                  prefer=True)
    try:
        assert hasattr(codecs, "decode_test_rle")
        assert "test-rle" in " ".join(codecs.DECODER_DEPENDENCIES[codecs.RLE])
        codecs.offer(["test-rle"])
        assert codecs.missing_for(codecs.RLE) == "test-rle"
        codecs.ready("test-rle", impl)
        ds, info = load(RLE_FILE)
        expected = pydicom.dcmread(data_path("pydicom-data/emri_small.dcm")).pixel_array
        assert np.array_equal(decode_frame(ds, info, 2), expected[2]) and impl.calls == 1
        assert [c.name for c in codecs.for_syntax(codecs.RLE)][0] == "test-rle"
    finally:
        codecs.reset("test-rle")
        codecs._codecs.pop("test-rle", None)
        codecs.PREFER.pop(codecs.RLE, None)


def test_a_jpeg_ls_stream_without_its_end_marker_is_refused_before_any_codec():
    from venos.pixels import codecs

    ls = codecs.JPEG_LS_LOSSLESS
    stream = b"\xff\xd8\xff\xf7" + b"\x12\x7f" * 100 + b"\xff\xd9"
    codecs.check_stream(ls, stream)  # whole
    codecs.check_stream(ls, stream + b"\0")  # padded to an even length
    codecs.check_stream(ls, stream + b"\xff")  # padded with FF, as a real file in the shared set is
    codecs.check_stream(codecs.JPEG_BASELINE, stream[:50])  # only JPEG-LS is checked
    for bad in (stream[:50], stream[:-1], b"\0\0" + stream[2:], b""):
        with pytest.raises(ValueError, match=codecs.CUT_SHORT):
            codecs.check_stream(ls, bad)


def test_one_codec_table_feeds_the_build_python_and_the_browser():
    """codecs.json is the only place a codec is described: the build ships what it names, Python registers its
    syntaxes in its order, and every entry carries what the browser adapter it names needs to load it."""
    import importlib.util
    import json
    import re
    from pathlib import Path

    root = Path(__file__).resolve().parents[2]
    entries = json.loads(Path(codecs.TABLE).read_text())["codecs"]
    assert [c.name for c in codecs.codecs()][:len(entries)] == [e["name"] for e in entries]
    for e in entries:
        assert codecs.get(e["name"]).syntaxes == tuple(e["syntaxes"])
    spec = importlib.util.spec_from_file_location("venos_build", root / "build.py")
    build = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(build)
    assert [c[0] for c in build.CODECS] == [e["name"] for e in entries]
    assert all(re.fullmatch(r"[0-9a-f]{64}", c[3]) for c in build.CODECS)
    adapters = set(re.findall(r'^\s+(\w+): "\./codecs/\w+\.js"', (root / "app/js/codecworker.js").read_text(), re.M))
    colours = set(re.findall(r'^\s+"?([\w-]+)"?: \(', (root / "app/js/codecs/embind.js").read_text(), re.M))
    assert adapters == {"embind", "dcmjs"} and colours == {"rgb", "j2k-mct", "interleave-mode"}
    for e in entries:
        assert e["adapter"] in adapters, e["name"]
        if e["adapter"] == "embind":
            assert e["class"] and e["colour"] in colours, e["name"]
        else:  # dcmjs: a C entry point for every syntax the table says it decodes
            assert set(e["entry"]) == set(e["syntaxes"]), e["name"]


def test_a_codec_worker_codec_queues_frames_and_takes_the_answers(monkeypatch):
    """A codec loaded into the codec worker (impl IN_CODEC_WORKER): the first call queues every frame as a job and
    raises CodecBusy; the answers delivered, the next call returns them; an abandoned decode is that frame's error
    at once, not a try of the next codec on the same bytes."""
    from pydicom.pixels.decoders.rle import _rle_decode_frame

    from venos.codec_api import decode_file

    raw = data_path(RLE_FILE).read_bytes()
    codecs.offer(["dcmjs"])
    codecs.ready("dcmjs", codecs.IN_CODEC_WORKER)
    real = codecs.labels_for
    monkeypatch.setattr(codecs, "labels_for", lambda uid, avail: [x for x in real(uid, avail) if x.startswith("venos-")])
    try:
        with pytest.raises(codecs.CodecBusy):
            decode_file("rle.dcm", raw)
        jobs = codecs.take_jobs()
        frames = int(pydicom.dcmread(data_path(RLE_FILE)).NumberOfFrames)
        assert [j["codec"] for j in jobs] == ["dcmjs"] * frames and codecs.take_wanted() == ["dcmjs"]
        assert codecs.take_jobs() == []  # taken once
        for j in jobs:
            p = j["params"]
            data = _rle_decode_frame(bytes(j["src"]), p["rows"], p["columns"], p["samples"], p["bitsAllocated"])
            codecs.deliver(j["key"], bytes(data), p["bitsAllocated"], 1, False)
        out = decode_file("rle.dcm", raw)
        ds = pydicom.dcmread(data_path(RLE_FILE))
        assert out["ok"] and out["shape"] == list(ds.pixel_array.shape)
        import hashlib
        assert out["sha256"] == hashlib.sha256(ds.pixel_array.astype("<u2").tobytes()).hexdigest()
        # abandoned: named, and the frame is not handed to the next codec
        with pytest.raises(codecs.CodecBusy):
            decode_file("rle.dcm", raw)
        for j in codecs.take_jobs():
            codecs.deliver(j["key"], None, error="decoding was abandoned after 5 ms (its time budget)")
        out = decode_file("rle.dcm", raw)
        assert not out["ok"] and "abandoned after 5 ms" in out["errors"][0]["message"]
    finally:
        codecs.forget_jobs()
        codecs.reset("dcmjs")
