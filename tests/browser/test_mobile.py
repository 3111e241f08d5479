"""On a phone: the layout fits a 390×844 touch screen, one finger windows, two fingers pinch-zoom."""
import pytest

from conftest import ViewerPage, data_path

pytestmark = pytest.mark.browser


@pytest.fixture
def phone(browser, site):
    context = browser.new_context(bypass_csp=True, viewport={"width": 390, "height": 844}, has_touch=True,
                                  is_mobile=True, device_scale_factor=3)
    page = context.new_page()
    yield ViewerPage(page, site.url)
    context.close()


def touch(cdp, kind, points):
    cdp.send("Input.dispatchTouchEvent", {"type": kind, "touchPoints": [
        {"x": x, "y": y, "id": i} for i, (x, y) in enumerate(points)]})


def test_phone_layout_and_touch_gestures(phone):
    phone.open()
    files = sorted(data_path("dcm_qa_ct/GE").glob("*.dcm"))[:4]
    phone.load_via_input(files)
    box = phone.page.locator("#canvas").bounding_box()
    assert box["width"] >= 380 and box["height"] >= 400  # the image gets most of the screen
    assert phone.page.evaluate("document.documentElement.scrollWidth") <= 390  # no sideways page scroll
    # the slice bar's buttons and the status are all on screen, not clipped by the window's edge
    right = phone.page.evaluate("""Math.max(...[...document.querySelectorAll('.slicebar > *')]
        .map((e) => e.getBoundingClientRect().right))""")
    assert right <= 390
    assert phone.page.evaluate("document.getElementById('status').getBoundingClientRect().width") > 150
    cdp = phone.page.context.new_cdp_session(phone.page)
    cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    before = phone.eval("venos.viewState()")
    touch(cdp, "touchStart", [(cx, cy)])
    for i in range(1, 6):
        touch(cdp, "touchMove", [(cx + 12 * i, cy + 6 * i)])
    touch(cdp, "touchEnd", [])
    phone.page.wait_for_function(f"venos.viewState().width > {before['width']}")
    # pinch out: fingers move apart → zoom in
    fit = phone.eval("venos.viewState().zoom")
    assert fit == 0
    touch(cdp, "touchStart", [(cx - 40, cy), (cx + 40, cy)])
    for i in range(1, 6):
        touch(cdp, "touchMove", [(cx - 40 - 15 * i, cy), (cx + 40 + 15 * i, cy)])
    touch(cdp, "touchEnd", [])
    phone.page.wait_for_function("venos.viewState().zoom > 0")
    z = phone.eval("venos.viewState().zoom")
    fit_scale = box["width"] / 512
    assert z == pytest.approx(fit_scale * 230 / 80, rel=0.15)


VISIBLE = "(sel) => [...document.querySelectorAll(sel)].filter((e) => e.offsetParent !== null).length"


def test_the_empty_phone_screen_says_tap_and_the_toolbar_shows_it_scrolls(phone):
    phone.open()
    assert phone.eval(VISIBLE, ".drop-hint .for-touch") == 2 and phone.eval(VISIBLE, ".drop-hint .for-pointer") == 0
    assert "Tap Files" in phone.page.locator(".drop-hint").inner_text()
    bar = phone.eval("""(() => { const t = document.querySelector('.toolbar'); const s = getComputedStyle(t);
        return { scrolls: t.scrollWidth > t.clientWidth, overflow: s.overflowX, shade: s.backgroundImage }; })()""")
    assert bar["scrolls"] and bar["overflow"] == "auto"  # more tools than the screen is wide, in one row
    assert bar["shade"].count("radial-gradient") == 2  # the shade at the edge with more behind it


def test_a_desktop_says_drop(viewer):
    viewer.open()
    assert viewer.eval(VISIBLE, ".drop-hint .for-pointer") == 2 and viewer.eval(VISIBLE, ".drop-hint .for-touch") == 0


