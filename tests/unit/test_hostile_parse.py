"""Every hostile input of tests/hostile.py, through the same `venos.api` calls the browser makes, on CPython.

Per input: the call returns (never raises) within 5 s; a file that cannot be shown is a skip naming the file with
a documented code and a message that is not a Python traceback; a skipped file is in no series; a file that loads
renders each of its slices, answers `tags()` and `value_at()`, or says why with a documented code. The whole set
then goes in one session mixed with good slices: all the good ones load, into one series, with their pixels."""
from __future__ import annotations

import functools
import hashlib
import time
import warnings

import numpy as np
import pydicom
import pytest

import hostile
from venos import api
from venos.errors import VenosError, error_codes

DOCUMENTED = set(error_codes().values()) - {"bad-call"}  # docs/api.md "Error codes"
BUDGET_S = 5.0


@functools.lru_cache(maxsize=1)
def cases() -> list:
    return hostile.all_cases()


@pytest.fixture(autouse=True)
def fresh():
    api.clear()
    warnings.simplefilter("ignore")  # pydicom warns loudly about what these files get wrong: expected here
    yield
    api.clear()


def series_sources() -> set[str]:
    return {inst.info.source for s in api.session.series for inst in s.instances}


def check_call(fn, *args):
    """Run one API call: it returns, or raises a VenosError with a documented code (never anything else)."""
    try:
        return fn(*args)
    except VenosError as exc:
        assert exc.code in DOCUMENTED, f"undocumented code {exc.code!r}: {exc}"
        return None


def check_message(err: dict, name: str) -> None:
    assert err["code"] in DOCUMENTED, err
    assert err["source"] == name
    msg = err["message"]
    assert isinstance(msg, str) and 3 < len(msg) < 600, err
    assert "Traceback" not in msg and "File \"" not in msg, err


@pytest.mark.parametrize("case", range(len(cases())), ids=lambda i: repr(cases()[i]))
def test_hostile_file_is_skipped_with_a_reason_or_shown(case):
    c = cases()[case]
    t0 = time.perf_counter()
    r = api.add_file(c.name, c.data)
    assert isinstance(r, dict) and isinstance(r.get("ok"), bool)
    if not r["ok"]:
        if r.get("plain"):  # a PNG/JPEG: the browser decodes it (the browser test covers that path)
            return
        check_message(r["error"], c.name)
        assert c.name not in series_sources(), "a skipped file became a series"
        assert [s["source"] for s in api.skipped()] == [c.name]
    else:
        (s,) = api.series()
        assert 1 <= s["slices"] <= 20_000
        for i in sorted({0, s["slices"] - 1}):
            meta, rgba = api.render({"series": s["id"], "slice": i})
            if rgba is None:
                if not meta.get("pending"):
                    check_message(meta["error"], c.name)
            else:
                assert rgba.shape == (meta["height"], meta["width"], 4) and rgba.dtype == np.uint8
                check_call(api.value_at, {"series": s["id"], "slice": i}, meta["width"] / 2, meta["height"] / 2)
            check_call(api.tags, s["id"], i)
        check_call(api.thumbnail, s["id"])
    assert time.perf_counter() - t0 < BUDGET_S, f"{c!r} took {time.perf_counter() - t0:.1f} s"


def test_good_files_load_whatever_lies_beside_them():
    good = hostile.good_slices(10)
    names = list(good)
    batch = [(c.name, c.data) for c in cases()]
    step = max(1, len(batch) // len(names))
    for i, name in enumerate(names):  # interleaved: a good file after every run of hostile ones
        batch.insert(i * (step + 1), (name, good[name]))
    t0 = time.perf_counter()
    for name, data in batch:
        assert isinstance(api.add_file(name, data), dict)
    elapsed = time.perf_counter() - t0
    (s,) = [x for x in api.series() if {i.info.source for i in api.session.series.get(x["id"]).instances}
            >= set(names)]
    assert s["slices"] == 10
    # their pixels are the files' own, untouched by what was parsed in between
    for i in range(10):
        got = api.pixel_data(s["id"], i)
        ds = pydicom.dcmread(pydicom.filebase.DicomBytesIO(good[got["source"]]))
        assert hashlib.sha256(bytes(got["data"])).digest() == hashlib.sha256(ds.pixel_array.tobytes()).digest()
    assert not ({n for n in names} & {x["source"] for x in api.skipped()})
    assert elapsed < 60, f"{len(batch)} files took {elapsed:.1f} s"


@pytest.mark.parametrize("body,why", [
    (b"\0" * 50_000_000, "group 0000"),  # zeros after 'DICM': read as a command set, 8 bytes at a time
    (b"\x09\x00\x10\x00LO\x00\x00" * 2_000_000, "more than 100,000 elements"),  # 16 MB of empty elements
])
def test_a_header_that_never_ends_is_refused_in_well_under_a_second(body, why):
    import time

    from venos.dicom.parse import read_dataset
    from venos.errors import InvalidDataset

    t = time.perf_counter()
    with pytest.raises(InvalidDataset, match=why):
        read_dataset(b"\0" * 128 + b"DICM" + body, source="endless.dcm")
    assert time.perf_counter() - t < 1.0
