"""Shared fixtures: data locations, a static server for dist/, and headless Chromium through Playwright.

Browser tests drive the built ``dist/`` (built once per session if missing or stale, via ``build.py``) in Debian's
Chromium. Every request that leaves the test server's origin is recorded and aborted, so a test fails loudly if the
page reaches for the network. Pages run with ``bypass_csp`` so Playwright can evaluate expressions; the page's own
text-only DOM handling is what the escaping tests check.
"""
from __future__ import annotations

import functools
import http.server
import json
import os
import socket
import subprocess
import sys
import threading
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
DIST = ROOT / "dist"
CHROMIUM = os.environ.get("VENOS_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run", "--disable-dev-shm-usage"]


def _find_data() -> Path:
    candidates = [os.environ.get("VENOS_DATA"), ROOT.parent / "shared/data/dicom", Path("/work/shared/data/dicom")]
    for c in candidates:
        if c and (Path(c) / "manifest.json").exists():
            return Path(c)
    return Path(candidates[1])


DATA = _find_data()


def data_path(rel: str) -> Path:
    p = DATA / rel
    if not p.exists():
        # A missing data set must fail the run, not turn every test into a silent skip.
        pytest.fail(f"test data {rel} not found under {DATA}: the shared DICOM set is expected at "
                    f"../shared/data/dicom (or set VENOS_DATA)")
    return p


def shared_manifest() -> dict:
    """The shared set's manifest.json. Missing, unreadable or listing no file, it fails loudly (where tests are
    parametrized over it, at collection): an empty parametrization would be one skip, and the run would pass."""
    path = DATA / "manifest.json"
    try:
        manifest, problem = json.loads(path.read_text()), None
    except (OSError, ValueError) as e:
        manifest, problem = None, e
    if problem is not None:
        pytest.fail(f"the shared DICOM set's manifest cannot be read ({problem}): expected at "
                    f"../shared/data/dicom/manifest.json (or set VENOS_DATA)", pytrace=False)
    if not isinstance(manifest, dict) or not manifest.get("files"):
        pytest.fail(f"{path} lists no files", pytrace=False)
    return manifest


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class QuietHandler(http.server.SimpleHTTPRequestHandler):
    extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map, ".wasm": "application/wasm",
                      ".mjs": "text/javascript", ".js": "text/javascript", ".json": "application/json",
                      ".dcm": "application/dicom"}
    cors = False

    def end_headers(self):
        if self.cors:
            self.send_header("Access-Control-Allow-Origin", "*")
        super().end_headers()

    def log_message(self, *args):
        pass


class StaticServer:
    """A threaded static file server on a free loopback port."""

    def __init__(self, directory: Path, *, cors: bool = False) -> None:
        handler = type("Handler", (QuietHandler,), {"cors": cors})
        self.port = free_port()
        self.httpd = http.server.ThreadingHTTPServer(("127.0.0.1", self.port),
                                                     functools.partial(handler, directory=str(directory)))
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.port}/"

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def _dist_is_stale() -> bool:
    stamp = DIST / "runtime.json"
    if not stamp.exists():
        return True
    built = stamp.stat().st_mtime
    watched = [ROOT / "index.html", ROOT / "build.py"] + list((ROOT / "app").rglob("*"))
    return any(p.is_file() and p.stat().st_mtime > built for p in watched)


@pytest.fixture(scope="session")
def dist() -> Path:
    if os.environ.get("VENOS_SKIP_BUILD") != "1" and _dist_is_stale():
        r = subprocess.run([sys.executable, str(ROOT / "build.py")], cwd=ROOT, capture_output=True, text=True)
        if r.returncode != 0:
            pytest.fail(f"build.py failed:\n{r.stdout[-3000:]}\n{r.stderr[-3000:]}")
    return DIST


@pytest.fixture(scope="session")
def site(dist):
    server = StaticServer(dist)
    yield server
    server.close()


@pytest.fixture(scope="session")
def browser():
    import playwright.sync_api as pw_mod  # a missing Playwright must fail the run, not skip it
    if not Path(CHROMIUM).exists():
        pytest.fail(f"Chromium not found at {CHROMIUM}: apt-get install chromium (or set VENOS_CHROMIUM)")
    with pw_mod.sync_playwright() as pw:
        b = pw.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


def _fulfiller(body: bytes):
    # Playwright passes (route, request) to handlers with two parameters: keep the body out of the signature.
    def handler(route):
        route.fulfill(status=200, body=body, content_type="application/octet-stream")
    return handler


