"""Reference pixels for the codec tests, computed on CPython independently of the browser.

* the manifest's hashes (pydicom 3.0.2 + every plugin on CPython; GDCM called directly where pydicom cannot);
* GDCM's own decoder (``gdcmconv --raw``, Debian package libgdcm-tools) for lossy files whose manifest hash came
  from another decoder;
* pydicom + numpy (+ Pillow) on this machine for the pydicom wheel's own test files.
"""
from __future__ import annotations

import base64
import hashlib
import json
import shutil
import subprocess
import tempfile
import warnings
from functools import lru_cache
from pathlib import Path

import numpy as np
import pydicom
import pytest

from conftest import DATA, StaticServer

LOSSY_FLOOR = 1  # grey levels: lossy decoders that implement the standard differ by rounding at least


def manifest() -> dict:
    path = DATA / "manifest.json"
    if not path.exists():
        return {"files": []}
    return json.loads(path.read_text())


def reference(entry: dict) -> dict | None:
    """{sha256, dtype, shape, decoder, spread} for a manifest entry with decoded-pixel ground truth."""
    d = entry.get("decode_cpython_all_plugins") or {}
    if d.get("ok") and d.get("sha256"):
        spread = [v.get("max_abs_diff_vs_default") for v in (d.get("per_plugin") or {}).values()
                  if isinstance(v, dict) and v.get("max_abs_diff_vs_default") is not None]
        return {"sha256": d["sha256"], "dtype": d["dtype"], "shape": d["shape"],
                "decoder": f"pydicom+{d.get('default_plugin') or 'numpy'}", "spread": max(spread, default=0)}
    g = entry.get("reference_pixels_gdcm_direct")
    if g and g.get("sha256"):
        return {"sha256": g["sha256"], "dtype": g["dtype"], "shape": g["shape"], "decoder": "GDCM", "spread": 0}
    return None


def manifest_cases() -> list[tuple[str, dict, dict]]:
    return [(e["path"], e, ref) for e in manifest()["files"] if (ref := reference(e)) is not None]


def array_hash(arr: np.ndarray) -> str:
    arr = np.ascontiguousarray(arr)
    return hashlib.sha256(arr.astype(arr.dtype.newbyteorder("<"), copy=False).tobytes()).hexdigest()


@lru_cache(maxsize=64)
def gdcm_pixels(path: str) -> np.ndarray | None:
    """The pixels GDCM decodes (gdcmconv --raw, then pydicom reads the native result); None without gdcmconv."""
    if shutil.which("gdcmconv") is None:
        return None
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "raw.dcm"
        r = subprocess.run(["gdcmconv", "--raw", path, str(out)], capture_output=True)
        if r.returncode != 0 or not out.exists():
            return None
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return pydicom.dcmread(out).pixel_array


def cpython_pixels(path: Path) -> np.ndarray | None:
    """pydicom's default pixel_array on CPython here (numpy + Pillow), or None when it cannot decode."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return pydicom.dcmread(path, force=True).pixel_array
    except Exception:
        return None


def decoded(result: dict) -> np.ndarray:
    """The array a venos.decode(..., {pixels: true}) result carries (data base64-encoded by the page helper)."""
    raw = base64.b64decode(result["data"])
    return np.frombuffer(raw, dtype=np.dtype(result["dtype"])).reshape(result["shape"])


# Page-side helper: decode a URL in the worker; return bytes as base64 (evaluate() cannot carry ArrayBuffers).
DECODE_JS = """async ([url, name, pixels]) => {
    const r = await venos.decode(url, { name, pixels });
    if (r.data) {
        const d = r.data instanceof Uint8Array ? r.data : new Uint8Array(r.data); let s = '';
        for (let i = 0; i < d.length; i += 0x8000) s += String.fromCharCode.apply(null, d.subarray(i, i + 0x8000));
        r.data = btoa(s);
    }
    return r;
}"""


@pytest.fixture(scope="module")
def data_server():
    server = StaticServer(DATA, cors=True)
    yield server
    server.close()


@pytest.fixture(scope="module")
def codec_page(browser, site):
    """One page with VeNOS ready, reused by every test of a module; records every request it makes."""
    context = browser.new_context(bypass_csp=True)
    page = context.new_page()
    page.requests = []
    page.on("request", lambda r: page.requests.append(r.url))
    page.goto(site.url + "index.html")
    page.wait_for_function("window.venos && window.venos.runtime", timeout=90_000)
    yield page
    context.close()


def browser_decode(page, url: str, name: str, *, pixels: bool = False) -> dict:
    return page.evaluate(DECODE_JS, [url, name, pixels])


def staged_url(page, site, name: str, data: bytes) -> str:
    """Serve bytes made by a test at a same-origin URL (fulfilled by Playwright)."""
    url = f"{site.url}__made__/{name}"

    def handler(route):
        route.fulfill(status=200, body=data, content_type="application/dicom")

    page.route(url, handler)
    return url
