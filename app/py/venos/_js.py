"""The one place that knows whether we run in Pyodide. Everything else imports plain Python."""
from __future__ import annotations

import sys

IN_PYODIDE = sys.platform == "emscripten"


def to_plain(value):
    """A JavaScript value (JsProxy) as plain Python (dict/list/str/float); Python values pass through."""
    if hasattr(value, "to_py"):
        return value.to_py()
    return value


# Modules pydicom imports at start-up only for features a browser viewer never uses (downloading its own test
# data over urllib). Under Pyodide, importing urllib.request pulls in http.client and email: ~0.25 s of a
# ~1.4 s start-up import. They are registered as lazy modules: executed on first attribute access, if ever.
DEFERRED_MODULES = ("urllib.request",)


def defer_unused_modules() -> None:
    import importlib.util

    for name in DEFERRED_MODULES:
        if name in sys.modules:
            continue
        spec = importlib.util.find_spec(name)
        if spec is None or spec.loader is None:
            continue
        spec.loader = importlib.util.LazyLoader(spec.loader)
        module = importlib.util.module_from_spec(spec)
        sys.modules[name] = module
        spec.loader.exec_module(module)
        parent, _, child = name.rpartition(".")
        if parent:
            setattr(importlib.import_module(parent), child, module)


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
