"""How the viewer starts: the runtime diet, early work before Python is up, the service worker and the snapshot.

Each mechanism is driven the way a user meets it, in Chromium against a copy of the built site (the service worker
tests change their copy): a repeat visit works offline, a new build replaces the old cache, the snapshot path and its
fallback both reach `ready`, a share link's first slice is requested before `ready`, a module left out of the
start-up arrives when its feature is used, and nothing else is fetched lazily on the common paths.
"""
from __future__ import annotations

import gzip
import hashlib
import io
import json
import shutil
import sys
import threading
import time
import zipfile

import pydicom
import pytest
from playwright.sync_api import Error as PlaywrightError
from playwright.sync_api import TimeoutError as PlaywrightTimeout

from conftest import DIST, ROOT, StaticServer, ViewerPage, data_path
from remote_helpers import case_dir, cors_host  # noqa: F401 (fixtures)

sys.path.insert(0, str(ROOT))
import build  # noqa: E402

pytestmark = pytest.mark.browser


@pytest.fixture
def site_copy(dist, tmp_path):
    """A copy of dist/ on its own server: the test may change it like a new deployment would."""
    copy = tmp_path / "site"
    shutil.copytree(dist, copy)
    server = StaticServer(copy)
    server.dir = copy
    yield server
    server.close()


@pytest.fixture
def profile(browser):
    """A browser context kept across the test's visits (its HTTP cache, Cache Storage and service workers survive
    between them, as a profile's would)."""
    contexts = []

    def make():
        ctx = browser.new_context(bypass_csp=True)  # one context = one profile for the test's visits
        contexts.append(ctx)
        return ctx
    yield make
    for c in contexts:
        c.close()


def visit(ctx, url: str) -> tuple:
    page = ctx.new_page()
    page.goto(url)
    info = page.evaluate("window.venos.ready")
    return page, info


def sw_active(page, timeout_ms: int = 60_000) -> None:
    page.evaluate("""(t) => Promise.race([navigator.serviceWorker.ready,
        new Promise((_, no) => setTimeout(() => no(new Error('no service worker')), t))]).then(() => true)""", timeout_ms)


def cache_names(page) -> list[str]:
    return page.evaluate("caches.keys()")


def test_build_lists_what_it_left_out_and_every_bundle_it_ships(dist):
    diet = json.loads((dist / "py/diet.json").read_text())
    assert diet["dropped"] and all(not n.endswith((".pyc", ".py")) or "/tests/" in n or "test" in n
                                   for n in diet["dropped"]), "only non-code (headers, stubs) and tests are dropped"
    runtime = json.loads((dist / "runtime.json").read_text())
    with zipfile.ZipFile(dist / "py/site.zip") as z:
        index = json.loads(z.read("venos/_lazy_index.json"))
    for name, bundle in index["bundles"].items():
        assert hashlib.sha256((dist / bundle["url"]).read_bytes()).hexdigest() == bundle["sha256"], name
        assert name in diet["lazy"]
    assert "numpy.linalg._umath_linalg" in index["deferred"]
    # pydicom.examples is a stand-in: nothing at start imports importlib.metadata or the email package
    assert "pydicom.examples" in index["deferred"]
    # numpy's docstrings are stand-ins, and the C test module only they imported is no longer in the eager numpy
    assert {"numpy._core._add_newdocs", "numpy._core._add_newdocs_scalars"} <= set(index["deferred"])
    with zipfile.ZipFile(dist / "py/numpy.zip") as z:
        assert not [n for n in z.namelist() if "_multiarray_tests" in n or "_add_newdocs" in n]
    with zipfile.ZipFile(dist / "pyodide/python_stdlib.zip") as z:
        eager = z.namelist()
    assert not [n for n in eager if n.startswith(("importlib/metadata/", "email/"))], "start-up imports them again"
    assert runtime["files"]["py/site.zip"]["bytes"] == runtime["site"]["bytes"]
    # the start-up downloads what the build says it does, and Pillow is gone
    assert not list((dist / "pyodide").glob("pillow*"))
    assert runtime["expect"] == sum(runtime["files"][f]["bytes"] for f in build.FIRST_FETCHES)


