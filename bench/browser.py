"""Headless Chromium through Playwright's Python API, launched the way GUIDE.md says works on these machines."""
from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

CHROMIUM = os.environ.get("VENOS_CHROMIUM", "/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
        "--disable-sync", "--no-first-run"]
VIEWPORT = {"width": 1280, "height": 800}
PROBE = (Path(__file__).parent / "probe.js").read_text()


def launch(pw, *, extra_args: list[str] | None = None):
    """A browser whose every new_context() has an empty HTTP cache and profile (a cold start)."""
    return pw.chromium.launch(executable_path=CHROMIUM, args=ARGS + (extra_args or []))


def persistent(pw, user_data_dir: Path):
    """A context on a profile folder that keeps its HTTP cache and V8/wasm code cache between navigations."""
    ctx = pw.chromium.launch_persistent_context(str(user_data_dir), executable_path=CHROMIUM, args=ARGS,
                                                viewport=VIEWPORT)
    ctx.add_init_script(PROBE)
    return ctx


def new_page(browser):
    """A fresh context (empty cache) and page with the probe installed."""
    ctx = browser.new_context(viewport=VIEWPORT)
    ctx.add_init_script(PROBE)
    page = ctx.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.bench_errors = errors  # type: ignore[attr-defined]
    return ctx, page


def open_ready(browser, url: str, *, timeout_ms: int = 60000):
    """New context + page at ``url`` with the Python runtime up; returns (context, page, ready info)."""
    ctx, page = new_page(browser)
    page.goto(url)
    info = page.evaluate("__bench.ready()")
    return ctx, page, info


def chromium_version() -> str:
    try:
        out = subprocess.run([CHROMIUM, "--version"], capture_output=True, text=True, timeout=20).stdout
    except (OSError, subprocess.SubprocessError):
        return "unknown"
    m = re.search(r"Chromium\s+([\d.]+)", out)
    return m.group(1) if m else out.strip()


def _children(pid: int) -> list[int]:
    out = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == pid:
            out.append(int(stat.parent.name))
    return out


def renderer_memory() -> list[dict]:
    """PSS/RSS (bytes) of each Chromium renderer process started under this Python process (Linux /proc)."""
    todo, seen, found = [os.getpid()], set(), []
    while todo:
        pid = todo.pop()
        if pid in seen:
            continue
        seen.add(pid)
        todo += _children(pid)
        try:
            cmd = Path(f"/proc/{pid}/cmdline").read_bytes()  # Chromium rewrites argv: test substrings
        except OSError:
            continue
        if b"--type=renderer" not in cmd or b"--top-chrome-webui" in cmd:
            continue
        row = {"pid": pid}
        try:
            for line in Path(f"/proc/{pid}/smaps_rollup").read_text().splitlines():
                k, _, v = line.partition(":")
                if k in ("Rss", "Pss"):
                    row[k.lower()] = int(v.split()[0]) * 1024
        except OSError:
            continue
        found.append(row)
    return found


def worker_heap(browser_) -> list[dict]:
    """Runtime.getHeapUsage of every dedicated worker, through a browser-level CDP session.

    ``backingStorageSize`` counts ArrayBuffer backing stores, which include the worker's WebAssembly memory (the
    Pyodide heap); ``usedSize`` is the V8 JS heap. Uses the non-flat session protocol because Playwright's CDP
    sessions cannot address a worker directly.
    """
    import json
    import time

    cdp = browser_.new_browser_cdp_session()
    replies: dict = {}
    cdp.on("Target.receivedMessageFromTarget",
           lambda e: replies.setdefault(json.loads(e["message"]).get("id"), json.loads(e["message"])))
    out = []
    try:
        for i, t in enumerate(t for t in cdp.send("Target.getTargets")["targetInfos"] if t["type"] == "worker"):
            sid = cdp.send("Target.attachToTarget", {"targetId": t["targetId"], "flatten": False})["sessionId"]
            msg = {"id": i + 1, "method": "Runtime.getHeapUsage", "params": {}}
            cdp.send("Target.sendMessageToTarget", {"sessionId": sid, "message": json.dumps(msg)})
            deadline = time.monotonic() + 10
            while i + 1 not in replies and time.monotonic() < deadline:
                cdp.send("Target.getTargets")  # a round trip lets Playwright dispatch the pending event
                time.sleep(0.01)
            res = replies.get(i + 1, {}).get("result", {})
            out.append({"url": t["url"], **res})
            cdp.send("Target.detachFromTarget", {"sessionId": sid})
    finally:
        cdp.detach()
    return out
