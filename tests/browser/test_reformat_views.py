"""Multiplanar reformatting in the browser, as a reader uses it: the MPR button shows axial, coronal and sagittal
planes of a volume with known geometry (a sphere in an anisotropic grid), in true proportions with orientation
letters; reference lines cross where the planes meet; the crosshair moves the other planes with real pointer input
and rotates them; lengths, probe and slabs work in the reformatted planes; geometry that is not a clean volume is
named (the GE series' tilt and spacing) or refused; on a phone the three planes stack."""
from __future__ import annotations

import numpy as np
import pytest

import synthetic as sy
from conftest import data_path

# 64 × 64 pixels of 0.5 mm, 40 slices 2 mm apart: a ball of radius 12 mm (1000 HU in -1000 HU) centred on voxel
# (slice 20, row 32, column 32) — at patient (16, 16, 40) mm.
SHAPE, PIXEL, STEP, RADIUS = (40, 64, 64), 0.5, 2.0, 12.0
CENTRE = (20, 32, 32)


def _ball() -> dict[str, bytes]:
    def inside(p):
        d = (p - np.array(CENTRE)) * np.array([STEP, PIXEL, PIXEL])
        return (d ** 2).sum(axis=-1) <= RADIUS ** 2
    vol = sy.phantom(SHAPE, inside, value=2024, background=24)
    return sy.series(vol, spacing=(PIXEL, PIXEL), positions=sy.stacked(SHAPE[0], STEP), thickness=STEP)


def _mpr(viewer):
    viewer.open()
    viewer.load_bytes(_ball())
    viewer.page.click("#mpr")
    viewer.page.wait_for_function("venos.layout().layout === '1x3' && venos.viewState(2).plane === 'sagittal'")
    viewer.page.wait_for_function("[0, 1, 2].every((i) => venos.frame(i))")
    viewer.page.wait_for_function("venos.referenceLines(0).length === 2 && venos.referenceLines(1).length === 2")


def _edges(viewer, i):
    return {s: viewer.page.locator(f"[data-pane='{i}'] .edge.{s}").text_content() for s in ("left", "right", "top", "bottom")}


def test_mpr_shows_three_planes_in_true_proportions_with_orientation_letters(viewer):
    _mpr(viewer)
    lay = viewer.eval("venos.layout()")
    assert [v["plane"] for v in lay["viewports"]] == ["axial", "coronal", "sagittal"]
    assert lay["referenceLines"] == "all" and lay["active"] == 0
    # the middle of each plane is shown first
    assert [v["slice"] for v in lay["viewports"]] == [20, 32, 32]
    assert _edges(viewer, 0) == {"left": "R", "right": "L", "top": "A", "bottom": "P"}
    assert _edges(viewer, 1) == {"left": "R", "right": "L", "top": "H", "bottom": "F"}
    assert _edges(viewer, 2) == {"left": "A", "right": "P", "top": "H", "bottom": "F"}
    # coronal: 64 columns of 0.5 mm, 40 rows 2 mm apart, drawn 4× taller per pixel than wide
    cor = viewer.eval("(() => { const f = venos.frame(1); return [f.width, f.height]; })()")
    assert cor == [64, 40]
    meta = viewer.eval("""new Promise((r, no) => { setTimeout(() => no(new Error('no render')), 20000);
        const off = venos.on('rendered', (d) => { if (d.viewport !== 1) return; off(); r(d.meta); });
        venos.setViewState({slice: 31}, 1); })""")
    assert meta["aspect"] == pytest.approx(4.0)
    assert meta["overlay"]["pixelSpacing"] == pytest.approx([2.0, 0.5])
    assert "Coronal" in viewer.page.locator("[data-pane='1'] .corner.tr").text_content()
    # the coronal image through the centre shows the ball as a disc 24 mm wide and 24 mm tall
    frame = viewer.page.evaluate("""() => { const f = venos.frame(1); return Array.from(f.data.filter((_, i) => i % 4 === 0)); }""")
    img = np.array(frame, dtype=np.uint8).reshape(40, 64)
    bright = img > 128
    cols = np.flatnonzero(bright.any(axis=0))
    rows = np.flatnonzero(bright.any(axis=1))
    assert (cols[-1] - cols[0] + 1) * PIXEL == pytest.approx(2 * RADIUS, abs=1.0)
    assert (rows[-1] - rows[0] + 1) * STEP == pytest.approx(2 * RADIUS, abs=STEP)


