"""Where the Python runtime comes from: vendored (built dist/) or, for the repository served as it is, Pyodide's
official CDN + pydicom through micropip + the venos sources listed in app/py/venos/MANIFEST.

This machine cannot reach the CDN or the package index, so the unbuilt-page test serves the very same bytes the
CDN and the index would (verified against Pyodide's lock file and pydicom's pinned sha256) through Playwright
routes at the real URLs: the page's code path is the one a user with internet takes.
"""
from __future__ import annotations

import hashlib
import io
import json
import sys
import zipfile
from pathlib import Path

import numpy as np
import pytest

from conftest import ROOT, StaticServer, data_path

sys.path.insert(0, str(ROOT))
import build  # noqa: E402

pytestmark = pytest.mark.browser
CDN = f"https://cdn.jsdelivr.net/pyodide/v{build.PYODIDE_VERSION}/full/"


@pytest.fixture(scope="module")
def repo_site():
    server = StaticServer(ROOT)
    yield server
    server.close()


@pytest.fixture(scope="module")
def cdn_files():
    """file name → bytes for everything the CDN would serve to this page, each verified against the lock: Pyodide's
    release files as published (dist/ ships a trimmed standard library and lock, see build.py)."""
    files = build.pyodide_core()
    lock = json.loads(files["pyodide-lock.json"])
    for pkg in build.lock_entries(lock, ["numpy", "micropip"]):
        files[pkg.file_name] = build.fetch_pyodide_package(pkg, None).read_bytes()
        assert hashlib.sha256(files[pkg.file_name]).hexdigest() == pkg.sha256
    return files


def _page(browser, base_url):  # noqa: ARG001 - one context per test, so routes never leak between tests
    context = browser.new_context(bypass_csp=True)
    return context, context.new_page()


def test_runtime_choice_is_a_pure_function(viewer):
    viewer.open()
    got = viewer.eval("""async () => {
        const m = await import('./app/js/runtime.js');
        const local = m.chooseRuntime({source: 'local', pyodide: {indexURL: 'pyodide/'}, packages: ['numpy'],
                                       site: {url: 'py/site.zip', sha256: 'ab'}}, 'http://h/x/');
        const cdn = m.chooseRuntime(null, 'http://h/x/');
        return {local, cdn};
    }""")
    assert got["local"]["source"] == "local" and got["local"]["indexURL"] == "http://h/x/pyodide/"
    assert got["local"]["site"]["url"] == "http://h/x/py/site.zip"
    assert got["cdn"]["source"] == "cdn" and got["cdn"]["indexURL"] == CDN
    assert got["cdn"]["pip"] == ["pydicom==3.0.2"]
    assert got["cdn"]["sources"]["manifest"] == "http://h/x/app/py/venos/MANIFEST"


def test_pace_asks_for_the_next_download_one_wait_before_this_one_ends(viewer):
    """net/pace.js on a clock of its own: 100 ms from asking to the answer, then 1000 bytes per ms."""
    viewer.open()
    got = viewer.eval("""async () => {
        const { Pace } = await import('./app/js/net/pace.js');
        let t = 0;
        const clock = () => t;
        const p = new Pace(0, clock);
        p.answered(100);
        const out = {};
        t = 100; p.add(10000); out.first = p.nearlyDone(1e6);
        t = 200; p.add(100000); out.far = p.nearlyDone(1e6);          // 890 ms to go, the wait is 100 ms
        out.unknownTotal = p.nearlyDone(0);
        t = 900; p.add(700000); out.stillFar = p.nearlyDone(1e6);     // 190 ms to go: more than 100 × 1.25 + 30
        t = 960; p.add(60000); out.near = p.nearlyDone(1e6);          // 130 ms to go
        t = 961; p.add(130000); out.done = p.nearlyDone(1e6);
        // a body read late finds a backlog: its bytes say nothing of the rate
        const late = new Pace(0, clock);
        late.answered(50);
        t = 1000; late.add(500000);
        t = 1100; late.add(100000); out.backlog = late.nearlyDone(1e6); // 400 ms to go at the real rate
        return out;
    }""")
    assert got == {"first": False, "far": False, "unknownTotal": False, "stillFar": False, "near": True,
                   "done": True, "backlog": False}, got


