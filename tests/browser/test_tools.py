"""The tool registry as a user meets it: the toolbar is built from it, and a measurement registered in one module
on each side (bidirectional) is drawn with the mouse, made exact by Python, listed and exported."""
from __future__ import annotations

import csv
import io
import math

import pydicom
import pytest

from conftest import data_path

CT = "dcm_qa_ct/GE"


def test_the_toolbar_is_the_registry_in_order(viewer):
    viewer.open()
    tools = viewer.eval("[...document.querySelectorAll('#tools [data-tool]')].map((b) => [b.dataset.tool, b.textContent, b.getAttribute('aria-pressed')])")
    assert [t[0] for t in tools] == ["window_level", "pan", "zoom", "scroll", "crosshair", "length", "angle",
                                     "ellipse", "rectangle", "bidirectional"]
    assert [t[2] for t in tools] == ["true"] + ["false"] * 9 and all(t[1] for t in tools)
    viewer.page.click("[data-tool=bidirectional]")
    assert viewer.eval("document.querySelector('[data-tool=bidirectional]').getAttribute('aria-pressed')") == "true"
    assert viewer.eval("document.querySelector('[data-tool=window_level]').getAttribute('aria-pressed')") == "false"


def test_bidirectional_is_drawn_with_two_drags_and_the_short_axis_is_made_perpendicular(viewer):
    viewer.open()
    f = sorted(data_path(CT).glob("*.dcm"))[0]
    viewer.load_via_input([f])
    viewer.set_view({"zoom": 1, "pan": [0, 0]})
    col_mm = float(pydicom.dcmread(f, stop_before_pixels=True).PixelSpacing[1])
    viewer.page.click("[data-tool=bidirectional]")
    box = viewer.page.locator("#canvas").bounding_box()
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    done = viewer.when("measurement")
    mouse = viewer.page.mouse
    mouse.move(cx - 60, cy)
    mouse.down()
    mouse.move(cx + 60, cy, steps=4)  # the long axis
    mouse.up()
    mouse.move(cx + 40, cy + 40, steps=3)  # hovering does not move the long axis' end
    assert viewer.page.locator("#annotations line").count() == 1
    mouse.move(cx - 10, cy - 25)
    mouse.down()
    mouse.move(cx + 5, cy + 25, steps=4)  # a slanted short axis
    assert viewer.page.locator("#annotations line").count() == 2
    mouse.up()
    m = viewer.page.evaluate("h => h.promise", done)
    assert m["kind"] == "bidirectional" and m["units"] == "mm" and "PixelSpacing" in m["spacing"]
    assert m["long"] == pytest.approx(120 * col_mm, rel=0.03)
    assert m["short"] == pytest.approx(50 * col_mm, rel=0.05)
    (x1, y1), (x2, y2), (x3, y3), (x4, y4) = m["points"]
    assert (x2 - x1) * (x4 - x3) + (y2 - y1) * (y4 - y3) == pytest.approx(0, abs=1e-6)  # square pixels here
    # the page draws the corrected line, not the hand-drawn one
    short = viewer.eval("(() => { const l = document.querySelectorAll('#annotations line')[1]; return ['x1','y1','x2','y2'].map((a) => +l.getAttribute(a)); })()")
    assert short[0] == pytest.approx(short[2], abs=0.5) and abs(short[3] - short[1]) > 40
    label = viewer.page.text_content("#annotations text tspan")
    assert "×" in label and label.endswith(" mm")
    # the same numbers through the JS API, and in the list and the CSV
    api = viewer.eval(f"venos.measure('bidirectional', {m['points']})")
    assert api["long"] == pytest.approx(m["long"]) and api["short"] == pytest.approx(m["short"])
    listed = viewer.eval("venos.measurements()")
    assert listed[-1]["kind"] == "bidirectional" and listed[-1]["text"] == label
    state = viewer.eval("venos.viewState()")
    assert listed[-1]["slice"] == state["slice"] and listed[-1]["frame"] == 0  # 0-based, like the whole JS API
    rows = list(csv.DictReader(io.StringIO(viewer.eval("venos.measurementsCsv()"), newline="")))
    assert float(rows[-1]["long"]) == pytest.approx(m["long"]) and float(rows[-1]["short"]) == pytest.approx(m["short"])
    assert math.isclose(float(rows[-1]["value"]), m["long"])
    assert rows[-1]["slice"] == str(state["slice"] + 1) and rows[-1]["frame"] == "1"  # for people: from 1
    viewer.page.click("#measurements")
    assert "Bidirectional" in viewer.page.text_content("#measurements-table")


def test_escape_abandons_a_half_drawn_bidirectional(viewer):
    viewer.open()
    viewer.load_via_input(sorted(data_path(CT).glob("*.dcm"))[:1])
    viewer.set_view({"zoom": 1, "pan": [0, 0]})
    viewer.page.click("[data-tool=bidirectional]")
    box = viewer.page.locator("#canvas").bounding_box()
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    viewer.page.mouse.move(cx - 50, cy)
    viewer.page.mouse.down()
    viewer.page.mouse.move(cx + 50, cy, steps=3)
    viewer.page.mouse.up()
    assert viewer.page.locator("#annotations line").count() == 1
    viewer.page.keyboard.press("Escape")
    assert viewer.page.locator("#annotations line").count() == 0
    assert viewer.eval("venos.measurements()") == []