def test_the_lzma2_copies_decode_to_the_files_the_start_up_would_fetch(dist):
    """The build's LZMA2 copies (a first visit's downloads) decode, with the reference decoder, to the plain files the
    repeat visits and the parsing helpers use; the archives are stored (LZMA2 compresses them, not deflate); the
    progress bar of a first visit expects the copies' bytes."""
    import lzma

    runtime = json.loads((dist / "runtime.json").read_text())
    assert sorted(runtime["packed"]) == sorted(build.PACKED)
    for rel, p in runtime["packed"].items():
        plain = (dist / rel).read_bytes()
        copy = (dist / p["url"]).read_bytes()
        assert lzma.decompress(copy, format=lzma.FORMAT_RAW, filters=build.LZMA2) == plain, rel
        assert (p["bytes"], p["rawBytes"], p["sha256"]) == (len(copy), len(plain), runtime["files"][rel]["sha256"])
        assert len(copy) < 0.8 * len(gzip.compress(plain, 6)), (rel, len(copy))  # worth its own decoder
        if rel.endswith(".zip"):
            with zipfile.ZipFile(dist / rel) as z:
                assert {i.compress_type for i in z.infolist()} == {zipfile.ZIP_STORED}, rel
    assert runtime["expectPacked"] == sum(runtime["packed"][f]["bytes"] if f in runtime["packed"]
                                          else runtime["files"][f]["bytes"] for f in build.FIRST_FETCHES)


def test_common_paths_fetch_no_module_lazily(viewer):
    viewer.open()
    ct = [data_path("dcm_qa_ct/GE/01.dcm"), data_path("dcm_qa_ct/GE/02.dcm")]
    viewer.load_via_input(ct)
    viewer.page.wait_for_function("venos.frame() !== null")
    viewer.eval("venos.tags()")
    viewer.eval("venos.measureLength([10, 10], [100, 100])")
    viewer.eval("venos.measureRegion('ellipse', [100, 100], [200, 200])")
    viewer.set_view({"center": 40, "width": 400, "slice": 1})
    lazy = viewer.eval("venos.stats()")["runtime"]["lazy"]
    assert lazy["loaded"] == {}, f"start-up left out a module a common path needs: {lazy['loaded']}"
    # numpy's docstring modules stay stand-ins: nothing the viewer does reads them
    assert not [m for m in lazy["realized"] if "_add_newdocs" in m], lazy["realized"]


def test_a_left_out_module_arrives_when_its_feature_needs_it(viewer):
    """A Cyrillic patient name: its codec (encodings.iso8859_5) is not part of the start-up, and arrives on use."""
    viewer.open()
    ds = pydicom.dcmread(data_path("dcm_qa_ct/GE/01.dcm"))
    ds.SpecificCharacterSet = "ISO_IR 144"
    ds.PatientName = "Иванов^Иван"
    buf = io.BytesIO()
    ds.save_as(buf)
    before = viewer.eval("venos.stats()")["runtime"]["lazy"]["loaded"]
    assert "stdlib-encodings" not in before
    viewer.load_bytes({"cyrillic.dcm": buf.getvalue()})
    viewer.page.wait_for_function("document.getElementById('ov-tl').textContent.length > 0")
    assert "Иванов Иван" in viewer.page.text_content("#ov-tl")
    loaded = viewer.eval("venos.stats()")["runtime"]["lazy"]["loaded"]
    assert loaded["stdlib-encodings"]["by"].startswith("encodings."), loaded


def test_calls_made_before_ready_wait_for_it(viewer):
    """The API takes calls at once; they run when the runtime is up (no 'not ready' error)."""
    viewer.open(wait_ready=False)
    viewer.page.wait_for_function("window.venos !== undefined")
    out = viewer.eval("""async () => {
        const early = !venos.runtime;
        const [series, stats] = await Promise.all([venos.series(), venos.stats()]);
        return { early, series: series.length, loaded: stats.loaded };
    }""")
    assert out == {"early": True, "series": 0, "loaded": 0}


