"""The one place that knows whether we run in Pyodide. Everything else imports plain Python."""
from __future__ import annotations

import sys

IN_PYODIDE = sys.platform == "emscripten"


def to_plain(value):
    """A JavaScript value (JsProxy) as plain Python (dict/list/str/float); Python values pass through."""
    if hasattr(value, "to_py"):
        return value.to_py()
    return value
