"""One memory budget for everything the viewer holds (app/js/memory.js), in the built viewer in Chromium:
stats().memory tells how it is spent, a file that would pass it is a skip naming the figures while the files beside
it load, and the budget can be set from code."""
from __future__ import annotations

import io
import zipfile

import pytest

import hostile

pytestmark = pytest.mark.browser
MB = 2 ** 20


def test_stats_say_how_the_budget_is_spent(viewer, tmp_path):
    viewer.open()
    paths = []
    for name, data in hostile.good_slices(10).items():
        (tmp_path / name).write_bytes(data)
        paths.append(tmp_path / name)
    viewer.load_via_input(paths)
    viewer.page.wait_for_function("venos.frame() !== null")  # a slice was decoded and drawn
    m = viewer.eval("venos.stats()")["memory"]
    parts = m["parts"]
    assert 512 * MB <= m["budget"] <= 2048 * MB
    assert parts["files"] == 0  # local files stay on disk: they cost no memory
    assert parts["heads"] >= 10 * 1024 and parts["frames"] >= 512 * 512 * 2  # ten parsed heads, a decoded slice
    assert m["used"] == sum(parts.values())
    assert m["frameBudget"] == m["budget"] - parts["files"] - parts["heads"] - parts["pinned"] - parts["compressed"]
    assert viewer.eval("venos.stats()")["pixels"]["cache"]["budget"] == m["frameBudget"]


def test_a_file_past_the_budget_is_skipped_and_the_others_load(viewer, tmp_path):
    viewer.open()
    m = viewer.eval(f"venos.setMemoryBudget({256 * MB})")
    assert m["budget"] == 256 * MB and m["fileLimit"] < 256 * MB
    good = hostile.good_slices(11)
    eleventh = good.pop(sorted(good)[-1])
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED) as z:  # 200 MB of zeros: ~0.2 MB on disk
        z.writestr("big.dcm", b"\0" * (200 * MB))
        z.writestr("ok.dcm", eleventh)
    (tmp_path / "big.zip").write_bytes(buf.getvalue())
    paths = [tmp_path / "big.zip"]
    for name, data in good.items():
        (tmp_path / name).write_bytes(data)
        paths.append(tmp_path / name)
    summary = viewer.load_via_input(paths)
    skipped = {s["source"]: s for s in viewer.eval("venos.skipped()")}
    assert list(skipped) == ["big.zip/big.dcm"] and summary["failed"] == 1
    s = skipped["big.zip/big.dcm"]
    assert s["code"] == "memory" and "200 MB" in s["message"] and "memory budget" in s["message"]
    assert viewer.eval("venos.series()")[0]["slices"] == 11  # the ten, and the zip's good member
    m = viewer.eval("venos.stats()")["memory"]
    assert 0 < m["parts"]["files"] < 2 * MB and m["used"] <= m["budget"]  # the member is held in memory


@pytest.mark.parametrize("bad", ["1000", "Infinity", "'lots'"])
def test_a_budget_that_is_not_a_sane_number_is_refused(viewer, bad):
    viewer.open()
    err = viewer.eval(f"venos.setMemoryBudget({bad}).then(() => null, (e) => ({{ code: e.code, message: e.message }}))")
    assert err["code"] == "bad-call" and "256 MB" in err["message"]
