"""The viewer end to end in headless Chromium, against the built dist/ and real DICOM files."""
from __future__ import annotations

import io
from pathlib import Path

import numpy as np
import pydicom
import pytest

from conftest import DATA, data_path

pytestmark = pytest.mark.browser

CT = "dcm_qa_ct/GE"


def ct_files() -> list[Path]:
    return sorted(data_path(CT).glob("*.dcm"))


def reference_grey(path: Path, center: float, width: float, *, invert: bool = False) -> np.ndarray:
    """PS3.3 C.11.2.1.2.1 LINEAR window computed on CPython from pydicom's pixel_array, rounded half up."""
    ds = pydicom.dcmread(path)
    x = ds.pixel_array.astype(np.float64) * float(ds.get("RescaleSlope", 1)) + float(ds.get("RescaleIntercept", 0))
    lo, hi = center - 0.5 - (width - 1) / 2, center - 0.5 + (width - 1) / 2
    y = ((x - (center - 0.5)) / (width - 1) + 0.5) * 255
    y = np.where(x <= lo, 0, np.where(x > hi, 255, y))
    g = np.clip(np.floor(y + 0.5), 0, 255).astype(np.uint8)
    if ds.PhotometricInterpretation == "MONOCHROME1":
        invert = not invert
    return 255 - g if invert else g


# Installed before the page's scripts run (start.js makes the worker from a classic script, so the patched Worker is
# the one it gets): counts the calls the page makes to the Python worker by method, and keeps what is still due —
# calls not yet answered, timers, animation frames — so a test can wait until the page has nothing left to do.
WATCH = """(() => {
  const calls = {}, unanswered = new Set(), timers = new Set(), frames = new Set();
  window.__watch = { calls, due: () => ({ calls: unanswered.size, timers: timers.size, frames: frames.size }),
                     idle: () => !unanswered.size && !timers.size && !frames.size };
  const Base = window.Worker, post = Base.prototype.postMessage;
  Base.prototype.postMessage = function (msg, ...rest) {
    if (msg && msg.method) { calls[msg.method] = (calls[msg.method] || 0) + 1; unanswered.add(msg.id); }
    return post.call(this, msg, ...rest);
  };
  window.Worker = class extends Base {
    constructor(...a) {
      super(...a);
      this.addEventListener("message", (e) => { if (e.data && e.data.id != null && !e.data.event) unanswered.delete(e.data.id); });
    }
  };
  const wrap = (set, name, cancel) => {
    const make = window[name], stop = window[cancel];
    window[name] = function (fn, ...a) {
      const id = make.call(window, (...b) => { set.delete(id); return fn(...b); }, ...a);
      set.add(id);
      return id;
    };
    window[cancel] = function (id) { set.delete(id); return stop.call(window, id); };
  };
  wrap(timers, "setTimeout", "clearTimeout");
  wrap(frames, "requestAnimationFrame", "cancelAnimationFrame");
})()"""


def watch(viewer):
    """Instrument the page (call before viewer.open())."""
    viewer.page.add_init_script(WATCH)


def calls(viewer) -> dict:
    """Calls made to the Python worker so far, by method."""
    return viewer.eval("({ ...window.__watch.calls })")