def test_lengths_and_probe_work_in_mm_in_the_reformatted_planes(viewer):
    _mpr(viewer)
    viewer.eval("venos.setActiveViewport(1)")
    # across the ball's middle row of the coronal image: left to right and head to foot, in mm
    across = viewer.eval("venos.measure('length', [[8, 20.5], [56, 20.5]])")
    assert across["units"] == "mm" and across["value"] == pytest.approx(48 * PIXEL, abs=0.01)
    down = viewer.eval("venos.measure('length', [[32.5, 5], [32.5, 35]])")
    assert down["value"] == pytest.approx(30 * STEP, abs=0.01)
    assert "reformat" in down["spacing"].lower() or "volume" in down["spacing"].lower()
    # the tag browser of a reformatted image lists the series' middle file (every file made the image)
    assert viewer.eval("venos.tags()")["source"].endswith("s0020.dcm")
    inside = viewer.eval("venos.valueAt(32.5, 20.5)")
    outside = viewer.eval("venos.valueAt(2.5, 2.5)")
    assert inside["value"] == pytest.approx(1000) and outside["value"] == pytest.approx(-1000)
    assert inside["units"] == "HU"
    # a length drawn with the mouse in the sagittal viewport is listed, and going to it returns to that plane
    viewer.eval("venos.setActiveViewport(2)")
    m = viewer.measure_by_drag("length", (-30, 0), (30, 0), on="[data-pane='2']")
    assert m["units"] == "mm" and m["value"] > 0
    listed = viewer.eval("venos.measurements()")[-1]
    assert listed["plane"] == "sagittal"
    assert viewer.page.locator("[data-pane='2'] .annotations line").count() == 1
    assert viewer.page.locator("[data-pane='1'] .annotations line").count() == 0  # another plane: not shown there


def test_reference_lines_cross_where_the_planes_meet_and_the_crosshair_moves_them(viewer):
    _mpr(viewer)
    # on the axial image, the coronal plane (row 32) is a horizontal line and the sagittal (column 32) a vertical one
    lines = {l["from"]: l for l in viewer.eval("venos.referenceLines(0)")}
    box = viewer.page.locator("[data-pane='0']").bounding_box()
    cor, sag = lines[1], lines[2]
    assert cor["y1"] == pytest.approx(cor["y2"], abs=0.5) and sag["x1"] == pytest.approx(sag["x2"], abs=0.5)
    # click with the crosshair (chosen by MPR) 10 pixels right of and 6 above the centre of the axial image
    assert viewer.eval("document.querySelector('[data-tool=crosshair]').getAttribute('aria-pressed')") == "true"
    s = min(box["width"], box["height"]) / 64  # the fitted 64 × 64 image: screen pixels per image pixel
    x, y = sag["x1"] + 10 * s, cor["y1"] - 6 * s
    viewer.page.mouse.click(box["x"] + x, box["y"] + y)
    viewer.page.wait_for_function("venos.viewState(2).slice !== 32 && venos.viewState(1).slice !== 32")
    # the planes moved through the clicked point: their lines on the axial image now cross there
    viewer.page.wait_for_function(f"Math.abs(venos.referenceLines(0).find((l) => l.from === 2).x1 - {x}) < {s}")
    viewer.page.wait_for_function(f"Math.abs(venos.referenceLines(0).find((l) => l.from === 1).y1 - {y}) < {s}")
    # and the axial plane's line on the coronal image did not move (the click was in the axial plane)
    assert viewer.eval("venos.viewState(0).slice") == 20
    # Shift+drag sideways rotates the crosshair: coronal and sagittal become oblique planes 90° apart
    viewer.page.mouse.move(box["x"] + 40, box["y"] + 40)
    viewer.page.keyboard.down("Shift")
    viewer.page.mouse.down()
    viewer.page.mouse.move(box["x"] + 100, box["y"] + 40, steps=6)
    viewer.page.mouse.up()
    viewer.page.keyboard.up("Shift")
    viewer.page.wait_for_function("venos.viewState(1).plane === 'oblique' && venos.viewState(2).plane === 'oblique'")
    a1, a2 = viewer.eval("[venos.viewState(1).angle, venos.viewState(2).angle]")
    assert a1 == pytest.approx(30, abs=1) and a2 == pytest.approx(a1 + 90)
    assert viewer.eval("venos.layout().angle") == pytest.approx(a1)
    assert viewer.eval("venos.rotateCrosshair(-venos.layout().angle)") == 0
    viewer.page.wait_for_function("venos.viewState(1).plane === 'coronal' && venos.viewState(2).plane === 'sagittal'")


def test_slab_projections_and_oblique_planes_from_code(viewer):
    _mpr(viewer)
    # a MIP slab through the edge of the ball: brighter than the single plane there
    viewer.eval("venos.setActiveViewport(1)")
    viewer.eval("venos.setViewState({slice: 32 - 25, slab: 0})")  # 12.5 mm from the centre: just outside the ball
    one = viewer.eval("venos.valueAt(32.5, 20.5)")["value"]
    viewer.eval("venos.setViewState({slab: 10, slabMode: 'mip'})")
    mip = viewer.eval("venos.valueAt(32.5, 20.5)")["value"]
    assert one == pytest.approx(-1000) and mip == pytest.approx(1000)
    assert "MIP 10 mm" in viewer.page.locator("[data-pane='1'] .corner.tr").text_content()
    viewer.eval("venos.setViewState({slabMode: 'minip'})")
    assert viewer.eval("venos.valueAt(32.5, 20.5)")["value"] == pytest.approx(-1000)
    viewer.eval("venos.setViewState({slabMode: 'avg'})")
    avg = viewer.eval("venos.valueAt(32.5, 20.5)")["value"]
    assert -1000 < avg < 1000
    # oblique at 90° is the sagittal plane through the same volume
    viewer.eval("venos.setViewState({plane: 'oblique', angle: 90, slab: 0, slice: 32})")
    assert "Oblique 90°" in viewer.page.locator("[data-pane='1'] .corner.tr").text_content()
    assert viewer.eval("venos.valueAt(32.5, 20.5)")["value"] == pytest.approx(1000)


