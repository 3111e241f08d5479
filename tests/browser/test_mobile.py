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