def settle(viewer, timeout: float = 15_000):
    """Wait until the page has nothing left to do: every worker call answered, no timer or frame due."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        viewer.page.wait_for_function("window.__watch.idle()", polling=20, timeout=timeout)
    except PlaywrightTimeout:
        pytest.fail(f"the page never went idle; still due: {viewer.eval('window.__watch.due()')}")


def test_ready_from_vendored_runtime_without_leaving_the_origin(viewer):
    viewer.open()
    rt = viewer.eval("venos.runtime")
    assert rt["source"] == "local"
    assert rt["versions"]["pydicom"] == "3.0.2"
    assert viewer.offsite == []


def test_open_series_by_file_dialog_counts_match_pydicom(viewer):
    viewer.open()
    files = ct_files()
    summary = viewer.load_via_input(files)
    assert summary["loaded"] == len(files) and summary["failed"] == 0
    series = viewer.eval("venos.series()")
    uids = {pydicom.dcmread(f, stop_before_pixels=True).SeriesInstanceUID for f in files}
    assert len(series) == len(uids) == 1
    assert series[0]["slices"] == len(files)
    assert (series[0]["rows"], series[0]["columns"]) == (512, 512)
    assert series[0]["modality"] == "CT"
    assert viewer.offsite == []


def test_frame_at_a_set_window_equals_numpy_on_cpython(viewer):
    viewer.open()
    files = ct_files()
    viewer.load_via_input(files)
    state = viewer.set_view({"slice": 5, "center": 40, "width": 400})
    assert state["slice"] == 5
    frame = viewer.frame()
    shown = viewer.eval("venos.pixelData('1', 5)")["source"]
    expected = reference_grey(data_path(CT) / shown, 40, 400)
    assert frame.shape == (512, 512, 4)
    assert np.array_equal(frame[..., 0], expected)
    assert np.array_equal(frame[..., 1], expected) and np.array_equal(frame[..., 2], expected)
    assert np.all(frame[..., 3] == 255)
    # invert
    viewer.set_view({"invert": True})
    assert np.array_equal(viewer.frame()[..., 0], 255 - expected)


def test_drop_many_files_with_bad_ones_listed_with_reasons(viewer):
    viewer.open()
    files = {f.name: f.read_bytes() for f in ct_files()[:12]}
    good = files["03.dcm"]
    files["readme.txt"] = b"not an image, just text\n" * 20
    files["truncated.dcm"] = good[: len(good) // 3]
    files["sr.dcm"] = data_path("cornerstone3D/no-pixel-data.dcm").read_bytes()
    summary = viewer.drop(files)
    assert summary["total"] == 15 and summary["loaded"] == 12 and summary["failed"] == 3
    skipped = {s["source"]: s for s in viewer.eval("venos.skipped()")}
    assert skipped["readme.txt"]["code"] == "not-dicom"
    assert "truncated" in skipped["truncated.dcm"]["message"]
    assert skipped["sr.dcm"]["code"] == "not-image"
    # the user sees them, by name and reason, as text
    viewer.page.wait_for_selector("#skipped-box:not([hidden])")
    text = viewer.page.text_content("#skipped-list")
    assert "readme.txt" in text and "truncated.dcm" in text and "Basic Text SR" in text
    assert viewer.eval("venos.series()")[0]["slices"] == 12


def test_drag_changes_window_and_wheel_changes_slice(viewer):
    viewer.open()
    viewer.load_via_input(ct_files())
    before = viewer.eval("venos.viewState()")
    box = viewer.page.locator("#canvas").bounding_box()
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    # right-button drag = window/level whatever the active tool
    p = viewer.when("rendered")
    viewer.page.mouse.move(cx, cy)
    viewer.page.mouse.down(button="right")
    viewer.page.mouse.move(cx + 60, cy + 30, steps=4)
    viewer.page.mouse.up(button="right")
    viewer.page.evaluate("h => h.promise", p)
    viewer.page.wait_for_function("venos.viewState().width !== %r" % before["width"])
    after = viewer.eval("venos.viewState()")
    assert after["width"] > before["width"] and after["center"] > before["center"]
    # wheel: one notch forward = one slice
    s0 = after["slice"]
    viewer.page.mouse.wheel(0, 100)
    viewer.page.wait_for_function(f"venos.viewState().slice === {s0 + 1}")
    viewer.page.mouse.wheel(0, 300)
    viewer.page.wait_for_function(f"venos.viewState().slice === {s0 + 4}")
    # keyboard
    viewer.page.keyboard.press("Home")
    viewer.page.wait_for_function("venos.viewState().slice === 0")
    viewer.page.keyboard.press("End")
    viewer.page.wait_for_function("venos.viewState().slice === 27")


def test_patient_name_with_html_is_shown_as_text_and_runs_nothing(viewer):
    viewer.open()
    ds = pydicom.dcmread(ct_files()[0])
    evil = "<img src=x onerror=alert(1)>"
    ds.PatientName = evil
    ds.SeriesDescription = "<script>alert(2)</script>"
    buf = io.BytesIO()
    ds.save_as(buf)
    viewer.drop({"<b>evil</b>.dcm": buf.getvalue(), "<img src=y onerror=alert(3)>.txt": b"junk" * 50})
    viewer.page.wait_for_function("document.getElementById('ov-tl').textContent.length > 0")
    assert evil in viewer.page.text_content("#ov-tl")
    assert "<script>alert(2)</script>" in viewer.page.text_content("#ov-tr")
    assert "<img src=y onerror=alert(3)>.txt" in viewer.page.text_content("#skipped-list")
    assert evil in viewer.page.inner_text("#series-list")  # the patient line of the series, as text
    # no element was made from the strings: no image, no script other than the build's JSON data block
    assert viewer.page.locator("img").count() == 0
    assert viewer.page.locator("script:not([src]):not([type='application/json'])").count() == 0
    assert viewer.dialogs == []


def test_monochrome1_shows_inverted(viewer):
    viewer.open()
    path = data_path("pydicom-data/RG3_J2KR.dcm")  # MONOCHROME1 (JPEG 2000: skip if no codec)
    mono1 = [f for f in (DATA / "pydicom-data").glob("*.dcm")
             if f.name in ("MR-SIEMENS-DICOM-WithOverlays.dcm",)]
    ds = pydicom.dcmread(ct_files()[0])
    ds.PhotometricInterpretation = "MONOCHROME1"
    buf = io.BytesIO()
    ds.save_as(buf)
    viewer.drop({"mono1.dcm": buf.getvalue()})
    state = viewer.set_view({"center": 40, "width": 400})
    expected = reference_grey(ct_files()[0], 40, 400, invert=True)
    assert np.array_equal(viewer.frame()[..., 0], expected)
    del path, mono1, state


def test_rgb_shows_in_colour(viewer):
    viewer.open()
    path = data_path("pydicom-data/SC_rgb.dcm")
    viewer.drop({"rgb.dcm": path.read_bytes()})
    viewer.page.wait_for_function("venos.frame() !== null")
    frame = viewer.frame()
    expected = pydicom.dcmread(path).pixel_array
    assert np.array_equal(frame[..., :3], expected)


def test_plain_png_and_jpeg_open_too(viewer, tmp_path):
    from PIL import Image

    img = np.zeros((40, 60, 3), dtype=np.uint8)
    img[..., 0] = np.arange(60, dtype=np.uint8)[None, :] * 4
    img[..., 2] = 200
    png = io.BytesIO()
    Image.fromarray(img).save(png, format="PNG")
    jpg = io.BytesIO()
    Image.fromarray(img).save(jpg, format="JPEG", quality=95)
    viewer.open()
    summary = viewer.drop({"photo.png": png.getvalue(), "photo2.jpg": jpg.getvalue()})
    assert summary["failed"] == 0
    viewer.page.wait_for_function("venos.frame() !== null")
    series = viewer.eval("venos.series()")
    assert sum(s["slices"] for s in series) == 2
    sid = series[0]["id"]
    for i in range(2):
        viewer.set_view({"series": sid, "slice": i})
        frame = viewer.frame()
        assert frame.shape == (40, 60, 4)
        src = viewer.eval("venos.pixelData(%r, %d)" % (sid, i))["source"]
        if src == "photo.png":
            assert np.array_equal(frame[..., :3], img)  # PNG is lossless
        else:
            assert np.abs(frame[..., :3].astype(int) - img).max() <= 8  # JPEG q95


def test_folder_is_walked(viewer, tmp_path):
    root = tmp_path / "study"
    (root / "a" / "b").mkdir(parents=True)
    files = ct_files()[:6]
    for i, f in enumerate(files):
        (root / ("a" if i % 2 else "a/b") / f"img{i}").write_bytes(f.read_bytes())
    (root / "a" / "notes.txt").write_text("a note")
    viewer.open()
    summary = viewer.load_via_input([root], folder=True)
    assert summary["total"] == 7 and summary["loaded"] == 6
    assert viewer.eval("venos.series()")[0]["slices"] == 6


def test_zoom_pan_fit_are_camera_only(viewer):
    watch(viewer)
    viewer.open()
    viewer.load_via_input(ct_files()[:3])
    settle(viewer)
    before = calls(viewer)
    assert before.get("render", 0) >= 1  # the counter sees the page's renders
    # each camera change is drawn (a cameraOnly "rendered" event) without a call to Python
    viewer.eval("() => { window.__drawn = []; venos.on('rendered', (d) => __drawn.push(d.cameraOnly === true)); }")
    s = viewer.set_view({"zoom": 2.5, "pan": [10, -20]})
    assert s["zoom"] == 2.5 and s["pan"] == [10, -20]
    assert "Zoom 250%" in viewer.page.text_content("#ov-br")
    viewer.set_view({"rotate": 90, "flip": True})
    viewer.page.click("#fit")
    viewer.page.wait_for_function("venos.viewState().zoom === 0")
    assert viewer.eval("venos.viewState().pan") == [0, 0]
    viewer.page.click("#rotate")
    viewer.page.wait_for_function("venos.viewState().rotate === 180")
    settle(viewer)
    assert viewer.eval("window.__drawn") == [True] * 4
    after = calls(viewer)
    assert after.get("render") == before.get("render") and after.get("tool") == before.get("tool"), (before, after)
    # a window change does go to Python: the count above would have seen it
    viewer.set_view({"center": 40, "width": 400})
    assert calls(viewer)["render"] == before["render"] + 1


def test_export_png_is_the_rendered_frame(viewer):
    viewer.open()
    viewer.load_via_input(ct_files()[:2])
    viewer.set_view({"center": 40, "width": 80})
    b64 = viewer.eval("""async () => { const b = await venos.exportPng(); const a = new Uint8Array(await b.arrayBuffer());
        let s = ''; for (let i = 0; i < a.length; i += 0x8000) s += String.fromCharCode.apply(null, a.subarray(i, i + 0x8000));
        return btoa(s); }""")
    import base64
    from PIL import Image

    png = np.asarray(Image.open(io.BytesIO(base64.b64decode(b64))).convert("RGBA"))
    assert np.array_equal(png, viewer.frame())


def test_length_tool_draws_a_labelled_measurement_in_mm(viewer):
    viewer.open()
    files = ct_files()[:2]
    viewer.load_via_input(files)
    viewer.set_view({"zoom": 1, "pan": [0, 0]})
    api = viewer.eval("venos.measureLength([100, 100], [200, 100])")
    spacing = float(pydicom.dcmread(files[0], stop_before_pixels=True).PixelSpacing[1])
    assert api["units"] == "mm" and api["value"] == pytest.approx(100 * spacing)
    assert "PixelSpacing" in api["spacing"]
    m = viewer.measure_by_drag("length", (-50, 0), (50, 0))
    assert m["units"] == "mm" and m["value"] == pytest.approx(100 * spacing, rel=0.02)
    label = viewer.page.evaluate("document.querySelector('#annotations text').firstChild.textContent")
    assert label.endswith(" mm") and abs(float(label.split()[0]) - 100 * spacing) < 1.5
    # another slice does not show it; coming back does
    viewer.set_view({"slice": 1})
    assert viewer.page.locator("#annotations line").count() == 0
    viewer.set_view({"slice": 0})
    assert "in the patient plane" in viewer.page.text_content("#annotations title")
    assert viewer.page.locator("#annotations line").count() == 1


def test_cine_plays_a_multiframe_loop_and_series_have_thumbnails(viewer):
    watch(viewer)
    viewer.open()
    viewer.drop({"mr.dcm": data_path("pydicom-data/emri_small.dcm").read_bytes()})
    viewer.page.wait_for_function("venos.frame() !== null")
    assert viewer.eval("venos.series()")[0]["slices"] == 10
    viewer.page.click("#play")
    viewer.page.wait_for_function("venos.viewState().slice >= 3")
    # stop, and read the slice in the same task: once stopped, the loop may finish the step it is in, but that
    # step set its slice already (setViewState changes the state before it draws), so no later change is allowed
    s = viewer.eval("() => { document.getElementById('play').click(); return venos.viewState().slice; }")
    # a loop still playing always has a frame, a render or its next step's timer due: the page goes idle only
    # once it has stopped
    settle(viewer)
    assert viewer.eval("venos.viewState().slice") == s
    # the series list shows a thumbnail drawn from the pixels
    viewer.page.wait_for_function("document.querySelector('#series-list .thumb').width > 1")
    assert viewer.eval("document.querySelector('#series-list .thumb').width") == 64


def _region_reference(path, shape, p1, p2):
    """HU statistics inside the shape, computed on CPython from pydicom's pixels (pixel centres inside)."""
    ds = pydicom.dcmread(path)
    hu = ds.pixel_array.astype(np.float64) * float(ds.RescaleSlope) + float(ds.RescaleIntercept)
    x0, x1 = sorted((p1[0], p2[0]))
    y0, y1 = sorted((p1[1], p2[1]))
    yy, xx = np.mgrid[0:ds.Rows, 0:ds.Columns] + 0.5
    if shape == "rectangle":
        mask = (xx >= x0) & (xx <= x1) & (yy >= y0) & (yy <= y1)
    else:
        a, b = (x1 - x0) / 2, (y1 - y0) / 2
        mask = ((xx - x0 - a) / a) ** 2 + ((yy - y0 - b) / b) ** 2 <= 1
    v = hu[mask]
    return {"pixels": int(v.size), "mean": v.mean(), "sd": v.std(), "min": v.min(), "max": v.max()}