class ViewerPage:
    """A page with VeNOS loaded and ready, plus helpers to hand it files the ways a user does."""

    def __init__(self, page, base_url: str) -> None:
        self.page = page
        self.base_url = base_url
        self.offsite: list[str] = []
        self.console_errors: list[str] = []
        self.dialogs: list[str] = []
        self._staged = 0

    def open(self, path: str = "index.html", *, wait_ready: bool = True, timeout: float = 60_000):
        self.page.goto(self.base_url + path)
        if wait_ready:
            self.page.evaluate("window.venos.ready", None)
            self.page.wait_for_function("window.venos && window.venos.runtime", timeout=timeout)
        return self

    def eval(self, expr: str, arg=None):
        return self.page.evaluate(expr, arg)

    def load_via_input(self, paths, *, folder: bool = False):
        """Pick files with the file dialog, then wait until VeNOS has parsed them all."""
        done = self.when("loadend")
        self.page.set_input_files("#open-folder" if folder else "#open-files", [str(p) for p in paths])
        return self.page.evaluate("h => h.promise", done)

    def measure_by_drag(self, tool: str, a, b, *, on: str = "#canvas") -> dict:
        """Pick `tool`, drag from `a` to `b` (offsets in CSS pixels from the centre of `on`, the first viewport's
        canvas unless another viewport is named) with the mouse, and return the `measurement` event it fires."""
        self.page.click(f"[data-tool={tool}]")
        box = self.page.locator(on).bounding_box()
        cx, cy = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
        done = self.when("measurement")
        self.page.mouse.move(cx + a[0], cy + a[1])
        self.page.mouse.down()
        self.page.mouse.move(cx + b[0], cy + b[1], steps=4)
        self.page.mouse.up()
        return self.page.evaluate("h => h.promise", done)

    def when(self, event: str):
        """A handle on the next `event` from venos (wrapped, so Playwright does not await it yet)."""
        return self.page.evaluate_handle(
            "(ev) => ({ promise: new Promise(r => { const off = venos.on(ev, d => { off(); r(d); }); }) })", event)

    def _stage(self, files: dict[str, bytes]) -> list[list[str]]:
        """Make bytes fetchable by the page under its own origin (fast, unlike passing them through evaluate)."""
        staged = []
        for name, data in files.items():
            self._staged += 1
            url = f"{self.base_url}__staged__/{self._staged}"
            self.page.route(url, _fulfiller(data))
            staged.append([name, url])
        return staged

    _files_js = """async (staged) => Promise.all(staged.map(async ([name, url]) =>
        new File([await (await fetch(url)).blob()], name)))"""

    def drop(self, files: dict[str, bytes]):
        """Simulate dropping files (name → bytes) on the viewport; resolves with the load summary."""
        return self.page.evaluate(
            """async (staged) => {
                const files = await (%s)(staged);
                const dt = new DataTransfer();
                for (const f of files) dt.items.add(f);
                const done = new Promise(r => { const off = venos.on('loadend', d => { off(); r(d); }); });
                const vp = document.getElementById('viewport');
                for (const t of ['dragenter', 'dragover', 'drop']) {
                    vp.dispatchEvent(new DragEvent(t, { dataTransfer: dt, bubbles: true, cancelable: true }));
                }
                return await done;
            }""" % self._files_js, self._stage(files))

    def load_bytes(self, files: dict[str, bytes]):
        """Hand File objects to venos.load() directly (the JS API path)."""
        return self.page.evaluate(
            "async (staged) => venos.load(await (%s)(staged))" % self._files_js, self._stage(files))

    def set_view(self, patch: dict):
        return self.page.evaluate("async (p) => { await venos.setViewState(p); return venos.viewState(); }", patch)

    def frame(self):
        """The rendered frame as a numpy array (rows, cols, 4)."""
        import numpy as np

        f = self.page.evaluate("""() => { const f = venos.frame(); if (!f) return null;
            let s = ''; const d = f.data; for (let i = 0; i < d.length; i += 0x8000)
              s += String.fromCharCode.apply(null, d.subarray(i, i + 0x8000));
            return { width: f.width, height: f.height, b64: btoa(s) }; }""")
        if f is None:
            return None
        import base64

        return np.frombuffer(base64.b64decode(f["b64"]), dtype=np.uint8).reshape(f["height"], f["width"], 4)


@pytest.fixture
def viewer(browser, site):
    context = browser.new_context(bypass_csp=True, viewport={"width": 1280, "height": 800})
    page = context.new_page()
    vp = ViewerPage(page, site.url)
    origin = site.url.rstrip("/")

    def guard(route):
        url = route.request.url
        if url.startswith(origin) or url.startswith(("data:", "blob:")):
            return route.continue_()
        vp.offsite.append(url)
        return route.abort()

    context.route("**/*", guard)
    page.on("console", lambda m: vp.console_errors.append(m.text) if m.type == "error" else None)
    page.on("dialog", lambda d: (vp.dialogs.append(d.message), d.dismiss()))
    yield vp
    context.close()
