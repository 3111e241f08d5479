"""Codecs load only when a file needs them; a codec that cannot load and a corrupt frame fail clearly and locally."""
from __future__ import annotations

import io

import pydicom
import pytest
from pydicom.encaps import encapsulate, generate_frames

from codec_refs import browser_decode, staged_url
from conftest import data_path

pytestmark = pytest.mark.browser

J2K = "pydicom-data/RG3_J2KR.dcm"
JLS = ["dcm_qa_ts/7.dcm", "dcm_qa_ts/8.dcm"]


def codec_requests(viewer):
    """Vendored codec files fetched so far (dist/codecs/...; adapters under app/js/codecs/ excluded)."""
    return sorted({u.split("/codecs/")[1] for u in viewer.requests if "/codecs/" in u and "/app/js/" not in u})


@pytest.fixture
def tracked(viewer):
    viewer.requests = []
    viewer.page.on("request", lambda r: viewer.requests.append(r.url))
    viewer.warnings = []
    return viewer


def decode(viewer, site, rel):
    return browser_decode(viewer.page, staged_url(viewer.page, site, rel.replace("/", "_"), data_path(rel).read_bytes()), rel)


def listen_warnings(viewer):
    viewer.page.evaluate("() => { window.__warnings = []; venos.on('warning', (d) => __warnings.push(d)); }")


def test_no_codec_at_start_and_only_the_needed_one_on_first_use(tracked, site):
    tracked.open()
    assert codec_requests(tracked) == []  # start-up fetches no codec
    r = decode(tracked, site, J2K)
    assert r["ok"]
    assert codec_requests(tracked) == ["openjpeg/openjpegwasm_decode.mjs", "openjpeg/openjpegwasm_decode.wasm"]
    loaded = tracked.eval("venos.codecs()")["loaded"]
    assert loaded["openjpeg"]["state"] == "ready"
    assert all(v["state"] == "loadable" for k, v in loaded.items() if k != "openjpeg")


def test_codec_that_cannot_load_says_so_once_and_files_say_why(tracked, site):
    for name in ("charls", "dcmjs"):  # JPEG-LS: the preferred codec and its fallback both unreachable
        tracked.page.route(f"**/codecs/{name}/**", lambda route: route.fulfill(status=404, body="gone"))
    tracked.open()
    listen_warnings(tracked)
    results = [decode(tracked, site, p) for p in JLS]
    for p, r in zip(JLS, results):
        assert not r["ok"]
        err = r["errors"][0]
        assert err["source"] == p and err["frame"] == 0 and err["syntax"] == "1.2.840.10008.1.2.4.80"
        assert err["code"] == "unsupported-transfer-syntax"
        assert "charls decoder failed to load" in err["message"] and "dcmjs decoder failed to load" in err["message"]
    warnings = tracked.eval("window.__warnings")
    assert sorted(w["codec"] for w in warnings) == ["charls", "dcmjs"]  # once per codec, not per file or frame
    # other syntaxes still decode
    assert decode(tracked, site, J2K)["ok"]