def test_what_start_up_made_leaves_the_cycle_collector_once_idle(viewer):
    """Once idle after ready (the warm-up), start-up's objects are frozen out of the cycle collector's generations,
    so a load's collections walk only what the load made (and a load's own objects stay collectable). The warm-up
    has run the parse path too, on a made-up header, so that a first load parses at the speed of later ones."""
    viewer.open()
    for _ in range(200):
        timings = viewer.eval("venos.stats()")["runtime"]["timings"]
        if timings.get("warmUpMs") is not None:
            break
        viewer.page.wait_for_timeout(50)
    assert timings["warmUpParses"] > 10, timings
    frozen = int(viewer.eval("venos.console.run('import gc; print(gc.get_freeze_count())')")["output"])
    assert frozen > 10_000
    viewer.load_bytes({p.name: p.read_bytes() for p in sorted(data_path("dcm_qa_ct/GE").glob("*.dcm"))[:3]})
    out = viewer.eval("venos.console.run('import gc; print(gc.get_freeze_count())')")["output"]
    assert int(out) <= frozen  # (some of what was frozen was freed since: the warm-up's own arrays)


def test_progress_counts_the_runtime_bytes_then_says_python_starts(viewer):
    """The bar shows real bytes of the runtime as they arrive, then that Python starts; gone once ready."""
    viewer.page.add_init_script("""window.__progress = [];
        new MutationObserver(() => { const t = document.getElementById('progress-text');
            if (t && window.__progress[window.__progress.length - 1] !== t.textContent) window.__progress.push(t.textContent);
        }).observe(document, { subtree: true, childList: true, characterData: true });""")
    viewer.open()
    seen = viewer.eval("window.__progress")
    loading = [t for t in seen if t.startswith("Loading the viewer: ")]
    assert loading and "Starting Python…" in seen, seen
    total = json.loads((DIST / "runtime.json").read_text())["expectPacked"] / 1e6  # a first visit: LZMA2 copies
    done, of = (float(x) for x in loading[-1].split(": ")[1].split(" MB")[0].split(" / "))
    assert abs(of - total) < 0.11 and 0 < done <= of, (loading, total)
    assert viewer.eval("document.getElementById('progress').hidden") is True


def test_share_link_first_slice_is_requested_before_ready(browser, site, cors_host):
    """The manifest and the slice a link shows are fetched while the runtime is still loading: the test holds the
    codec glue the start-up imports last (so `ready` cannot come) until the host has seen the first slice's request;
    a viewer that asked only after `ready` would never get there."""
    context = browser.new_context(bypass_csp=True)
    seen_slice = threading.Event()

    def hold_codecs(route):
        seen_slice.wait(30)
        route.continue_()

    context.route("**/app/js/codecs.js", hold_codecs)
    page = context.new_page()
    cors_host.order.clear()
    manifest = cors_host.url + "case/manifest.json"
    page.goto(f"{site.url}index.html?manifest={manifest}")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not any(p.endswith(".dcm") for p in list(cors_host.order)):
        time.sleep(0.02)
    saw_before_ready = any(p.endswith(".dcm") for p in list(cors_host.order))
    ready_yet = page.evaluate("!!(window.venos && window.venos.runtime)")
    seen_slice.set()
    assert saw_before_ready and not ready_yet, (list(cors_host.order)[:5], ready_yet)
    page.wait_for_function("venos.frame() !== null", timeout=60_000)
    context.close()


