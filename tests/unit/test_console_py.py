"""The console's Python side on CPython: values, tracebacks, the time budget, show()."""
from __future__ import annotations

import numpy as np

import synthetic as sy
from venos import api


def _loaded():
    api.clear()
    vol = sy.phantom((5, 16, 16), lambda p: p[..., 2] >= 8, value=1124, background=24)
    sid = sy.load(sy.series(vol, positions=sy.stacked(5, 2.0), spacing=(0.5, 0.5)))
    return {"series": sid, "slice": 2}


def test_values_are_the_modality_values_of_the_image_shown():
    st = _loaded()
    r = api.console_run("p = pixels()\n(p.min(), p.max(), p.shape)", st)
    assert r["ok"] and r["output"].replace("np.float64", "").strip() == "((-1000.0), (100.0), (16, 16))"
    assert api.console_run("volume().shape", st)["output"].strip() == "(5, 16, 16)"
    assert api.console_run("measure('length', [[0, 0], [10, 0]])['value']", st)["output"].strip() == "5.0"


def test_errors_are_tracebacks_of_the_users_code_only():
    st = _loaded()
    r = api.console_run("a = 1\nb = a / 0", st)
    assert not r["ok"] and "ZeroDivisionError" in r["error"] and "line 2" in r["error"] and "b = a / 0" in r["error"]
    assert "console.py" not in r["error"]
    assert "RuntimeError" in api.console_run("raise SystemExit", st)["error"]  # the worker is not the user's to stop


def test_a_runaway_loop_is_stopped_by_its_budget_and_the_namespace_stays():
    st = _loaded()
    r = api.console_run("n = 0\nwhile True: n += 1", st, 200)
    assert not r["ok"] and "TimeoutError" in r["error"] and r["ms"] < 2000
    assert api.console_run("n > 0", st)["output"].strip() == "True"
    assert len(api.series()) == 1


def test_show_adds_a_derived_series_with_the_geometry_and_the_values():
    st = _loaded()
    r = api.console_run("show(volume() * 0.5 + 0.25, 'half')", st)
    assert r["ok"] and len(r["added"]) == 1
    new = r["added"][0]
    s = next(x for x in api.series() if x["id"] == new)
    assert s["description"] == "half" and s["slices"] == 5 and s["modality"] == "CT"
    v = api.value_at({"series": new, "slice": 2}, 12, 3)
    assert abs(v["value"] - (100 * 0.5 + 0.25)) < 0.05  # float values kept through the rescale
    assert api.measure("length", {"series": new, "slice": 0}, [[0, 0], [10, 0]])["units"] == "mm"
    bad = api.console_run("show(np.full((2, 2), np.nan), 'x')", st)
    assert not bad["ok"] and "finite" in bad["error"]
    api.clear()
    assert api.console_run("n", {})["ok"] is False  # clear() forgets the console's variables too