@pytest.mark.parametrize("shape", ["ellipse", "rectangle"])
def test_region_tools_draw_hu_statistics_equal_to_numpy(viewer, shape):
    viewer.open()
    files = ct_files()[:2]
    viewer.load_via_input(files)
    viewer.set_view({"zoom": 1, "pan": [0, 0]})
    source = viewer.eval("venos.tags()")["source"]
    path = next(f for f in files if f.name == source)
    api = viewer.eval("([s]) => venos.measureRegion(s, [150.5, 160.25], [260, 300.75])", [shape])
    ref = _region_reference(path, shape, (150.5, 160.25), (260, 300.75))
    assert api["units"] == "HU" and api["pixels"] == ref["pixels"]
    for k in ("mean", "sd", "min", "max"):
        assert api[k] == pytest.approx(ref[k], abs=1e-9)
    # drawn with the mouse: the event carries the corners in image pixels and the same statistics
    m = viewer.measure_by_drag(shape, (-60, -40), (60, 40))
    assert m["kind"] == shape and m["areaUnits"] == "mm²" and "PixelSpacing" in m["spacing"]
    ref = _region_reference(path, shape, m["p1"], m["p2"])
    assert m["pixels"] == ref["pixels"] and m["mean"] == pytest.approx(ref["mean"], abs=1e-9)
    assert viewer.page.locator(f"#annotations {shape if shape == 'ellipse' else 'rect'}").count() == 1
    lines = viewer.page.locator("#annotations text tspan").all_text_contents()
    assert lines[0].startswith("Mean ") and lines[0].split()[2] == "HU" and lines[1].endswith(" HU")
    assert lines[2].startswith("Area ") and f"({ref['pixels']} px)" in lines[2]
    viewer.page.focus("#viewport")
    viewer.page.keyboard.press("Delete")  # removes this slice's measurements
    assert viewer.page.locator("#annotations text").count() == 0


