"""Cases from other origins, end to end: real HTTP servers on other loopback ports, the built dist/ in Chromium."""
from __future__ import annotations

import base64
import re
from urllib.parse import urlparse

import numpy as np
import pytest

from remote_helpers import (GE, case_dir, cors_host, ge_files, open_case, plain_host, remote, slice_order,  # noqa: F401
                            throttle, zip_bytes)
from conftest import data_path
from test_viewer import reference_grey

pytestmark = pytest.mark.browser

# The case opened by the page's own link is in: one series listed, none of its slices still loading, a frame shown.
ALL_IN = """() => { const l = document.getElementById('series-list');
    return l.children.length === 1 && !l.textContent.includes('loaded') && window.venos && venos.frame() !== null
      && document.getElementById('progress').hidden; }"""


def test_manifest_shows_series_before_pixels_then_every_slice_matches_cpython(remote, cors_host):
    remote.open()
    url = cors_host.url + "case/manifest.json"
    seen = remote.page.evaluate_handle("""() => ({ p: new Promise((r) => {
        const off = venos.on('series', (l) => { if (l.length) { off(); r(l.map((s) => ({...s}))); } }); }) })""")
    res = open_case(remote, url)
    early = remote.page.evaluate("h => h.p", seen)
    # the series list came from metadata, before its pixels: 28 slices, all still pending
    assert early[0]["slices"] == 28 and early[0]["pending"] >= 27
    assert res["firstPending"] is not None or res["first"] is not None
    s = res["summary"]
    assert s["loaded"] == 28 and s["failed"] == 0 and s["bytes"] > 28 * 500_000
    (series,) = remote.eval("venos.series()")
    assert series["slices"] == 28 and series["pending"] == 0 and series["description"] == ""  # the files' own
    order = slice_order(ge_files())
    for i in (0, 13, 27):
        remote.set_view({"slice": i, "center": 40, "width": 400})
        shown = remote.eval(f"venos.pixelData('1', {i})")["source"]
        assert shown.endswith("/" + order[i])
        assert np.array_equal(remote.frame()[..., 0], reference_grey(data_path(GE) / order[i], 40, 400))
    # text from the manifest is shown as text
    assert remote.offsite == [] and remote.dialogs == []


