"""Decoded arrays equal pydicom's pixel_array (the manifest's hash convention) for every file CPython can check.

Runs the same code the browser runs (native views in place, pydicom's decoders otherwise), on CPython."""
import hashlib
import json

import numpy as np
import pytest

from conftest import DATA
from venos import api

MANIFEST = json.loads((DATA / "manifest.json").read_text()) if (DATA / "manifest.json").exists() else {"files": []}
NATIVE = {"1.2.840.10008.1.2", "1.2.840.10008.1.2.1", "1.2.840.10008.1.2.2", "1.2.840.10008.1.2.1.99", None}


def _cases():
    for f in MANIFEST["files"]:
        ref = (f.get("decode_numpy_pillow_only") or {})
        if not ref.get("ok") or f.get("transfer_syntax_uid") not in NATIVE:
            continue
        yield pytest.param(f, id=f["path"])


def decoded(path, name):
    api.clear()
    r = api.add_file(name, path.read_bytes())
    assert r["ok"], r
    s = api._session.series.get(r["series"])
    inst = s.instances[0]
    frames = [api._session.pixels.get(inst.key, inst.info, inst.source, i).pixels for i in range(inst.info.frames)]
    return np.stack(frames) if len(frames) > 1 else frames[0]


@pytest.mark.parametrize("entry", list(_cases()))
def test_native_decode_matches_manifest_hash(entry):
    ref = entry["decode_cpython_all_plugins"]
    assert ref["sha256"] == entry["decode_numpy_pillow_only"]["sha256"]
    arr = decoded(DATA / entry["path"], entry["path"])
    assert list(arr.shape) == ref["shape"]
    assert arr.dtype.name == ref["dtype"]
    le = arr.astype(arr.dtype.newbyteorder("<"), copy=False)
    assert hashlib.sha256(np.ascontiguousarray(le).tobytes()).hexdigest() == ref["sha256"]