def test_orientation_letters_at_the_image_edges(viewer):
    viewer.open()
    files = ct_files()[:2]
    viewer.load_via_input(files)
    viewer.set_view({"slice": 0})
    # the GE head CT is axial with a gantry tilt: rows run to the patient's left, columns posterior and to the feet
    iop = [float(v) for v in pydicom.dcmread(files[0], stop_before_pixels=True).ImageOrientationPatient]
    assert iop[0] == 1 and iop[4] > 0.9 and iop[5] < -0.3
    edges = {s: viewer.page.text_content(f"#ov-{s}") for s in ("left", "right", "top", "bottom")}
    assert edges == {"left": "R", "right": "L", "top": "AH", "bottom": "PF"}
    viewer.eval("venos.clear()")
    assert viewer.page.text_content("#ov-right") == "" and viewer.page.text_content("#ov-tl") == ""


def test_angle_tool_first_arm_by_drag_then_a_click(viewer):
    viewer.open()
    viewer.load_via_input(ct_files()[:1])
    viewer.set_view({"zoom": 1, "pan": [0, 0]})
    api = viewer.eval("venos.measureAngle([100, 100], [200, 100], [200, 50])")
    assert api["value"] == pytest.approx(90.0) and api["units"] == "°"
    viewer.page.click("[data-tool=angle]")
    box = viewer.page.locator("#canvas").bounding_box()
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    done = viewer.when("measurement")
    viewer.page.mouse.move(cx - 80, cy)
    viewer.page.mouse.down()
    viewer.page.mouse.move(cx, cy, steps=5)  # first arm, to the vertex
    viewer.page.mouse.up()
    viewer.page.mouse.move(cx + 40, cy - 40, steps=5)  # the second arm follows the mouse
    assert viewer.page.locator("#annotations polyline").count() == 1
    viewer.page.mouse.click(cx + 40, cy - 40)
    m = viewer.page.evaluate("h => h.promise", done)
    assert m["kind"] == "angle" and m["value"] == pytest.approx(135.0, abs=1.5)  # square pixels in this CT
    assert viewer.page.text_content("#annotations text tspan").endswith("°")
    # Escape abandons a half-drawn angle
    viewer.page.mouse.move(cx - 60, cy + 60)
    viewer.page.mouse.down()
    viewer.page.mouse.move(cx, cy + 80, steps=3)
    viewer.page.mouse.up()
    viewer.page.keyboard.press("Escape")
    assert viewer.page.locator("#annotations polyline").count() == 1


