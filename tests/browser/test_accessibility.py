"""Accessibility checked by axe-core (from npm, pinned by sha256, cached by build.py's fetcher) in the real page:
WCAG 2.x A and AA rules on the empty page, a loaded study, every dialog, the MPR layout and the phone layout."""
from __future__ import annotations

import sys
import tarfile
from pathlib import Path

import pydicom
import pytest

from conftest import ViewerPage, data_path

ROOT = Path(__file__).resolve().parents[2]
AXE = ("axe-core", "4.10.3", "0f2b4d7dcdf7d1219df8d1959ad68e565f51d14c3f0d88bb71cd59abeb956292")
TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]
CT = "dcm_qa_ct/GE"


@pytest.fixture(scope="module")
def axe_js() -> str:
    sys.path.insert(0, str(ROOT / "app" / "build"))
    from fetchers import npm_pack

    with tarfile.open(npm_pack(*AXE)) as tar:
        return tar.extractfile("package/axe.min.js").read().decode()


def violations(page, axe_js: str, context: str = "document") -> list[dict]:
    if not page.evaluate("typeof window.axe !== 'undefined'"):
        page.add_script_tag(content=axe_js)
    found = page.evaluate(
        """async ([ctx, tags]) => (await axe.run(ctx === 'document' ? document : document.querySelector(ctx),
             { runOnly: { type: 'tag', values: tags }, resultTypes: ['violations'] })).violations
             .map((v) => ({ id: v.id, impact: v.impact, help: v.help,
               nodes: v.nodes.map((n) => n.target.join(' ') + ': ' + n.failureSummary.split('\\n').slice(1, 2).join('')) }))""",
        [context, TAGS])
    return found


def report(found: list[dict]) -> str:
    return "\n".join(f"{v['id']} ({v['impact']}): {v['help']}\n    " + "\n    ".join(v["nodes"][:6]) for v in found)


def test_the_empty_page_has_no_violations(viewer, axe_js):
    viewer.open()
    found = violations(viewer.page, axe_js)
    assert not found, report(found)


def test_a_loaded_study_in_a_layout_has_no_violations(viewer, axe_js):
    viewer.open()
    viewer.load_via_input(sorted(data_path(CT).glob("*.dcm"))[:8])
    viewer.measure_by_drag("length", (-40, 0), (40, 0))
    found = violations(viewer.page, axe_js)
    assert not found, report(found)
    viewer.eval("venos.setLayout('2x2')")
    viewer.page.click("#sync-menu summary")
    found = violations(viewer.page, axe_js)
    assert not found, report(found)


def test_the_mpr_layout_has_no_violations(viewer, axe_js):
    viewer.open()
    viewer.load_via_input(sorted(data_path("dcm_qa_ct/Philips/S21570/S2010").glob("I*")))
    viewer.page.click("#mpr")
    viewer.page.wait_for_function("venos.layout().layout === '1x3' && [0, 1, 2].every((i) => venos.frame(i))")
    found = violations(viewer.page, axe_js)
    assert not found, report(found)


@pytest.mark.parametrize("button,dialog", [("#tags", "#tags-dialog"), ("#measurements", "#measurements-dialog"),
                                           ("#open-url", "#open-url-dialog"), ("#open-pacs", "#pacs-dialog"),
                                           ("#console", "#console-dialog"), ("#help", "#help-dialog"),
                                           ("#share", "#share-dialog")])
def test_every_dialog_has_no_violations(viewer, axe_js, button, dialog):
    viewer.open()
    viewer.load_via_input(sorted(data_path(CT).glob("*.dcm"))[:2])
    viewer.page.click(button)
    viewer.page.wait_for_selector(f"{dialog}[open]")
    found = violations(viewer.page, axe_js)
    assert not found, report(found)


def test_the_phone_layout_has_no_violations(browser, site, axe_js):
    context = browser.new_context(bypass_csp=True, viewport={"width": 390, "height": 844}, is_mobile=True,
                                  has_touch=True, device_scale_factor=2)
    try:
        vp = ViewerPage(context.new_page(), site.url)
        vp.open()
        found = violations(vp.page, axe_js)
        assert not found, report(found)
        vp.load_via_input(sorted(data_path(CT).glob("*.dcm"))[:4])
        found = violations(vp.page, axe_js)
        assert not found, report(found)
    finally:
        context.close()


def tab_to(page, test: str, *, back: bool = False, limit: int = 60) -> None:
    """Press Tab (Shift+Tab) until the focused element passes `test` (a JS expression on `e`)."""
    for _ in range(limit):
        if page.evaluate(f"(() => {{ const e = document.activeElement; return !!e && ({test}); }})()"):
            return
        page.keyboard.press("Shift+Tab" if back else "Tab")
    raise AssertionError(f"Tab never reached an element where {test}")