def test_a_layout_with_planes_goes_into_a_share_link_and_back(viewer):
    from conftest import free_port  # noqa: F401  (a local case has no link: the fragment is checked directly)

    _mpr(viewer)
    frag = viewer.eval("""import('./app/js/cloud/link.js').then((m) => {
        const l = venos.layout();
        return m.viewFragment({ ...l.viewports[0], seriesUid: '1.2', layout: l.layout, active: l.active, sync: l.sync,
          referenceLines: l.referenceLines, viewports: l.viewports.slice(1).map((v) => ({ ...v, seriesUid: '1.2' })) }); })""")
    assert "layout=1x3" in frag and "plane=axial" in frag and "lines=all" in frag
    assert "plane%3Dcoronal" in frag and "plane%3Dsagittal" in frag


def test_a_series_that_is_not_a_volume_is_refused_with_the_reason(viewer):
    viewer.open()
    files = _ball()
    two = dict(list(files.items())[:2])
    viewer.load_bytes(two)
    viewer.page.click("#mpr")
    viewer.page.wait_for_function("!document.getElementById('message').hidden")
    text = viewer.page.text_content("#message")
    assert "cannot be reformatted" in text and "3" in text
    assert viewer.eval("venos.layout().layout") == "1x1"
    err = viewer.eval("venos.mpr().then(() => null, (e) => e)")
    assert err["code"] == "not-a-volume"
    # a plane asked for directly says so in the viewport too
    meta = viewer.eval("""new Promise((r, no) => { setTimeout(() => no(new Error('no error event')), 20000);
        const off = venos.on('error', (d) => { off(); r(d); });
        venos.setViewState({plane: 'coronal'}); })""")
    assert meta["code"] == "not-a-volume"


def test_the_tilted_ge_series_is_reformatted_and_says_what_was_resampled(viewer):
    viewer.open()
    viewer.load_via_input(sorted(data_path("dcm_qa_ct/GE").glob("*.dcm")))
    info = viewer.eval("venos.volumeInfo()")
    assert info["ok"], info
    notes = " ".join(info["notes"]).lower()
    assert "tilt" in notes and "18.5" in notes and "spacing" in notes and "median" in notes
    viewer.page.click("#mpr")
    viewer.page.wait_for_function("venos.layout().layout === '1x3' && venos.frame(1) && venos.viewState(1).plane === 'coronal'")
    viewer.page.wait_for_function("document.querySelector(\"[data-pane='1'] .corner.tr\").textContent.includes('tilt')")
    # the clean Philips phantom has nothing to say
    viewer.eval("venos.clear()")
    viewer.load_via_input(sorted(data_path("dcm_qa_ct/Philips/S21570/S2010").glob("I*")))
    info = viewer.eval("venos.volumeInfo()")
    assert info["ok"] and info["notes"] == [] and info["spacing"][0] == pytest.approx(5.0)


def test_mpr_on_a_phone_stacks_the_planes_and_a_tap_moves_the_crosshair(browser, site):
    context = browser.new_context(bypass_csp=True, viewport={"width": 390, "height": 844}, is_mobile=True,
                                  has_touch=True, device_scale_factor=2)
    page = context.new_page()
    try:
        vp = __import__("conftest").ViewerPage(page, site.url)
        vp.open()
        vp.load_bytes(_ball())
        page.tap("#mpr")
        page.wait_for_function("venos.layout().layout === '1x3' && [0, 1, 2].every((i) => venos.frame(i))")
        boxes = [page.locator(f"[data-pane='{i}']").bounding_box() for i in range(3)]
        assert boxes[1]["y"] >= boxes[0]["y"] + boxes[0]["height"] - 1 and boxes[2]["y"] > boxes[1]["y"]
        assert all(b["width"] > 300 for b in boxes)  # full width, one above the other
        before = page.evaluate("venos.viewState(0).slice")
        b = boxes[1]
        page.tap("[data-pane='1']", position={"x": b["width"] / 2, "y": b["height"] * 0.3})
        page.wait_for_function(f"venos.viewState(0).slice !== {before}")
        assert page.evaluate("venos.layout().active") == 1
    finally:
        context.close()