def test_toolbar_fits_one_row_on_a_1280_pixel_screen(viewer):
    viewer.open()  # the fixture's window is 1280 × 800
    rows = viewer.eval("""(() => { const t = document.querySelector('.toolbar');
        return new Set([...t.querySelectorAll('.btn, select')].filter((b) => b.getClientRects().length)  // shown ones
          .map((b) => Math.round(b.getBoundingClientRect().top))).size; })()""")
    assert rows == 1


def test_lossy_compressed_images_say_so_and_lossless_ones_do_not(viewer):
    viewer.open()
    viewer.drop({"us.dcm": (DATA / "cornerstone3D/US-YBR_FULL_422-EVRLE.dcm").read_bytes()})
    viewer.page.wait_for_function("document.getElementById('ov-lossy').textContent.length > 0")
    assert viewer.page.text_content("#ov-lossy") == "Lossy compression 13:1 (ISO_10918_1)"
    viewer.eval("venos.clear()")
    viewer.load_via_input(ct_files()[:1])
    viewer.page.wait_for_function("document.getElementById('ov-tr').textContent.length > 0")
    assert viewer.page.text_content("#ov-lossy") == ""


def test_ultrasound_is_measured_in_mm_from_its_calibrated_region(viewer):
    viewer.open()
    path = DATA / "pydicom-data/OBXXXX1A.dcm"
    reg = pydicom.dcmread(path, stop_before_pixels=True).SequenceOfUltrasoundRegions[0]
    viewer.drop({"us.dcm": path.read_bytes()})
    viewer.page.wait_for_function("document.getElementById('ov-bl').textContent.includes('ultrasound')")
    mm = abs(reg.PhysicalDeltaX) * 10
    assert f"Pixel {mm:.3f}×{mm:.3f} mm in the ultrasound region" in viewer.page.text_content("#ov-bl")
    r = viewer.eval("venos.measureLength([200, 100], [500, 100])")
    assert r["units"] == "mm" and r["value"] == pytest.approx(300 * mm) and "ultrasound region 1" in r["spacing"]


def _drop_synthetic(viewer, name, arr, **attrs):
    """Drop the first CT slice with its pixels replaced by ``arr`` (int16) and ``attrs`` set; wait until shown."""
    ds = pydicom.dcmread(ct_files()[0])
    ds.Rows, ds.Columns = arr.shape
    ds.PixelData = arr.astype(np.int16).tobytes()
    for k, v in attrs.items():
        setattr(ds, k, v)
    buf = io.BytesIO()
    ds.save_as(buf)
    viewer.drop({name: buf.getvalue()})
    viewer.page.wait_for_function("venos.frame() !== null")


def test_non_square_pixels_are_drawn_in_their_true_proportions(viewer):
    viewer.open()
    # rows 2 mm apart, columns 1 mm: each pixel twice as tall as wide
    _drop_synthetic(viewer, "tall.dcm", np.full((100, 100), 2000, dtype=np.int16),
                    PixelSpacing=[2.0, 1.0], WindowCenter=0, WindowWidth=100)
    viewer.set_view({"zoom": 2, "pan": [0, 0]})
    w, h = viewer.eval("""(() => { const c = document.getElementById('canvas');
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height);
        let x0 = 1e9, x1 = -1, y0 = 1e9, y1 = -1;
        for (let y = 0; y < d.height; y++) for (let x = 0; x < d.width; x++) {
          if (d.data[(y * d.width + x) * 4] > 128) { x0 = Math.min(x0, x); x1 = Math.max(x1, x); y0 = Math.min(y0, y); y1 = Math.max(y1, y); }
        }
        return [(x1 - x0 + 1) / devicePixelRatio, (y1 - y0 + 1) / devicePixelRatio]; })()""")
    assert w == pytest.approx(200, abs=2) and h == pytest.approx(400, abs=2)  # zoom 2: 100 px → 200 × 400
    # measurements stay in image pixels scaled by the spacing: 50 rows × 2 mm = 100 mm
    r = viewer.eval("venos.measureLength([50, 10], [50, 60])")
    assert r["value"] == pytest.approx(100.0)