def open_link_while_the_runtime_loads(context, site, cors_host, hold=()):
    """Open the test case's share link with numpy's archive held on the wire until the worker has read the manifest
    (it reads it while it waits for numpy), as on a slow link, where the runtime's files are still arriving when the
    manifest is in; `hold`: more paths whose requests are kept until the returned release() (later ones pass)."""
    numpy, kept, gate = [], [], {"open": False}
    context.route("**/py/numpy.zip*", lambda route: numpy.append(route))  # (a first visit: its LZMA2 copy)

    def keep(route):
        if gate["open"]:
            route.continue_()
        else:
            kept.append(route)

    def release():
        gate["open"] = True
        for route in kept:
            route.continue_()
        return len(kept)

    for path in hold:
        context.route("**" + path, keep)
    page = context.new_page()
    cors_host.order.clear()
    cors_host.hits.clear()
    page.goto(f"{site.url}index.html?manifest={cors_host.url}case/manifest.json")
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and not (numpy and "/case/manifest.json" in cors_host.order):
        page.wait_for_timeout(50)
    page.wait_for_timeout(2000)  # the worker, idle until numpy is in, reads the manifest and asks for slices
    assert numpy and not any(p.endswith(".dcm") for p in cors_host.order), cors_host.order  # behind the runtime
    for route in numpy:
        route.continue_()
    return page, release


def listed_instances(cors_host) -> list[str]:
    manifest = json.loads((cors_host.directory / "case/manifest.json").read_text())
    return ["/case/" + i["url"].split(":")[-1] for i in manifest["studies"][0]["series"][0]["instances"]]


ALL_LOADED = """() => { const l = document.getElementById('series-list');
    return l.children.length === 1 && !l.textContent.includes('loaded') && venos.frame() !== null
        && document.getElementById('progress').hidden; }"""


def test_a_share_link_fetches_its_next_slices_while_python_plans(browser, site, cors_host):
    """Between the first slice and Python's plan of the case the link would idle: the page also fetches the next
    instances of the first slice's series, after it, before `ready` (the codec glue the start-up imports last is
    held, so `ready` cannot come first). At the plan, the queue takes them from the case's cache: every instance is
    asked for once, and the whole case loads."""
    context = browser.new_context(bypass_csp=True)
    listed = listed_instances(cors_host)
    page, release = open_link_while_the_runtime_loads(context, site, cors_host, hold=["/app/js/codecs.js"])
    slices = lambda: [p for p in list(cors_host.order) if p.endswith(".dcm")]  # noqa: E731
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and len(slices()) < 4:
        page.wait_for_timeout(50)
    before = slices()
    ready_yet = page.evaluate("!!(window.venos && window.venos.runtime)")
    release()
    assert len(before) >= 4 and not ready_yet, (before, ready_yet)
    assert before == listed[:len(before)], (before, listed[:6])  # the first slice, then the ones after it, in order
    page.wait_for_function(ALL_LOADED, timeout=60_000)
    assert [s["slices"] for s in page.evaluate("venos.series()")] == [28]
    asked = {p: n for p, n in cors_host.hits.items() if p.endswith(".dcm")}
    assert sorted(asked) == sorted(listed) and set(asked.values()) == {1}, asked
    context.close()


def test_at_the_plan_slices_not_yet_fetched_ahead_are_dropped_and_the_one_on_the_wire_awaited(browser, site, cors_host):
    """The slice after the first is held on the wire until the case is planned: the page's later requests ahead have
    not started then, so they are dropped and the queue fetches them, while the held one is waited for, not asked
    for again. Every instance is asked for once, the whole case loads, and its bytes count as the network's."""
    context = browser.new_context(bypass_csp=True)
    listed = listed_instances(cors_host)
    page, release = open_link_while_the_runtime_loads(context, site, cors_host, hold=[listed[1]])
    page.wait_for_function("window.venos && window.venos.runtime", timeout=60_000)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and len({p for p in cors_host.order if p.endswith(".dcm")}) < 27:
        page.wait_for_timeout(50)
    requested = {p for p in cors_host.order if p.endswith(".dcm")}
    # all but the held one: those the page had not started were dropped, and the queue fetched them itself
    assert requested == set(listed) - {listed[1]}, sorted(set(listed) - requested)
    page.evaluate("window.__last = null; venos.on('progress', (d) => { window.__last = d; }); 0")
    assert release() == 1
    page.wait_for_function(ALL_LOADED, timeout=60_000)
    assert [s["slices"] for s in page.evaluate("venos.series()")] == [28]
    asked = {p: n for p, n in cors_host.hits.items() if p.endswith(".dcm")}
    assert sorted(asked) == sorted(listed) and set(asked.values()) == {1}, asked
    last = page.evaluate("window.__last")
    assert last["done"] == 28 and last["netBytes"] > 28 * 500_000 and last["cachedBytes"] == 0, last
    context.close()


