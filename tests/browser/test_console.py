"""The Python console as a user meets it: typed code runs in the viewer's Python against the loaded CT and gives what
numpy on CPython gives; show() adds a series the tools measure; a runaway loop is stopped by its time budget and the
study stays; code in a link is never run."""
from __future__ import annotations

import numpy as np
import pydicom
import pytest

from conftest import data_path

CT = "dcm_qa_ct/GE"


def _type(page, code: str) -> str:
    """Type code into the console and press Enter; returns what the run printed (output and errors)."""
    before = page.locator("#console-output span").count()
    page.fill("#console-input", code)
    page.press("#console-input", "Enter")
    page.wait_for_function(f"document.querySelectorAll('#console-output span').length > {before + 1}"
                           " && !document.getElementById('console-run').disabled")
    spans = page.locator("#console-output span").all_text_contents()
    return "".join(spans[before + 1:])


def test_a_computation_on_the_loaded_ct_equals_numpy_on_cpython(viewer):
    viewer.open()
    files = sorted(data_path(CT).glob("*.dcm"))[:5]
    viewer.load_via_input(files)
    shown = viewer.eval("venos.viewState()")
    viewer.page.click("#console")
    viewer.page.wait_for_selector("#console-dialog[open]")
    got = _type(viewer.page, "float(pixels().mean()), float(pixels().std()), pixels().shape")
    mean, sd, shape = eval(got.strip().replace("np.float64", ""))  # a tuple of plain numbers, printed by repr
    source = viewer.eval("venos.tags().then((t) => t.source)")
    ds = pydicom.dcmread(next(f for f in files if f.name == source.split("/")[-1]))
    hu = ds.pixel_array * float(ds.RescaleSlope) + float(ds.RescaleIntercept)
    assert shape == hu.shape and mean == pytest.approx(hu.mean(), rel=1e-12) and sd == pytest.approx(hu.std(), rel=1e-12)
    # the dataset, the view and the series are there; a traceback is shown as text
    assert _type(viewer.page, "ds().Modality").strip() == "'CT'"
    assert _type(viewer.page, "view['slice']").strip() == str(shown["slice"])
    err = _type(viewer.page, "x = 1\nx / 0")
    assert "ZeroDivisionError" in err and "line 2" in err and "<b>" not in viewer.page.inner_html("#console-output")
    # history: ↑ brings back the last code
    viewer.page.press("#console-input", "ArrowUp")
    assert viewer.page.input_value("#console-input") == "x = 1\nx / 0"


def test_show_adds_a_series_that_the_tools_measure(viewer):
    viewer.open()
    viewer.load_via_input(sorted(data_path(CT).glob("*.dcm"))[:4])
    before = len(viewer.eval("venos.series()"))
    r = viewer.eval("venos.console.run(\"show(np.where(volume() > 0, 1000, -1000), 'bone mask')\")")
    assert r["ok"], r
    series = viewer.eval("venos.series()")
    assert len(series) == before + 1
    mask = next(s for s in series if s["description"] == "bone mask")
    assert mask["slices"] == 4 and mask["id"] in r["added"]
    assert viewer.eval("venos.viewState().series") == mask["id"]  # shown at once
    # the tools work on it, in mm (the geometry of the series it came from) and in its values
    length = viewer.eval("venos.measure('length', [[100, 200], [300, 200]])")
    assert length["units"] == "mm" and length["value"] > 0
    value = viewer.eval("venos.valueAt(256, 256)")
    assert value["value"] in (1000, -1000)


def test_a_runaway_computation_is_stopped_and_the_study_stays(viewer):
    viewer.open()
    viewer.load_via_input(sorted(data_path(CT).glob("*.dcm"))[:3])
    viewer.page.click("#console")
    viewer.page.fill("#console-budget", "1")
    out = _type(viewer.page, "n = 0\nwhile True: n += 1")
    assert "TimeoutError" in out and "stopped after 1 s" in out
    assert viewer.eval("venos.console.run('n > 0')")["output"].strip() == "True"  # the namespace is kept too
    viewer.page.keyboard.press("Escape")
    assert len(viewer.eval("venos.series()")) == 1
    viewer.set_view({"slice": 2})
    assert viewer.frame() is not None


def test_code_in_a_link_is_never_run(viewer):
    """Nothing reads code from an address: a link with console code in its query and fragment opens the viewer,
    and neither adds a series nor prints anything."""
    code = "show(np.zeros((8, 8)), 'planted')"
    viewer.open(f"index.html?console={code}&code={code}#console={code}&run={code}")
    viewer.page.wait_for_timeout(500)
    assert viewer.eval("venos.series()") == []
    assert viewer.page.text_content("#console-output") == ""
    assert np.isfinite(viewer.eval("venos.runtime.timings.ready"))
