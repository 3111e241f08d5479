"""Accessibility checked by axe-core (from npm, pinned by sha256, cached by build.py's fetcher) in the real page:
WCAG 2.x A and AA rules on the empty page, a loaded study, every dialog, the MPR layout and the phone layout."""
from __future__ import annotations

import sys
import tarfile
from pathlib import Path

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
                                           ("#open-url", "#open-url-dialog"), ("#open-pacs", "#pacs-dialog")])
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
