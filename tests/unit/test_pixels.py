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