def test_runtime_archives_then_the_first_slice_are_asked_for_one_after_the_other(browser, site, cors_host):
    """Once the wasm is (nearly) in, the page asks for the Python site, then numpy, then the link's first slice, each
    as the one before ends (net/pace.js): asked together they would share the link and all arrive late."""
    context = browser.new_context(bypass_csp=True)
    asked: list[tuple[float, str]] = []
    answered: dict[str, float] = {}
    def plain(url):  # a first visit fetches the runtime's LZMA2 copies: named here as the files they decode to
        return url.split("?")[0].removesuffix(".lzma2")
    context.on("request", lambda r: asked.append((time.monotonic(), plain(r.url))))
    context.on("response", lambda r: answered.setdefault(plain(r.url).rsplit("/", 2)[-2] + "/"
                                                          + plain(r.url).rsplit("/", 1)[-1], time.monotonic()))
    page = context.new_page()
    cors_host.order.clear()
    page.goto(f"{site.url}index.html?manifest={cors_host.url}case/manifest.json")
    page.wait_for_function("venos.frame() !== null", timeout=60_000)
    first = {}
    for t, url in asked:
        for key in ("py/site.zip", "py/numpy.zip", ".dcm", "pyodide.asm.wasm"):
            if url.endswith(key) and key not in first:
                first[key] = t
    order = sorted(first, key=first.get)
    assert order.index("py/site.zip") < order.index("py/numpy.zip") < order.index(".dcm"), order
    assert order.index("pyodide.asm.wasm") < order.index("py/site.zip"), order
    # one after the other, not all at once: each is asked for only once the one before has answered
    assert first["py/numpy.zip"] >= answered["py/site.zip"], (first, answered)
    assert first[".dcm"] >= answered["py/numpy.zip"], (first, answered)
    context.close()


