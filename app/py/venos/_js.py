"""The one place that knows whether we run in Pyodide. Everything else imports plain Python."""
from __future__ import annotations

import sys

IN_PYODIDE = sys.platform == "emscripten"


def to_plain(value):
    """A JavaScript value (JsProxy) as plain Python (dict/list/str/float); Python values pass through."""
    if hasattr(value, "to_py"):
        return value.to_py()
    return value


def as_bytes(data) -> bytes:
    """A JS typed array (JsProxy) or Python buffer as bytes."""
    return data.to_bytes() if hasattr(data, "to_bytes") else bytes(data or b"")


def fetch_bytes_sync(url: str) -> bytes:
    """GET ``url`` synchronously (allowed in a Web Worker; used for lazily loaded modules, which an import
    statement cannot await). Raises OSError on a network failure or a non-200 answer."""
    from js import Uint8Array, XMLHttpRequest

    xhr = XMLHttpRequest.new()
    xhr.open("GET", url, False)
    xhr.responseType = "arraybuffer"
    try:
        xhr.send()
    except Exception as exc:  # a JsException: network error, blocked
        raise OSError(f"network error ({exc})") from None
    if xhr.status != 200:
        raise OSError(f"HTTP {xhr.status}")
    return Uint8Array.new(xhr.response).to_bytes()


# ---- codec bridge (venos.pixels.codecs): Python values to JS and decoded JS buffers back, one copy each way.

def to_js(value):
    """bytes → Uint8Array, dict → plain JS object; unchanged outside Pyodide (tests pass Python fakes)."""
    if not IN_PYODIDE:
        return value
    from js import Object
    from pyodide.ffi import to_js as _to_js

    if isinstance(value, (bytes, bytearray, memoryview)):
        return _to_js(memoryview(value))
    return _to_js(value, dict_converter=Object.fromEntries)


def js_to_bytes(value) -> bytes | bytearray:
    """A JS typed array / ArrayBuffer (JsProxy) or a Python buffer as bytes."""
    if hasattr(value, "to_bytes"):
        return value.to_bytes()
    if isinstance(value, (bytes, bytearray)):
        return value
    return memoryview(value).cast("B").tobytes()
