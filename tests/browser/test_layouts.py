"""Layouts as a reader uses them: more than one viewport, one active viewport that takes the tools, series put into
viewports from the list (click, drag, tap), grouped by study, each viewport with its own state and overlays."""
from __future__ import annotations

import numpy as np
import pytest
from pydicom.uid import generate_uid

import synthetic as sy
from conftest import data_path

GE = "dcm_qa_ct/GE"
PHILIPS = "dcm_qa_ct/Philips/S21570/S2010"


def _load_two(viewer):
    viewer.open()
    viewer.load_via_input(sorted(data_path(GE).glob("*.dcm"))[:6] + sorted(data_path(PHILIPS).glob("I*"))[:6])
    series = viewer.eval("venos.series()")
    assert len(series) == 2
    return series


def _pane_text(viewer, i, part):
    return viewer.page.locator(f"[data-pane='{i}'] .corner.{part}").first.text_content()


def test_layout_from_the_toolbar_fills_the_viewports_with_the_series(viewer):
    series = _load_two(viewer)
    viewer.page.select_option("#layout", "2x2")
    viewer.page.wait_for_function("venos.layout().viewports.every((v, i) => i > 1 || v.series)")
    lay = viewer.eval("venos.layout()")
    assert lay["layout"] == "2x2" and lay["active"] == 0 and len(lay["viewports"]) == 4
    assert {v["series"] for v in lay["viewports"][:2]} == {s["id"] for s in series}
    assert lay["viewports"][2]["series"] == "" and lay["viewports"][3]["series"] == ""
    assert viewer.page.locator(".pane:visible").count() == 4
    # each viewport draws its own image and overlay (the second has the other series' description)
    viewer.page.wait_for_function("document.querySelector(\"[data-pane='1'] .corner.tr\").textContent.length > 0")
    assert _pane_text(viewer, 0, "tr") != _pane_text(viewer, 1, "tr")
    assert "Slice 1 / 6" in _pane_text(viewer, 1, "bl")
    # orientation letters in the second viewport as in the first (both axial CT)
    assert viewer.page.locator("[data-pane='1'] .edge.left").text_content() == "R"
    assert viewer.eval("venos.frame(1).width") == 512
    # back to one viewport: the others are hidden, and keep their state for later
    viewer.eval("venos.setLayout('1x1')")
    assert viewer.page.locator(".pane:visible").count() == 1
    viewer.eval("venos.setLayout('1x2')")
    assert viewer.eval("venos.viewState(1).series") == lay["viewports"][1]["series"]


def test_keyboard_cycles_layouts_and_focus_moves_the_active_viewport(viewer):
    _load_two(viewer)
    viewer.page.focus("#viewport")
    viewer.page.keyboard.press("l")
    viewer.page.wait_for_function("venos.layout().layout === '1x2'")
    assert viewer.eval("document.getElementById('layout').value") == "1x2"
    viewer.page.keyboard.press("Tab")  # the next viewport takes the keyboard, and becomes the active one
    viewer.page.wait_for_function("venos.layout().active === 1")
    viewer.page.keyboard.press("ArrowDown")
    viewer.page.wait_for_function("venos.viewState(1).slice === 1")
    assert viewer.eval("venos.viewState(0).slice") == 0
    viewer.page.keyboard.press("Shift+L")
    viewer.page.wait_for_function("venos.layout().layout === '1x1'")
    assert viewer.eval("venos.layout().active") == 0


def test_the_active_viewport_takes_the_tools_and_the_series_list(viewer):
    series = _load_two(viewer)
    viewer.eval("venos.setLayout('1x2')")
    viewer.page.wait_for_function("venos.viewState(1).series !== ''")
    first = viewer.eval("venos.viewState(0)")
    box = viewer.page.locator("[data-pane='1']").bounding_box()
    viewer.page.mouse.click(box["x"] + box["width"] / 2, box["y"] + box["height"] / 2)
    assert viewer.eval("venos.layout().active") == 1
    assert viewer.eval("document.querySelector(\"[data-pane='1']\").classList.contains('active')")
    viewer.page.click("#invert")
    viewer.page.wait_for_function("venos.viewState(1).invert === true")
    assert viewer.eval("venos.viewState(0).invert") is False
    viewer.page.wait_for_function("document.getElementById('invert').getAttribute('aria-pressed') === 'true'")
    # a series clicked in the list goes to the active viewport
    viewer.page.click(f"#series-list li[data-series='{first['series']}']")
    viewer.page.wait_for_function(f"venos.viewState(1).series === {first['series']!r}")
    assert viewer.eval("venos.viewState(0).series") == first["series"]
    # the toolbar shows the viewport made active: the first is not inverted
    viewer.page.locator("[data-pane='0']").click()
    viewer.page.wait_for_function("document.getElementById('invert').getAttribute('aria-pressed') === 'false'")
    assert {s["id"] for s in series} >= {first["series"]}


def test_a_series_dragged_from_the_list_into_a_viewport_is_shown_there(viewer):
    series = _load_two(viewer)
    viewer.eval("venos.setLayout('2x2')")
    viewer.page.wait_for_function("venos.viewState(1).series !== ''")
    other = series[1]["id"]
    viewer.page.drag_and_drop(f"#series-list li[data-series='{other}']", "[data-pane='3']")
    viewer.page.wait_for_function(f"venos.viewState(3).series === {other!r}")
    assert viewer.eval("venos.layout().active") == 3
    viewer.page.wait_for_function("venos.frame(3) !== null")
    assert viewer.eval("venos.frame(3).width") == 512