def test_url_list_with_png_and_a_zip_by_url(remote, cors_host, case_dir):
    remote.open()
    base = cors_host.url + "case/"
    (case_dir / "broken.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"\0" * 20)  # a PNG the browser cannot decode
    res = open_case(remote, {"urls": ["01.dcm", "02.dcm", "03.dcm", "photo.png", "broken.png", "study.zip"],
                             "base": base})
    s = res["summary"]
    # 3 DICOM + 1 PNG + the zip's 5 DICOM, of which 3 are the same images as the first three (shown once, each
    # skipped as a duplicate); the broken PNG and the zip's README are reported, not fatal
    assert s["loaded"] == 6 and s["failed"] == 5, s
    assert any(x["source"].endswith("broken.png") and x["code"] == "decode" for x in remote.eval("venos.skipped()"))
    dups = [x for x in remote.eval("venos.skipped()") if x["code"] == "duplicate"]
    assert sorted(x["source"].rsplit("/", 1)[1] for x in dups) == ["01.dcm", "02.dcm", "03.dcm"]
    assert all("study.zip#study/" in x["source"] and "already loaded from" in x["message"] for x in dups)
    series = remote.eval("venos.series()")
    assert sorted(x["slices"] for x in series) == [1, 5]
    skipped = remote.eval("venos.skipped()")
    assert any(x["source"].endswith("study.zip#study/README.txt") and x["code"] == "not-dicom" for x in skipped)


def test_plain_text_list_as_manifest(remote, cors_host):
    remote.open()
    res = open_case(remote, cors_host.url + "case/list.txt")
    assert res["summary"]["loaded"] == 8
    assert remote.eval("venos.series()")[0]["slices"] == 8


def test_each_failure_is_named_and_the_rest_loads(remote, cors_host, plain_host, site):
    cors_host.html("/case/login.dcm")
    remote.open()
    urls = [cors_host.url + "case/04.dcm", plain_host.url + "case/05.dcm", cors_host.url + "case/missing.dcm",
            cors_host.url + "case/login.dcm", "http://127.0.0.1:9/case/06.dcm", cors_host.url + "case/07.dcm"]
    res = open_case(remote, {"urls": urls}, {"retries": 1, "backoffMs": 50})
    assert res["summary"]["loaded"] == 2 and res["summary"]["failed"] == 4
    why = {x["source"]: x for x in remote.eval("venos.skipped()")}
    cors = why[urls[1]]
    origin = site.url.rstrip("/")
    assert cors["code"] == "cors" and f"Access-Control-Allow-Origin: {origin}" in cors["message"]
    assert why[urls[2]]["code"] == "not-found" and "HTTP 404" in why[urls[2]]["message"]
    assert why[urls[3]]["code"] == "not-dicom" and "web page (text/html)" in why[urls[3]]["message"]
    assert why[urls[4]]["code"] == "network" and "could not be reached" in why[urls[4]]["message"]
    # the user sees them by name and reason
    remote.page.wait_for_selector("#skipped-box:not([hidden])")
    text = remote.page.text_content("#skipped-list")
    assert "Access-Control-Allow-Origin" in text and "HTTP 404" in text


def test_server_errors_are_retried_and_stalls_time_out(remote, cors_host):
    cors_host.fail("/case/08.dcm", 503, 502)
    cors_host.stall("/case/slow.dcm", 4)
    remote.open()
    res = open_case(remote, {"urls": [cors_host.url + "case/08.dcm", cors_host.url + "case/slow.dcm"]},
                    {"retries": 2, "backoffMs": 50, "stallMs": 1000})
    assert res["summary"]["loaded"] == 1
    assert cors_host.hits["/case/08.dcm"] == 3  # two 5xx, then the file
    (why,) = remote.eval("venos.skipped()")
    assert why["code"] == "timeout" and "timed out" in why["message"] and "3 tries" in why["message"]


def test_reopening_a_case_is_served_from_memory(remote, cors_host):
    remote.open()
    url = cors_host.url + "case/manifest.json"
    first = open_case(remote, url)["summary"]
    hits = sum(cors_host.hits.values())
    again = open_case(remote, url)["summary"]
    assert sum(cors_host.hits.values()) == hits  # not one request more
    slices = sum(f.stat().st_size for f in ge_files())
    assert first["loaded"] == 28 and first["bytes"] >= slices  # the first time, every slice came over the network
    # the second, none did: the queue started no request, and each slice's exact bytes came from the cache
    assert again["loaded"] == 28 and again["bytes"] == 0 and again["cachedBytes"] == slices
    assert again["net"]["trace"] == [] and again["net"]["completed"] == 28


def test_opening_another_case_cancels_the_first(remote, cors_host):
    remote.open()
    throttle(remote, 8, 20)
    remote.eval("""(u) => { window.__first = venos.open(u); }""", cors_host.url + "case/manifest.json")
    remote.page.wait_for_function("document.querySelectorAll('#series-list li').length > 0")
    res = open_case(remote, {"urls": [cors_host.url + "case/20.dcm", cors_host.url + "case/21.dcm"]})
    assert remote.eval("window.__first")["cancelled"] is True
    assert res["summary"]["loaded"] == 2
    series = remote.eval("venos.series()")
    assert len(series) == 1 and series[0]["slices"] == 2
    assert sum(v for k, v in cors_host.hits.items() if re.match(r"/case/\d\d\.dcm$", k)) < 28 + 2


def test_share_link_round_trip(remote, cors_host, site):
    url = cors_host.url + "case/manifest.json"
    remote.open("index.html?manifest=" + url)
    remote.page.wait_for_function(ALL_IN)
    state = remote.set_view({"slice": 17, "center": 50, "width": 350, "zoom": 1.7, "pan": [12, -30], "invert": True})
    before = remote.frame()
    remote.page.click("#copy-link")
    remote.page.wait_for_function("document.getElementById('share-link').value.length > 0")
    link = remote.page.input_value("#share-link")
    clip = remote.eval("navigator.clipboard.readText()")
    assert clip == link and "manifest=" in link and "#series=" in link and "slice=17" in link
    assert "token" not in link.lower()
    page2 = remote.context.new_page()
    page2.goto(link)
    page2.wait_for_function("window.venos && venos.viewState().slice === 17 && venos.frame() !== null", timeout=60_000)
    page2.wait_for_function("venos.viewState().width === 350")
    s2 = page2.evaluate("venos.viewState()")
    for k in ("slice", "center", "width", "zoom", "pan", "invert"):
        assert s2[k] == state[k], k
    f = page2.evaluate("""() => { const f = venos.frame(); let s = ''; const d = f.data;
        for (let i = 0; i < d.length; i += 0x8000) s += String.fromCharCode.apply(null, d.subarray(i, i + 0x8000));
        return btoa(s); }""")
    after = np.frombuffer(base64.b64decode(f), dtype=np.uint8).reshape(before.shape)
    assert np.array_equal(before, after)


def test_a_share_link_keeps_the_layout_and_every_viewport(remote, cors_host):
    """The MPR arrangement of a shared case, with a slab, a window sync and the active viewport, reopens as it was."""
    remote.open("index.html?manifest=" + cors_host.url + "case/manifest.json")
    remote.page.wait_for_function(ALL_IN)
    remote.eval("venos.mpr()")
    remote.eval("venos.setViewState({slice: 200, slab: 8, slabMode: 'minip'}, 2)")
    remote.eval("venos.setActiveViewport(1)")
    remote.eval("venos.setSync({window: true})")
    before = remote.eval("venos.layout()")
    remote.page.click("#copy-link")
    remote.page.wait_for_function("document.getElementById('share-link').value.length > 0")
    link = remote.page.input_value("#share-link")
    assert "layout=1x3" in link and "plane=axial" in link and "sync=window" in link
    page2 = remote.context.new_page()
    page2.goto(link)
    page2.wait_for_function("window.venos && venos.layout().layout === '1x3' && venos.viewState(2).plane === 'sagittal'"
                            " && venos.frame(2) !== null", timeout=60_000)
    after = page2.evaluate("venos.layout()")
    assert after["active"] == 1 and after["sync"] == before["sync"] and after["referenceLines"] == "all"
    for a, b in zip(before["viewports"], after["viewports"]):
        for k in ("plane", "slice", "slab", "slabMode", "angle", "center", "width"):
            assert a[k] == b[k], (k, a[k], b[k])
    assert "MinIP 8 mm" in page2.text_content("[data-pane='2'] .corner.tr")


def test_link_view_is_fetched_first_and_scrolling_reorders(remote, cors_host):
    import pydicom

    order = slice_order(ge_files())
    slice_of = {"/case/" + name: i for i, name in enumerate(order)}
    # Slice requests in the order the worker makes them. The link's slice goes through; the ones started after it
    # are held, so the scroll below re-ranks what waits at a point where nothing can complete.
    seen, held, gate = [], [], {"open": False}

    def hold(route):
        seen.append(slice_of[urlparse(route.request.url).path])
        if len(seen) == 1 or gate["open"]:
            route.fallback()
        else:
            held.append(route)

    remote.context.route(re.compile(r"/case/\d+\.dcm$"), hold)  # runs before the fixture's guard (added later)
    remote.open()
    series_uid = pydicom.dcmread(ge_files()[0], stop_before_pixels=True).SeriesInstanceUID
    remote.eval("""([u, s]) => { window.__done = venos.open({ manifest: u, view: { seriesUid: s, slice: 20 } }); }""",
                [cors_host.url + "case/manifest.json", series_uid])
    remote.page.wait_for_function("venos.viewState().slice === 20 && venos.frame() !== null", timeout=30_000)
    assert seen[0] == 20, seen  # what the link shows came first, alone
    started = remote.eval("venos.net.stats()")["queue"]["active"]  # the queue filled up once it had arrived
    assert started >= 1
    until(remote, lambda: len(held) == started)
    batch = seen[1:]
    assert all(abs(s - 20) <= len(batch) for s in batch), batch  # around the link's slice
    # scroll far while those are on the wire: the worker re-ranks what has not started (before the frame is drawn)
    remote.set_view({"slice": 3})
    gate["open"] = True
    for route in held:
        route.fallback()
    assert remote.eval("window.__done")["loaded"] == 28
    assert sorted(seen) == list(range(28)), seen  # each slice once
    after = seen[1 + len(batch):]
    assert after[0] == 3, seen  # the slice scrolled to is the next one asked for
    # what is near the new position comes before what is still nearer the old one and had not started
    near_new = [after.index(s) for s in after if abs(s - 3) <= 3]
    near_old = [after.index(s) for s in after if abs(s - 20) < abs(s - 3)]
    assert near_old and max(near_new) < min(near_old), (batch, after)


def until(vp, condition, timeout_s: float = 10):
    """Wait for a condition on state the test's own route handlers keep (Playwright runs them while it is called)."""
    import time

    deadline = time.monotonic() + timeout_s
    while not condition():
        assert time.monotonic() < deadline, "condition not met in time"
        vp.eval("() => new Promise((r) => setTimeout(r, 20))")


def test_throttled_link_first_image_early_and_link_kept_full(remote, cors_host):
    remote.open()
    throttle(remote, 20, 40)
    res = open_case(remote, cors_host.url + "case/manifest.json")
    s = res["summary"]
    assert s["loaded"] == 28
    # 28 × 526 kB at 2.5 MB/s = 5.9 s of transfer. The first image must not wait for the crowd.
    assert res["first"] < 800, res["first"]
    use = s["bytes"] / (2.5e6 * s["ms"] / 1000)
    assert use > 0.9, use


def test_dicomdir_by_url_fetches_the_files_it_names(remote, cors_host):
    remote.open()
    res = open_case(remote, {"dicomdir": cors_host.url + "case/dd/DICOMDIR"})
    assert res["summary"]["loaded"] == 4
    assert remote.eval("venos.series()")[0]["slices"] == 4


def test_zip_dropped_locally_is_unpacked_in_the_browser(remote):
    remote.open()
    summary = remote.drop({"study.zip": zip_bytes(ge_files()[:6])})
    assert summary["loaded"] == 6
    assert remote.eval("venos.series()")[0]["slices"] == 6


def test_case_library_dialog_search_and_open(remote, cors_host):
    remote.open("index.html?library=" + cors_host.url + "case/index.json")
    remote.page.wait_for_selector("#library-dialog[open] #library-list li")
    items = remote.page.locator("#library-list li")
    assert items.count() == 2  # the javascript: one is dropped
    assert "Head CT <img src=x onerror=alert(1)>" in remote.page.text_content("#library-list")
    assert "Teaching <i>cases</i>" in remote.page.text_content("#library-dialog h2")
    remote.page.fill("#library-search", "plain list")
    remote.page.wait_for_function("document.querySelectorAll('#library-list li').length === 1")
    done = remote.when("loadend")
    remote.page.click("#library-list li button")
    remote.page.evaluate("h => h.promise", done)
    assert remote.eval("venos.series()")[0]["slices"] == 8
    assert remote.page.locator("#library-list img[src*='onerror']").count() == 0 and remote.dialogs == []