def test_measurement_list_goes_to_slices_and_exports_csv(viewer):
    import csv

    viewer.open()
    files = ct_files()[:2]
    evil = "=HYPERLINK(x).dcm"  # a file name a spreadsheet would run as a formula
    viewer.drop({evil: files[0].read_bytes(), "b.dcm": files[1].read_bytes()})
    viewer.set_view({"slice": 0, "zoom": 1, "pan": [0, 0]})
    first = viewer.eval("venos.tags()")["source"]
    m1 = viewer.measure_by_drag("length", (-50, 0), (50, 0))
    m2 = viewer.measure_by_drag("ellipse", (-40, -30), (40, 30))
    viewer.set_view({"slice": 1})
    m3 = viewer.measure_by_drag("rectangle", (-20, -20), (20, 20))
    listed = viewer.eval("venos.measurements()")
    assert [m["kind"] for m in listed] == ["length", "ellipse", "rectangle"]
    assert [m["slice"] for m in listed] == [0, 0, 1] and listed[0]["source"] == first
    assert listed[0]["value"] == m1["value"] and listed[1]["mean"] == m2["mean"] and listed[2]["pixels"] == m3["pixels"]
    rows = list(csv.DictReader(io.StringIO(viewer.eval("venos.measurementsCsv()"))))
    assert len(rows) == 3 and rows[0]["units"] == "mm" and float(rows[0]["value"]) == pytest.approx(m1["value"])
    assert float(rows[1]["mean"]) == pytest.approx(m2["mean"]) and rows[1]["units"] == "HU"
    assert rows[1]["areaUnits"] == "mm²" and "PixelSpacing" in rows[1]["spacing"]
    sources = {r["source"] for r in rows}
    assert ("'" + evil) in sources or evil not in sources  # never a bare formula
    assert not any(r["source"].startswith("=") for r in rows)
    # the dialog lists them; a click goes to the slice
    viewer.page.click("#measurements")
    viewer.page.wait_for_selector("#measurements-dialog[open]")
    assert viewer.page.locator("#measurements-table tbody tr").count() == 3
    viewer.page.locator("#measurements-table tbody tr").first.click()
    viewer.page.wait_for_function("venos.viewState().slice === 0")
    with viewer.page.expect_download() as dl:
        viewer.page.click("#measurements")
        viewer.page.click("#measurements-csv")
    assert dl.value.suggested_filename == "venos-measurements.csv"
    viewer.page.click("#measurements-clear")
    assert viewer.eval("venos.measurements()") == []


def _bright_quadrant(viewer):
    """Which quadrant of the drawn image (its on-screen bounding box) holds the bright pixels."""
    return viewer.eval("""(() => { const c = document.getElementById('canvas');
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height);
        let x0 = 1e9, x1 = -1, y0 = 1e9, y1 = -1, bx = 0, by = 0, n = 0;
        for (let y = 0; y < d.height; y++) for (let x = 0; x < d.width; x++) {
          const v = d.data[(y * d.width + x) * 4];
          if (v > 20) { x0 = Math.min(x0, x); x1 = Math.max(x1, x); y0 = Math.min(y0, y); y1 = Math.max(y1, y); }
          if (v > 200) { bx += x; by += y; n++; }
        }
        return [(bx / n - x0) / (x1 - x0) < 0.5 ? "left" : "right", (by / n - y0) / (y1 - y0) < 0.5 ? "top" : "bottom"]; })()""")