def test_keyboard_only_open_scroll_window_measure_export_and_help(viewer):
    """No pointer: Tab to Files and press Enter (the file dialog opens), scroll with the arrows, pick a window preset,
    move to a second viewport, measure a length with the keyboard cursor and download the measurements as CSV; the
    live region says each, and ? lists the shortcuts."""
    viewer.open()
    page = viewer.page
    files = [str(p) for p in sorted(data_path(CT).glob("*.dcm"))[:6]]
    # answered as the user would pick (Playwright intercepts the dialog only once a listener exists: register first)
    page.on("filechooser", lambda chooser: chooser.set_files(files))
    page.wait_for_timeout(200)
    page.keyboard.press("Tab")  # the first stop is the Files picker
    for _ in range(5):
        if page.evaluate("document.activeElement.querySelector && !!document.activeElement.querySelector('#open-files')"):
            break
        page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent.trim().startsWith('Files')")
    done = viewer.when("loadend")
    page.keyboard.press("Enter")
    page.evaluate("h => h.promise", done)
    page.focus("#viewport")
    page.keyboard.press("ArrowDown")
    page.keyboard.press("ArrowDown")
    page.wait_for_function("document.getElementById('announce').textContent.includes('slice 3 of 6')")
    page.keyboard.press("3")  # a window preset other than the default
    page.wait_for_function("document.getElementById('announce').textContent.includes('window')")
    page.keyboard.press("l")  # two viewports; Tab moves to the second, which takes the keys
    page.wait_for_function("venos.layout().layout === '1x2'")
    page.keyboard.press("Tab")
    page.wait_for_function("venos.layout().active === 1")
    page.keyboard.press("s")  # the empty viewport takes a series from the list
    page.wait_for_function("venos.viewState(1).series !== ''")
    page.keyboard.press("End")
    page.wait_for_function("venos.viewState(1).slice === 5")

    # a length: Shift+Tab back to the Length tool, Enter picks it, Tab on to the active viewport, Enter shows the
    # keyboard cursor, Enter presses, the arrows drag (Shift: 20 screen px a step), Enter releases
    tab_to(page, "e.dataset.tool === 'length'", back=True)
    page.keyboard.press("Enter")
    assert page.evaluate("document.querySelector('[data-tool=length]').getAttribute('aria-pressed')") == "true"
    tab_to(page, "e.classList.contains('pane') && e.classList.contains('active')")
    page.keyboard.press("Enter")
    page.wait_for_function("document.getElementById('announce').textContent.startsWith('Keyboard cursor')")
    assert page.locator(".pane.active .kb-cursor").count() == 3
    page.keyboard.press("Shift+ArrowLeft")
    page.keyboard.press("Shift+ArrowLeft")
    page.keyboard.press("Enter")
    for _ in range(4):
        page.keyboard.press("Shift+ArrowRight")
    done = viewer.when("measurement")
    page.keyboard.press("Enter")
    m = page.evaluate("h => h.promise", done)
    page.wait_for_function("document.getElementById('announce').textContent.startsWith('Length: ')")
    (x1, y1), (x2, y2) = m["p1"], m["p2"]
    assert y1 == pytest.approx(y2) and x2 > x1
    ds = pydicom.dcmread(files[5], stop_before_pixels=True)
    assert m["units"] == "mm" and m["value"] == pytest.approx((x2 - x1) * float(ds.PixelSpacing[1]), rel=1e-6)

    # export: Tab to Measures, Enter opens the list, Tab to Download CSV, Enter saves it
    tab_to(page, "e.id === 'measurements'", back=True)
    page.keyboard.press("Enter")
    page.wait_for_selector("#measurements-dialog[open]")
    tab_to(page, "e.id === 'measurements-csv'")
    with page.expect_download() as dl:
        page.keyboard.press("Enter")
    csv = Path(dl.value.path()).read_text()
    assert csv.splitlines()[0].startswith("n,kind,text,value,units") and f"{m['value']:.1f} mm" in csv
    page.keyboard.press("Escape")
    page.wait_for_function("!document.getElementById('measurements-dialog').open")
    page.keyboard.press("?")
    page.wait_for_selector("#help-dialog[open]")
    keys = page.locator("#help-table tbody th").all_text_contents()
    assert "M" in keys and "L, Shift + L" in keys and "S, Shift + S" in keys and "?" in keys and len(keys) >= 18
    page.keyboard.press("Escape")
    assert not page.evaluate("document.getElementById('help-dialog').open")


def test_a_measurement_result_is_announced(viewer):
    viewer.open()
    viewer.load_via_input(sorted(data_path(CT).glob("*.dcm"))[:1])
    m = viewer.measure_by_drag("length", (-40, 0), (40, 0))
    viewer.page.wait_for_function("document.getElementById('announce').textContent.startsWith('Length: ')")
    said = viewer.page.text_content("#announce")
    assert said.endswith(" mm") and f"{m['value']:.1f}" in said