def flipped(path: str) -> bytes:
    body = bytearray((DIST / path).read_bytes())
    body[len(body) // 2] ^= 0xFF
    return bytes(body)


@pytest.mark.parametrize("damaged", ["pyodide/pyodide.asm.wasm.lzma2", "pyodide/python_stdlib.zip.lzma2",
                                     "py/site.zip.lzma2", "py/numpy.zip.lzma2", "py/site.zip"])
def test_a_damaged_runtime_file_stops_the_start_and_says_which(browser, site, damaged):
    """A first visit's runtime files (their LZMA2 copies; the plain file where the copy is missing) are checked
    against the sha256 build.py recorded before anything runs them: a changed byte (a broken proxy, a stale cache) is
    an integrity error naming the file, not a viewer that half works or a start that never ends."""
    context = browser.new_context(bypass_csp=True)
    body = flipped(damaged)
    if not damaged.endswith(".lzma2"):  # a host without the copy: the plain file is fetched, and checked
        context.route(f"**/{damaged}.lzma2", lambda route: route.fulfill(status=404, body=b"not here"))
    context.route(f"**/{damaged}", lambda route: route.fulfill(status=200, body=body,
                                                               content_type="application/octet-stream"))
    page = context.new_page()
    page.goto(site.url + "index.html")
    err = page.evaluate("window.venos.ready.then(() => null, (e) => ({code: e.code, message: e.message}))")
    assert err and err["code"] == "integrity" and damaged in err["message"], err
    page.wait_for_function("(name) => document.getElementById('message').textContent.includes(name)",
                           arg=damaged.split("/")[-1])
    context.close()


PACKED = ["pyodide/pyodide.asm.wasm", "pyodide/python_stdlib.zip", "py/site.zip", "py/numpy.zip"]


def test_a_first_visit_fetches_the_lzma2_copies_and_keeps_the_files_they_decode_to(profile, site_copy):
    """A first visit fetches the runtime's LZMA2 copies (a third smaller than gzip), not the plain files; the worker
    keeps the plain files they decode to in the build's cache, byte for byte the build's (so the service worker
    installs without fetching them again), and a repeat visit takes those from the cache, fetching no copy."""
    ctx = profile()
    asked = []
    ctx.on("request", lambda r: asked.append(r.url.removeprefix(site_copy.url)))
    page, first = visit(ctx, site_copy.url + "index.html")
    assert first["timings"].get("snapshot") is None
    assert all(f + ".lzma2" in asked and f not in asked for f in PACKED), asked
    sw_active(page)
    runtime = json.loads((site_copy.dir / "runtime.json").read_text())
    kept = page.evaluate("""async ([names, build]) => {
        const cache = await caches.open('venos-' + build);
        const out = {};
        for (const n of names) {
            const hit = await cache.match(new URL(n, location.href).href);
            out[n] = hit && [...new Uint8Array(await crypto.subtle.digest('SHA-256', await hit.arrayBuffer()))]
                .map((b) => b.toString(16).padStart(2, '0')).join('');
        }
        out.copies = (await cache.keys()).filter((r) => r.url.endsWith('.lzma2')).length;
        return out;
    }""", [PACKED, first["build"]])
    assert kept == {**{f: runtime["files"][f]["sha256"] for f in PACKED}, "copies": 0}, kept
    page.close()
    asked.clear()
    page, again = visit(ctx, site_copy.url + "index.html")
    assert again["timings"]["snapshot"] == "restored", again["timings"]
    assert not [u for u in asked if u.endswith(".lzma2")] and "pyodide/pyodide.asm.wasm" in asked, asked


def test_without_the_lzma2_copies_a_first_visit_takes_the_plain_files(browser, site):
    """A host that lacks the copies (a partial upload, a server refusing unknown types) costs bytes, not the start."""
    context = browser.new_context(bypass_csp=True)
    asked = []
    context.on("request", lambda r: asked.append(r.url.removeprefix(site.url)))
    context.route("**/*.lzma2", lambda route: route.fulfill(status=404, body=b"not here"))
    page = context.new_page()
    page.goto(site.url + "index.html")
    info = page.evaluate("window.venos.ready")
    assert info["source"] == "local" and all(f in asked and f + ".lzma2" in asked for f in PACKED), asked
    vp = ViewerPage(page, site.url)
    page.set_input_files("#open-files", [str(data_path("dcm_qa_ct/GE/01.dcm"))])
    page.wait_for_function("venos.frame() !== null")
    assert vp.frame().shape == (512, 512, 4)
    context.close()


def test_repeat_visit_works_offline_and_restores_the_snapshot(profile, site_copy):
    ctx = profile()
    page, first = visit(ctx, site_copy.url + "index.html")
    assert "snapshot" not in first["timings"], "a first visit never waits for the snapshot"
    sw_active(page)
    page.wait_for_function("caches.keys().then(k => k.length === 1)")
    # the service worker decompressed the snapshot when it installed: the repeat visit reads it as it is
    kept = page.evaluate("""async (b) => { const c = await caches.open('venos-' + b);
        const r = await c.match(new URL('py/snapshot.bin', location.href).href);
        return r ? (await r.arrayBuffer()).byteLength : null; }""", first["build"])
    assert kept == json.loads((site_copy.dir / "runtime.json").read_text())["snapshot"]["rawBytes"]
    page.close()
    ctx.set_offline(True)
    page, again = visit(ctx, site_copy.url + "index.html")
    assert again["build"] == first["build"]
    assert again["timings"]["snapshot"] == "restored", again["timings"]
    vp = ViewerPage(page, site_copy.url)
    ct = data_path("dcm_qa_ct/GE/01.dcm")
    page.set_input_files("#open-files", [str(ct)])
    page.wait_for_function("venos.frame() !== null")
    assert vp.frame().shape == (512, 512, 4)


REHEARSAL_OVER = "venos.runtime.rehearsal && !['waiting', 'running'].includes(venos.runtime.rehearsal.state)"


def test_the_first_visit_rehearses_the_second_so_its_wasm_arrives_compiled(browser, profile, site_copy):
    """Once a first visit is idle and its service worker holds the build, a hidden worker starts Python as a repeat
    visit does and runs the viewer's paths a while, so that Chrome keeps V8's optimized code beside the service
    worker's copy of the wasm: the second visit deserializes it (its trace says so) instead of compiling it function
    by function. A repeat visit rehearses nothing."""
    ctx = profile()
    page, _ = visit(ctx, site_copy.url + "index.html")
    page.wait_for_function(REHEARSAL_OVER, timeout=120_000, polling=250)
    first = page.evaluate("venos.runtime.rehearsal")
    assert first["state"] == "done", first
    page.close()
    browser.start_tracing(categories=["v8.wasm"])
    try:
        page, again = visit(ctx, site_copy.url + "index.html")
    finally:
        trace = json.loads(browser.stop_tracing())
    events = trace["traceEvents"] if isinstance(trace, dict) else trace
    names = {e.get("name") for e in events}
    assert again["timings"]["snapshot"] == "restored", again["timings"]
    assert "wasm.Deserialize" in names, sorted(n for n in names if n and n.startswith("wasm."))
    page.wait_for_function(REHEARSAL_OVER, timeout=30_000, polling=250)
    assert page.evaluate("venos.runtime.rehearsal.state") == "skipped"


READY_AT = """(() => { (async () => {
    while (!window.venos) await new Promise((r) => setTimeout(r, 5));
    await window.venos.ready;
    window.__readyAt = Date.now();
})(); })()"""


def visited_share_link(profile, site_copy, cors_host) -> tuple:
    """(a profile, a share link) after a first visit of the link whose service worker has installed: the next
    visit is a repeat visit."""
    ctx = profile()
    link = f"{site_copy.url}index.html?manifest={cors_host.url}case/manifest.json"
    page, _ = visit(ctx, link)
    page.wait_for_function("venos.frame() !== null", timeout=60_000)
    sw_active(page)
    page.wait_for_function("caches.keys().then(k => k.length === 1)")
    page.close()
    return ctx, link


def test_a_repeat_visit_of_a_share_link_asks_for_its_first_slice_before_ready(profile, site_copy, cors_host):
    """On a repeat visit the service worker serves the runtime, so the link is the case's from the start: the slice
    the link shows is asked for while Python is still being restored, not once it is up."""
    ctx, link = visited_share_link(profile, site_copy, cors_host)
    asked: list[tuple[float, str]] = []
    ctx.on("request", lambda r: asked.append((time.time() * 1000, r.url.split("?")[0])))
    ctx.add_init_script(READY_AT)
    page = ctx.new_page()
    page.goto(link)
    page.wait_for_function("venos.frame() !== null && window.__readyAt", timeout=60_000)
    assert page.evaluate("venos.runtime.timings.snapshot") == "restored"
    ready_at = page.evaluate("window.__readyAt")
    first_slice = min(t for t, url in asked if url.endswith(".dcm"))
    assert first_slice < ready_at, (first_slice - ready_at, asked[:8])


CASE_END = """(() => { (async () => {
    while (!window.venos) await new Promise((r) => setTimeout(r, 5));
    window.venos.on("loadend", (d) => { window.__caseEnd = d; });
})(); })()"""


def test_a_repeat_visit_of_a_share_link_has_the_page_fetch_its_manifest_and_first_slice_once(profile, site_copy,
                                                                                              cors_host):
    """Restoring Python keeps the worker's thread busy, so on a repeat visit the page itself asks for the link's
    manifest and the slice it shows first, at once; the worker takes those answers as its own requests' (each is
    fetched once), and a failed early request is simply asked again by the worker."""
    ctx, link = visited_share_link(profile, site_copy, cors_host)
    ctx.add_init_script(CASE_END)
    for broken in (False, True):
        cors_host.hits.clear()
        cors_host.order.clear()
        if broken:  # the page's early manifest request fails: the worker asks again, and the case opens all the same
            cors_host.rules["/case/manifest.json"] = ("status", [503])
        page = ctx.new_page()
        page.goto(link)
        page.wait_for_function("venos.frame() !== null && window.__caseEnd", timeout=60_000)
        end = page.evaluate("window.__caseEnd")
        first = next(p for p in cors_host.order if p.endswith(".dcm"))
        assert end["failed"] == 0 and end["loaded"] == end["total"] > 1, end
        if not broken:
            assert end["timing"]["fromPage"] == 2, end["timing"]
            assert cors_host.hits["/case/manifest.json"] == 1 and cors_host.hits[first] == 1, cors_host.hits
        else:
            assert cors_host.hits["/case/manifest.json"] == 2 and cors_host.hits[first] == 1, cors_host.hits
            assert "fromPage" not in end["timing"], end["timing"]  # (no manifest, no guess: the worker fetched both)
        page.close()
    cors_host.rules.pop("/case/manifest.json", None)


def test_a_snapshot_that_cannot_be_restored_falls_back_to_a_normal_start(profile, site_copy):
    ctx = profile()
    page, first = visit(ctx, site_copy.url + "index.html")
    sw_active(page)
    # spoil the cached snapshot (both forms) as a disk error or a foreign build would
    page.evaluate("""async (b) => { const c = await caches.open('venos-' + b);
        for (const k of ['py/snapshot.bin.gz', 'py/snapshot.bin'])
            await c.put(new URL(k, location.href).href, new Response(new Uint8Array(1000)));
        return true; }""", first["build"])
    page.close()
    page, again = visit(ctx, site_copy.url + "index.html")
    assert again["timings"]["snapshot"].startswith(("not restored", "unreadable")), again["timings"]
    assert again["versions"]["numpy"] == first["versions"]["numpy"]
    page.set_input_files("#open-files", [str(data_path("dcm_qa_ct/GE/01.dcm"))])
    page.wait_for_function("venos.frame() !== null")


def test_a_new_build_replaces_the_old_cache(profile, site_copy):
    ctx = profile()
    page, first = visit(ctx, site_copy.url + "index.html")
    sw_active(page)
    old = first["build"]
    assert cache_names(page) == [f"venos-{old}"]
    # deploy a "new build": one file changes, the build is described again (ids, sha256s, sw.js)
    css = site_copy.dir / "app/css/venos.css"
    css.write_text(css.read_text() + "\n/* new build */\n")
    new = build.refinalize(site_copy.dir)["build"]
    assert new != old
    page.reload()  # the browser checks sw.js, finds it changed, installs the new build beside the old one
    page.evaluate("window.venos.ready")
    page.close()  # the old build's last page: the new service worker takes over once nothing holds the old one
    # When the browser checks for the update and activates it is its own business (navigation, register(), the
    # last client going away, in an order that varies with load): a user gets the new build on a later visit.
    # Visit until the new build serves the page, as a returning user would, and at most for a minute.
    deadline = time.monotonic() + 60
    third = None
    while time.monotonic() < deadline:
        page, third = visit(ctx, site_copy.url + "index.html")
        if third["build"] == new:
            break
        # The page asks for an update once it is ready (boot.js), but when the browser runs that check is its own
        # business, and a page closed at once may cut it short; a user's page stays open longer than this test's.
        # Ask again and wait for its answer, as a page left open would have.
        try:
            page.evaluate("navigator.serviceWorker.getRegistration().then((r) => r && r.update())")
            page.wait_for_function("""navigator.serviceWorker.getRegistration().then(
                (r) => !!(r && (r.waiting || r.installing)))""", timeout=10_000, polling=200)
        except (PlaywrightTimeout, PlaywrightError):
            pass
        page.close()
    assert third["build"] == new, "the new build never replaced the old one"
    # and then the old build's cache is gone: only the new one is kept
    page.wait_for_function(f"caches.keys().then(k => k.length === 1 && k[0] === 'venos-{new}')", timeout=30_000,
                           polling=200)
    assert "new build" in page.evaluate("fetch('app/css/venos.css').then(r => r.text())")