def test_installable_manifest_and_icons(viewer):
    """A web app manifest with home-screen icons (PNG, the sizes they claim, one maskable), which Chromium parses
    without error; with the service worker (tests/browser/test_startup.py) the installed app opens offline."""
    import json
    import struct

    viewer.open()
    href = viewer.eval("document.querySelector('link[rel=manifest]').href")
    manifest = json.loads(viewer.eval("(u) => fetch(u).then((r) => r.text())", href))
    assert manifest["short_name"] == "VeNOS" and manifest["display"] == "standalone"
    start = viewer.eval("([s, b]) => new URL(s, b).href", [manifest["start_url"], href])
    assert start == viewer.base_url + "index.html"
    purposes = set()
    for icon in manifest["icons"]:
        url = viewer.eval("([s, b]) => new URL(s, b).href", [icon["src"], href])
        head = viewer.eval("""(u) => fetch(u).then((r) => r.arrayBuffer())
            .then((b) => Array.from(new Uint8Array(b.slice(0, 24))))""", url)
        head = bytes(head)
        assert head[:8] == b"\x89PNG\r\n\x1a\n", icon
        w, h = struct.unpack(">II", head[16:24])
        assert f"{w}x{h}" == icon["sizes"] and icon["type"] == "image/png"
        purposes.add(icon["purpose"])
    assert {"any", "maskable"} <= purposes and any(i["sizes"] == "512x512" for i in manifest["icons"])
    cdp = viewer.page.context.new_cdp_session(viewer.page)
    parsed = cdp.send("Page.getAppManifest")
    assert parsed["errors"] == [] and parsed["url"] == href
    files = json.loads(viewer.eval("fetch('runtime.json').then((r) => r.text())"))["files"]
    assert "app/manifest.webmanifest" in files and "app/img/icon-512.png" in files  # kept for offline use


def test_the_sample_case_opens_by_tap_and_by_address_on_a_phone(phone, dist):
    """The first run: a real CT (TCIA RIDER Lung CT, CC BY 4.0, shipped by build.py) by one tap, its credit shown;
    `index.html?sample` opens it too and the address becomes its share link. Pixels bit-exact."""
    import base64

    import numpy as np
    import pydicom

    runtime = __import__("json").loads((dist / "runtime.json").read_text())
    assert "sample" in runtime, "build.py shipped no sample case (see its log)"
    folder = dist / runtime["sample"]["manifest"].rsplit("/", 1)[0]
    assert "CC BY 4.0" in (folder / "LICENSE.txt").read_text()
    phone.open()
    assert phone.page.is_visible("#open-sample")
    assert "CC BY 4.0" in phone.page.text_content("#sample-credit")
    phone.page.tap("#open-sample")
    phone.page.wait_for_function("""() => venos.frame() !== null && document.getElementById('progress').hidden
        && !document.getElementById('series-list').textContent.includes('loaded')""", timeout=60_000)
    (s,) = phone.eval("venos.series()")
    assert s["slices"] == runtime["sample"]["slices"] >= 50 and s["modality"] == "CT" and s["pending"] == 0
    d = phone.eval("""async () => { const d = await venos.pixelData('1', 20);
        const u = new Uint8Array(d.data.buffer || d.data); let b = '';
        for (let k = 0; k < u.length; k += 0x8000) b += String.fromCharCode.apply(null, u.subarray(k, k + 0x8000));
        return { dtype: d.dtype, shape: d.shape, source: d.source, b64: btoa(b) }; }""")
    got = np.frombuffer(base64.b64decode(d["b64"]), dtype=d["dtype"]).reshape(d["shape"])
    ref = pydicom.dcmread(folder / d["source"].rsplit("/", 1)[1]).pixel_array
    assert np.array_equal(got, ref)
    assert phone.page.evaluate("document.documentElement.scrollWidth") <= 390

    page2 = phone.page.context.new_page()
    page2.add_init_script("""window.addEventListener('venos-early', () => __venosEarly.worker.addEventListener('message',
        (e) => { if (e.data && e.data.event === 'caseinfo') window.__caseinfo = e.data.data; }));""")
    page2.goto(phone.base_url + "index.html?sample")
    page2.wait_for_function("window.venos && venos.frame() !== null", timeout=60_000)
    # the sample's manifest is a list of addresses: it tells how many images, and no series count (not "0 series")
    assert page2.evaluate("window.__caseinfo") == {"title": "", "series": None, "instances": runtime["sample"]["slices"]}
    assert "manifest=" in page2.url and "sample" not in page2.url.split("?", 1)[1].split("manifest=")[0]
    page2.wait_for_function("(n) => venos.series().then((l) => l.length === 1 && l[0].slices === n && !l[0].pending)",
                            arg=runtime["sample"]["slices"], timeout=60_000)
