"""Decoded arrays equal pydicom's pixel_array (the manifest's hash convention) for every file CPython can check.

Runs the same code the browser runs (native views in place, pydicom's decoders otherwise), on CPython."""
import hashlib

import numpy as np
import pytest

from conftest import DATA, shared_manifest
from venos import api

NATIVE = {"1.2.840.10008.1.2", "1.2.840.10008.1.2.1", "1.2.840.10008.1.2.2", "1.2.840.10008.1.2.1.99", None}


def _cases():
    cases = []
    for f in shared_manifest()["files"]:  # a missing or empty manifest fails the collection, not a silent skip
        ref = (f.get("decode_numpy_pillow_only") or {})
        if ref.get("ok") and f.get("transfer_syntax_uid") in NATIVE:
            cases.append(pytest.param(f, id=f["path"]))
    if not cases:  # the manifest's shape changed: nothing would be checked
        pytest.fail("the manifest lists no natively encoded file with a CPython reference hash", pytrace=False)
    return cases


def decoded(path, name):
    api.clear()
    r = api.add_file(name, path.read_bytes())
    assert r["ok"], r
    s = api._session.series.get(r["series"])
    inst = s.instances[0]
    frames = [api._session.pixels.get(inst.key, inst.info, inst.source, i).pixels for i in range(inst.info.frames)]
    return np.stack(frames) if len(frames) > 1 else frames[0]


@pytest.mark.parametrize("entry", _cases())
def test_native_decode_matches_manifest_hash(entry):
    ref = entry["decode_cpython_all_plugins"]
    assert ref["sha256"] == entry["decode_numpy_pillow_only"]["sha256"]
    arr = decoded(DATA / entry["path"], entry["path"])
    assert list(arr.shape) == ref["shape"]
    assert arr.dtype.name == ref["dtype"]
    le = arr.astype(arr.dtype.newbyteorder("<"), copy=False)
    assert hashlib.sha256(np.ascontiguousarray(le).tobytes()).hexdigest() == ref["sha256"]


def test_a_smaller_frame_budget_evicts_least_recent_frames_at_once():
    from venos.pixels.cache import FrameCache

    cache = FrameCache(budget=10 * 2**20)
    for k in range(4):
        cache.put(k, np.zeros(2**20, np.uint16))  # 2 MB each
    cache.get(0, lambda: None)  # 0 is now the most recent
    cache.set_budget(4 * 2**20)
    assert list(cache._items) == [3, 0] and cache.nbytes == 4 * 2**20 and cache.evictions == 2
    cache.set_budget(0)  # the frame in use stays, as in put()
    assert list(cache._items) == [0]


def test_memory_reports_what_python_holds_and_sets_the_frame_share():
    api.clear()
    files = sorted((DATA / "dcm_qa_ct/GE").glob("*.dcm"))[:3]
    for p in files:
        api.add_file(p.name, p.read_bytes())
    meta, rgba = api.render({"series": api.series()[0]["id"], "slice": 0})
    m = api.memory()
    assert m["frames"] == 512 * 512 * 2 and m["heads"] == sum(min(p.stat().st_size, 16384) for p in files)
    m = api.memory(frame_budget=0)  # the frame in use stays
    assert m["frameBudget"] == 0 and m["frames"] == 512 * 512 * 2
    api.clear()


def test_a_frame_larger_than_the_frames_share_of_the_budget_is_refused_before_decoding():
    api.clear()
    path = sorted((DATA / "dcm_qa_ct/GE").glob("*.dcm"))[0]
    api.memory(frame_budget=100_000)  # less than one 512 × 512 × 16-bit frame
    try:
        out = api.add_file(path.name, path.read_bytes())
        assert not out["ok"] and out["error"]["code"] == "invalid"
        assert "memory budget leaves 0 MB for decoded frames" in out["error"]["message"]
        assert api.series() == []
    finally:
        api.clear()