def test_corrupt_frame_names_file_frame_and_syntax_and_the_other_frames_show(viewer):
    src = pydicom.dcmread(data_path("pydicom-data/emri_small_jpeg_ls_lossless.dcm"))
    frames = list(generate_frames(src.PixelData, number_of_frames=src.NumberOfFrames))
    frames[1] = frames[1][: len(frames[1]) // 3]  # frame 2 truncated
    src.PixelData = encapsulate(frames)
    buf = io.BytesIO()
    src.save_as(buf, enforce_file_format=True)
    viewer.open()
    summary = viewer.drop({"broken-frame.dcm": buf.getvalue()})
    assert summary["loaded"] == 1
    sid = viewer.eval("venos.series()")[0]["id"]
    viewer.set_view({"series": sid, "slice": 0})
    assert viewer.frame() is not None  # frame 1 shows
    viewer.set_view({"slice": 1})
    viewer.page.wait_for_selector("#message:not([hidden])")
    text = viewer.page.text_content("#message")
    assert "broken-frame.dcm" in text and "frame 2 of 10" in text and "JPEG-LS" in text
    viewer.set_view({"slice": 2})
    viewer.page.wait_for_function("document.getElementById('message').hidden")
    assert viewer.frame() is not None  # frame 3 shows


def test_thumbnail_asked_for_before_its_codec_loads_is_drawn_when_it_has(viewer):
    gate = {"open": False, "held": []}

    def hold(route):  # the JPEG 2000 decoder arrives only when the test says so
        if gate["open"]:
            route.continue_()
        else:
            gate["held"].append(route)

    viewer.page.route("**/codecs/openjpeg/**", hold)
    viewer.open()
    with viewer.page.expect_request(lambda r: "/codecs/openjpeg/" in r.url):  # fails if it is never requested
        viewer.page.set_input_files("#open-files", [str(data_path(J2K))])
    viewer.page.wait_for_selector("#series-list li .thumb")  # the list asked the worker for the thumbnail as it drew
    # The worker takes calls in order: this one runs after the thumbnail's first attempt, and says the decoder had
    # not loaded by then (its bytes are held), so that attempt found no codec and is waiting for it.
    assert viewer.eval("venos.codecs()")["loaded"]["openjpeg"]["state"] == "loading"
    assert viewer.eval("document.querySelector('#series-list .thumb').width") == 1  # nothing to draw yet
    gate["open"] = True
    for route in gate["held"]:
        route.continue_()
    viewer.page.wait_for_function("document.querySelector('#series-list .thumb').width > 1", timeout=20_000)
    w, h = viewer.eval("(() => { const c = document.querySelector('#series-list .thumb'); return [c.width, c.height]; })()")
    assert 32 < max(w, h) <= 64  # the middle slice, downsampled to at most 64 pixels a side
    img = viewer.eval("""(() => { const c = document.querySelector('#series-list .thumb');
        const d = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let lo = 255, hi = 0; for (let i = 0; i < d.length; i += 4) { lo = Math.min(lo, d[i]); hi = Math.max(hi, d[i]); }
        return [lo, hi]; })()""")
    assert img[1] - img[0] > 50  # a picture, not a flat fill


def test_a_decode_past_its_time_budget_is_abandoned_and_the_viewer_goes_on(viewer, site):
    """Decoding runs in a codec worker under a time budget: past it the decode is abandoned (the worker replaced),
    the frame says so, nothing else waits, and a fresh codec worker decodes the next frames."""
    viewer.open()
    assert viewer.eval("venos.setDecodeBudget({baseMs: 1, perMegapixelMs: 0})")["baseMs"] == 1
    r = decode(viewer, site, J2K)  # 1760 × 1760 JPEG 2000 lossless: far more than 1 ms
    assert not r["ok"]
    (err,) = r["errors"]
    assert err["code"] == "decode" and "abandoned after 1 ms" in err["message"] and "frame 1" in err["message"]
    # the file loads as a skip naming the reason (a file that cannot be shown is not a series)
    summary = viewer.drop({"slow.dcm": data_path(J2K).read_bytes()})
    assert summary["failed"] == 1 and viewer.eval("venos.series()") == []
    (skip,) = viewer.eval("venos.skipped()")
    assert skip["source"] == "slow.dcm" and "abandoned" in skip["message"]
    counts = viewer.eval("venos.setDecodeBudget({baseMs: 4000, perMegapixelMs: 1000})")
    assert counts["abandoned"] >= 2 and counts["restarts"] >= 2
    r = decode(viewer, site, J2K)
    assert r["ok"]
    summary = viewer.drop({"fine.dcm": data_path(J2K).read_bytes()})
    assert summary["loaded"] == 1 and viewer.eval("venos.series()")[0]["slices"] == 1
    bad = viewer.eval("venos.setDecodeBudget({baseMs: 0}).then(() => null, (e) => e.code)")
    assert bad == "bad-call"