def test_rotate_and_flip_turn_the_picture_its_letters_and_the_measurements(viewer):
    viewer.open()
    arr = np.full((100, 100), 1000, dtype=np.int16)  # mid grey, so the image's extent shows on the black canvas
    arr[:50, :50] = 3000  # the top-left quadrant is bright
    _drop_synthetic(viewer, "quadrant.dcm", arr, RescaleIntercept=0, RescaleSlope=1, WindowCenter=1000,
                    WindowWidth=1000)
    viewer.set_view({"zoom": 2, "pan": [0, 0]})
    edges = lambda: {s: viewer.page.text_content(f"#ov-{s}") for s in ("left", "right", "top", "bottom")}  # noqa: E731
    assert _bright_quadrant(viewer) == ["left", "top"]
    assert edges() == {"left": "R", "right": "L", "top": "AH", "bottom": "PF"}
    viewer.page.click("#rotate")  # 90° clockwise: the top-left corner goes to the top right
    viewer.page.wait_for_function("venos.viewState().rotate === 90")
    viewer.eval("new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))")  # painted
    assert _bright_quadrant(viewer) == ["right", "top"]
    assert edges() == {"left": "PF", "right": "AH", "top": "R", "bottom": "L"}
    frame_before = viewer.frame()
    viewer.page.click("#flip")  # mirrored first, then turned: top-left → top-right → bottom-right
    viewer.page.wait_for_function("venos.viewState().flip === true")
    viewer.eval("new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))")
    assert _bright_quadrant(viewer) == ["right", "bottom"]
    # the bright corner (stored toward R and AH) is now bottom-right: bottom R, right AH
    assert edges() == {"left": "PF", "right": "AH", "top": "L", "bottom": "R"}
    assert np.array_equal(viewer.frame(), frame_before)  # the camera turns; the rendered pixels do not change
    # a drag across the screen is a measurement down the image now: p1 → p2 runs along the rows
    m = viewer.measure_by_drag("length", (-50, 0), (50, 0))
    dx, dy = m["p2"][0] - m["p1"][0], m["p2"][1] - m["p1"][1]
    assert abs(dx) < 0.5 and dy == pytest.approx(-50, abs=0.5)  # 100 px at zoom 2 towards the right = the top
    # the camera is part of share links
    frag = viewer.eval("""import('./app/js/cloud/link.js').then((m) => {
        const f = m.viewFragment({ slice: 0, rotate: 270, flip: true });
        return [f, m.parseView('#' + f)]; })""")
    assert "rot=270" in frag[0] and "flip=1" in frag[0] and frag[1]["rotate"] == 270 and frag[1]["flip"] is True
    viewer.page.focus("#viewport")
    drawn = viewer.when("rendered")
    viewer.page.keyboard.press("r")  # reset puts the camera back
    viewer.page.evaluate("h => h.promise", drawn)
    assert viewer.eval("venos.viewState().rotate") == 0 and viewer.eval("venos.viewState().flip") is False
    assert _bright_quadrant(viewer) == ["left", "top"]


def test_a_scroll_while_a_frame_is_being_made_is_not_undone_by_it(viewer):
    watch(viewer)
    viewer.open()
    viewer.load_via_input(ct_files()[:8])
    viewer.set_view({"slice": 5})
    # a window change starts a render; Home arrives before it is drawn and must win once it is
    viewer.eval("""(() => {
        venos.setViewState({ center: 100, width: 300 });
        document.getElementById('viewport').dispatchEvent(new KeyboardEvent('keydown', { key: 'Home', bubbles: true }));
    })()""")
    viewer.page.wait_for_function("venos.viewState().slice === 0")
    settle(viewer)  # every request in flight has been answered and drawn
    assert viewer.eval("venos.viewState().slice") == 0
    assert viewer.eval("venos.viewState().center") == 100


THUMB_WATCH = """(() => {
  window.__thumbAsks = [];
  const send = Worker.prototype.postMessage;
  Worker.prototype.postMessage = function (msg, ...rest) {
    if (msg && msg.method === "thumbnail") window.__thumbAsks.push(performance.now());
    return send.call(this, msg, ...rest);
  };
})()"""