def test_runtime_archives_are_unpacked_by_the_page_and_written_as_they_were(viewer):
    buf = io.BytesIO()
    files = {"pkg/__init__.py": b"", "pkg/sub/mod.pyc": bytes(range(256)) * 40, "top.txt": b"plain text\n" * 100,
             "pkg/data.bin": b"\0" * 5000}
    with zipfile.ZipFile(buf, "w") as z:
        for name, data in files.items():
            z.writestr(name, data, compress_type=zipfile.ZIP_STORED if name == "top.txt" else zipfile.ZIP_DEFLATED)
        z.writestr("pkg/empty/", b"")
    evil = io.BytesIO()
    with zipfile.ZipFile(evil, "w") as z:
        z.writestr("pkg/../../etc/x", b"x")
    viewer.open()
    got = viewer.eval("""async ([good, bad]) => {
        const m = await import('./app/js/net/archive.js');
        const files = await m.unpackFiles(new Uint8Array(good).buffer);
        const made = [], written = {};
        const FS = { mkdirTree: (d) => made.push(d), writeFile: (p, u8, o) => { written[p] = [Array.from(u8), !!(o && o.canOwn)]; } };
        const n = m.writeFiles(FS, files, '/site');
        let refused = null;
        try { await m.unpackFiles(new Uint8Array(bad).buffer); } catch (e) { refused = e.message; }
        return { n, made, written, refused };
    }""", [list(buf.getvalue()), list(evil.getvalue())])
    assert got["n"] == len(files)
    assert {p: bytes(v[0]) for p, v in got["written"].items()} == {f"/site/{k}": v for k, v in files.items()}
    assert all(v[1] for v in got["written"].values()), "the bytes are handed over, not copied"
    assert sorted(got["made"]) == ["/site", "/site/pkg", "/site/pkg/sub"]
    assert got["refused"] and "outside the folder" in got["refused"]


def test_unbuilt_page_without_network_says_where_it_tried(browser, repo_site):
    context, page = _page(browser, repo_site.url)
    tried = []

    def guard(route):
        if route.request.url.startswith(repo_site.url):
            return route.continue_()
        tried.append(route.request.url)
        return route.abort()

    context.route("**/*", guard)
    page.goto(repo_site.url + "index.html")
    page.wait_for_function("document.getElementById('message').textContent.includes('could not start')")
    msg = page.text_content("#message")
    assert CDN in msg and "Pyodide" in msg
    assert tried and tried[0].startswith(CDN)
    context.close()


def test_unbuilt_page_boots_from_cdn_and_micropip_and_shows_an_image(browser, repo_site, cdn_files):
    context, page = _page(browser, repo_site.url)
    whl = build.pip_download(*build.PYDICOM)
    wheel_url = repo_site.url + "__index__/" + whl.name
    offsite = []

    def cdn(route):
        name = route.request.url[len(CDN):].split("?")[0]
        body = cdn_files.get(name)
        if body is None:
            return route.fulfill(status=404, body=b"not found")
        ctype = {"wasm": "application/wasm", "mjs": "text/javascript", "js": "text/javascript",
                 "json": "application/json"}.get(name.rsplit(".", 1)[-1], "application/octet-stream")
        route.fulfill(status=200, body=body, content_type=ctype, headers={"Access-Control-Allow-Origin": "*"})

    def index(route):  # PEP 691 simple JSON answer for pydicom, pointing at the pinned wheel
        payload = {"meta": {"api-version": "1.1"}, "name": "pydicom", "versions": ["3.0.2"],
                   "files": [{"filename": whl.name, "url": wheel_url, "requires-python": ">=3.10",
                              "hashes": {"sha256": build.PYDICOM[2]}}]}
        route.fulfill(status=200, body=json.dumps(payload), content_type="application/vnd.pypi.simple.v1+json",
                      headers={"Access-Control-Allow-Origin": "*"})

    def guard(route):
        url = route.request.url
        if url.startswith(CDN):
            return cdn(route)
        if "/simple/pydicom/" in url:
            return index(route)
        if url == wheel_url:
            return route.fulfill(status=200, body=whl.read_bytes(), content_type="application/octet-stream")
        if url.startswith(repo_site.url):
            return route.continue_()
        offsite.append(url)
        return route.abort()

    context.route("**/*", guard)
    page.goto(repo_site.url + "index.html")
    info = page.evaluate("window.venos.ready")
    assert info["source"] == "cdn"
    assert info["versions"]["pydicom"] == "3.0.2"
    assert offsite == []
    ct = data_path("dcm_qa_ct/GE/01.dcm")
    page.set_input_files("#open-files", [str(ct)])
    page.wait_for_function("venos.frame() !== null")
    frame = page.evaluate("() => { const f = venos.frame(); return [f.width, f.height, Array.from(f.data.slice(0, 16))]; }")
    assert frame[:2] == [512, 512]
    context.close()