def test_series_are_grouped_by_study(viewer):
    _load_two(viewer)
    heads = viewer.page.locator("#series-list li.study")
    assert heads.count() == 2  # two studies: one heading each, with their dates
    texts = [heads.nth(i).text_content() for i in range(2)]
    assert all(t for t in texts)


def test_synchronised_window_and_zoom_follow_the_active_viewport(viewer):
    _load_two(viewer)
    viewer.eval("venos.setLayout('1x2')")
    viewer.page.wait_for_function("venos.viewState(1).series !== ''")
    viewer.eval("venos.setSync({window: true, zoom: true})")
    assert viewer.eval("venos.layout().sync") == {"scroll": False, "window": True, "zoom": True}
    viewer.eval("venos.setViewState({center: 77, width: 555})")
    viewer.page.wait_for_function("venos.viewState(1).center === 77 && venos.viewState(1).width === 555")
    viewer.eval("venos.setViewState({zoom: 2, pan: [10, 5]})")
    viewer.page.wait_for_function("venos.viewState(1).zoom === 2")
    assert viewer.eval("venos.viewState(1).pan") == [10, 5]
    viewer.eval("venos.setSync({window: false})")
    viewer.eval("venos.setViewState({center: 10, width: 100})")
    viewer.page.wait_for_timeout(300)
    assert viewer.eval("venos.viewState(1).center") == 77


def test_unknown_layout_and_viewport_are_refused_with_a_reason(viewer):
    viewer.open()
    err = viewer.eval("venos.setLayout('3x3').then(() => null, (e) => e)")
    assert err["code"] == "bad-call" and "1x3" in err["message"]
    err = viewer.eval("(() => { try { venos.viewState(2); } catch (e) { return e; } })()")
    assert err["code"] == "bad-call" and "1x1" in err["message"]


@pytest.mark.parametrize("touch", [True])
def test_on_a_phone_a_tap_picks_the_viewport_and_the_series_goes_there(browser, site, touch):
    context = browser.new_context(bypass_csp=True, viewport={"width": 390, "height": 844}, is_mobile=True, has_touch=touch,
                                  device_scale_factor=2)
    page = context.new_page()
    try:
        page.goto(site.url + "index.html")
        page.evaluate("window.venos.ready")
        page.set_input_files("#open-files", [str(p) for p in sorted(data_path(GE).glob("*.dcm"))[:3]
                                             + sorted(data_path(PHILIPS).glob("I*"))[:3]])
        page.wait_for_function("document.querySelectorAll('#series-list li[data-series]').length === 2")
        page.evaluate("venos.setLayout('2x1')")  # one above the other, as fits a phone
        page.wait_for_function("venos.viewState(1).series !== ''")
        boxes = [page.locator(f"[data-pane='{i}']").bounding_box() for i in (0, 1)]
        assert boxes[1]["y"] >= boxes[0]["y"] + boxes[0]["height"] - 1  # stacked
        page.tap("[data-pane='1']")
        assert page.evaluate("venos.layout().active") == 1
        first = page.evaluate("venos.viewState(0).series")
        page.tap(f"#series-list li[data-series='{first}']")
        page.wait_for_function(f"venos.viewState(1).series === {first!r}")
    finally:
        context.close()


def test_synchronised_scroll_goes_to_the_nearest_slice_by_patient_position(viewer):
    """Two series of one Frame of Reference, 2 mm and 3 mm apart: scrolling one moves the other to the slice nearest
    in space (not the same index), and where none is within half a slice spacing the other stays and says so."""
    viewer.open()
    frame = generate_uid()
    fine = sy.series(np.zeros((10, 16, 16), np.int16), positions=sy.stacked(10, 2.0), frame_uid=frame, prefix="a")
    coarse = sy.series(np.zeros((4, 16, 16), np.int16), positions=sy.stacked(4, 3.0, origin=(0, 0, 1.0)),
                       frame_uid=frame, prefix="b", thickness=3.0)
    viewer.load_bytes({**fine, **coarse})
    ids = {s["slices"]: s["id"] for s in viewer.eval("venos.series()")}
    viewer.eval("venos.setLayout('1x2')")
    viewer.eval(f"venos.setViewState({{series: {ids[10]!r}}}, 0)")
    viewer.eval(f"venos.setViewState({{series: {ids[4]!r}}}, 1)")
    viewer.eval("venos.setActiveViewport(0)")
    viewer.page.click("#sync-menu summary")
    viewer.page.check("#sync-scroll")  # the user's toggle
    assert viewer.eval("venos.layout().sync.scroll") is True
    # slice 3 of the fine series is at z = 6 mm; the coarse one has z = 1, 4, 7, 10: slice 2 (7 mm) is nearest
    viewer.page.focus("[data-pane='0']")
    for _ in range(3):
        viewer.page.keyboard.press("ArrowDown")
    viewer.page.wait_for_function("venos.viewState(0).slice === 3 && venos.viewState(1).slice === 2")
    # z = 16 mm is 6 mm past the coarse series' last slice (10 mm): it stays, and says why
    viewer.eval("venos.setViewState({slice: 8})")
    viewer.page.wait_for_function(
        "document.querySelector(\"[data-pane='1'] .corner.bl\").textContent.includes('No slice within half')")
    assert viewer.eval("venos.viewState(1).slice") == 2
    # back within reach: it follows again and the note goes
    viewer.eval("venos.setViewState({slice: 5})")  # z = 10 mm: the coarse slice 3
    viewer.page.wait_for_function("venos.viewState(1).slice === 3")
    viewer.page.wait_for_function(
        "!document.querySelector(\"[data-pane='1'] .corner.bl\").textContent.includes('No slice')")