def test_a_series_thumbnail_is_drawn_once_while_its_files_load_and_shows_the_whole_series_after(viewer):
    """While a long load parses files, the series list keeps a series' first thumbnail (each new one cost the
    worker a file read and a render between files); when the load ends it shows the middle slice of the whole
    series. Slice k holds one value, so the thumbnail's grey says which slice it shows."""
    import synthetic as sy

    n, center, width = 240, -524.0, 1100.0
    vol = (np.arange(n, dtype=np.int16) * 5)[:, None, None] * np.ones((1, 32, 32), dtype=np.int16)
    files = sy.series(vol, positions=sy.stacked(n, 1.0), window=(center, width))
    watch(viewer)
    viewer.page.add_init_script(THUMB_WATCH)
    viewer.open()
    summary = viewer.eval("""async (staged) => {
        const files = await (%s)(staged);
        const ended = new Promise((r) => { const off = venos.on('loadend', (d) => { off(); r(performance.now()); }); });
        window.__counts = [];
        venos.on('rendered', (d) => { if (d.meta && d.meta.overlay) window.__counts.push(d.meta.overlay.slices); });
        const summary = await venos.load(files);
        return { summary, ended: await ended, asks: window.__thumbAsks.slice() };
    }""" % viewer._files_js, viewer._stage(files))
    assert summary["summary"]["loaded"] == n
    # one when the series first appeared, one with its final list as the load ended; none as it grew (the list
    # is refreshed every 150 ms during a load: the load of ~1 s would have asked ~6 times)
    viewer.page.wait_for_function("document.querySelector('#series-list .thumb').width > 1")
    settle(viewer)
    assert 1 <= len(viewer.eval("window.__thumbAsks")) <= 2, summary
    # the overlay's slice count followed the load (at most twice a second while it ran) and ends right: the first
    # image, the updates, the load's end and one more the list's last refresh may bring (every 150 ms, it was 6)
    counts = viewer.eval("window.__counts")
    assert counts[-1] == n and len(counts) <= 3 + summary["summary"]["ms"] / 500, counts
    grey = viewer.eval("""(() => {
        const c = document.querySelector('#series-list .thumb');
        return c.getContext('2d').getImageData(c.width >> 1, c.height >> 1, 1, 1).data[0];
    })()""")
    hu = (n // 2) * 5 - 1024.0  # the middle slice of the whole series
    expected = ((hu - (center - 0.5)) / (width - 1) + 0.5) * 255
    assert abs(grey - expected) <= 1, (grey, expected)


HEAD_WATCH = """(() => {
  window.__heads = [];
  const send = Worker.prototype.postMessage;
  Worker.prototype.postMessage = function (msg, ...rest) {
    if (msg && msg.head) {
      window.__heads.push({ id: msg.head.id, bytes: msg.head.buf ? msg.head.buf.byteLength : null });
      // the first head sent is spoiled: the worker must parse what the page sent it, not read the file again
      if (window.__heads.length === 1 && msg.head.buf) new Uint8Array(msg.head.buf).fill(0);
    }
    return send.call(this, msg, ...rest);
  };
})()"""


def test_the_page_reads_each_files_first_bytes_and_the_worker_parses_those(viewer):
    """A local load's heads (the first bytes Python parses) are read on the page's thread and sent to the worker
    ahead of their turn; the worker parses what it was sent (a head spoiled on the way makes that file, and only
    that one, a named skip)."""
    files = {p.name: p.read_bytes() for p in ct_files()[:6]}
    viewer.page.add_init_script(HEAD_WATCH)
    viewer.open()
    head_bytes = viewer.eval("venos.runtime.headBytes")
    assert head_bytes >= 1024
    summary = viewer.load_bytes(files)
    heads = viewer.eval("window.__heads")  # the first two files the worker reads itself (the first image's)
    assert len(heads) == 4 and len({h["id"] for h in heads}) == 4
    assert all(h["bytes"] == min(head_bytes, len(b)) for h, b in zip(heads, files.values())), heads
    assert summary["loaded"] == 5 and summary["failed"] == 1, summary
    skipped = viewer.eval("venos.skipped()")
    spoiled = list(files)[2 + heads[0]["id"] - min(h["id"] for h in heads)]  # ids follow the files' order
    assert len(skipped) == 1 and skipped[0]["source"] == spoiled and skipped[0]["code"] == "not-dicom", skipped
    assert viewer.eval("venos.series()")[0]["slices"] == 5


def _load_and_describe(viewer, files):
    """Load, then describe what was loaded independently of the order the files were added in (with helpers,
    files are added as they are ready): each series by its UID, its slices' elements, the skips, and the pixels of
    the CT's sixth slice."""
    summary = viewer.load_bytes(files)
    out = viewer.eval("""async () => {
        const series = await venos.series();
        const out = {};
        for (const s of series) {
            const tags = [];
            for (let i = 0; i < s.slices; i++) tags.push(await venos.tags(s.id, i));
            out[s.seriesUid] = { ...s, id: undefined, tags };
        }
        const skipped = (await venos.skipped()).map((k) => JSON.stringify(k)).sort();
        return { series: out, skipped, ct: series.find((s) => s.slices === 12).id };
    }""")
    viewer.set_view({"series": out.pop("ct"), "slice": 5})
    return summary, out, viewer.frame()


def test_a_parsing_helper_parses_plain_files_and_the_viewer_shows_what_it_shows_without_one(viewer):
    """With a parsing helper (a second Python), a load's plain files are parsed there and added here: the series,
    every slice's elements (read here on demand), the skipped files and the pixels are those of a load without it;
    a compressed file and a file that is no DICOM are left to the viewer's worker."""
    ct = {p.name: p.read_bytes() for p in ct_files()[:12]}
    jpeg = "cornerstone3D/CTImage.dcm_JPEGProcess1TransferSyntax_1.2.840.10008.1.2.4.50.dcm"
    files = {**ct, "lossy.dcm": data_path(jpeg).read_bytes(), "notes.txt": b"not an image at all"}
    viewer.open()
    assert viewer.eval("venos.setParsers(0)")["wanted"] == 0
    alone, described_alone, frame_alone = _load_and_describe(viewer, files)
    assert alone["helped"] == 0

    viewer.open()
    asked = []
    viewer.page.context.on("request", lambda r: asked.append(r.url))
    state = viewer.eval("venos.setParsers(1)")
    assert state["wanted"] == 1 and state["started"] is True
    for _ in range(300):  # its start and warm-up: ~1.5 s
        p = viewer.eval("venos.setParsers()")
        if p["up"] or p["failures"]:
            break
        viewer.page.wait_for_timeout(100)
    assert p["up"] == 1 and p["failures"] == [], p
    # it boots from the runtime files the viewer's start kept in Cache Storage, without asking for them again
    assert not [u for u in asked if u.endswith(("pyodide.asm.wasm", "python_stdlib.zip", "site.zip"))], asked
    helped, described, frame = _load_and_describe(viewer, files)
    assert 0 < helped["helped"] <= 12, helped  # only the plain CT slices can be the helper's
    assert {k: helped[k] for k in ("total", "loaded", "failed")} == {k: alone[k] for k in ("total", "loaded", "failed")}
    assert described == described_alone
    assert np.array_equal(frame, frame_alone)
    p = viewer.eval("venos.stats()")["parsers"]
    assert p["answered"] >= helped["helped"] and p["warmUp"]["runs"] > 0
