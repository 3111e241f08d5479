"""A remote case as a plan: which addresses to fetch, how, and what is known about each before its bytes arrive.

Every source that names files elsewhere (a manifest, a list of URLs, DICOMweb metadata, a DICOMDIR) becomes a
:class:`Case`. The loader fetches its instances; metadata, when there is some, lets the viewer show the series,
their slice counts and order at once (``venos.model.series.SeriesIndex.add_pending``).
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urljoin, urlsplit

from ..errors import SourceError

MAX_INSTANCES = 50_000
MAX_JSON_DEPTH = 64  # a DICOM JSON instance nests a few levels per sequence; 64 is far past any real one
# For the nesting check (load_json): escapes, then strings (an unterminated one runs to the end), then all that is
# not a bracket go in C, each in one linear pass (no pattern here can backtrack), leaving only the brackets outside
# strings for Python to count.
_JSON_ESCAPE = re.compile(r"\\.")
_JSON_STRING = re.compile(r'"[^"]*"?')
_JSON_NOT_BRACKET = re.compile(r"[^\[\]{}]+")
SCHEMES = ("http", "https")
# OHIF's manifests prefix instance URLs with the Cornerstone loader to use; the address follows.
LOADER_PREFIXES = ("dicomweb:", "wadouri:", "wadors:", "dicomfile:")
_ABSOLUTE = re.compile(r"^https?://[A-Za-z0-9.\-]+(:\d+)?/[^\s\\#]*$")
# A plain relative path ("0001.dcm", "series1/0001.dcm"): segments of unreserved characters, none starting with a
# dot (no "." or ".." to resolve), no query: the base's folder + the path, which is what urljoin gives.
_PLAIN_RELATIVE = re.compile(r"^(?:[A-Za-z0-9_~\-][A-Za-z0-9_~.\-]*/)*[A-Za-z0-9_~\-][A-Za-z0-9_~.\-]*$")
_folders: dict[str, str | None] = {}  # base → its http(s) folder, or None (not http(s): resolved the long way)


@dataclass(frozen=True)
class Planned:
    url: str
    metadata: Any = None  # header-only pydicom Dataset, or None when nothing is known before the bytes
    accept: str = ""  # Accept header ('' = whatever the server sends)
    multipart: bool = False  # the response is multipart/related (WADO-RS)


@dataclass
class Case:
    kind: str  # "manifest", "urls", "dicomweb", "dicomdir"
    instances: list[Planned] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    title: str = ""

    def add(self, planned: Planned) -> None:
        if len(self.instances) >= MAX_INSTANCES:
            raise SourceError(f"the case lists more than {MAX_INSTANCES} instances; open it in parts")
        self.instances.append(planned)


def resolve_url(raw: Any, base: str) -> str:
    """An instance address from a manifest, made absolute against ``base``; only http(s) is fetched.

    Raises :class:`SourceError` for anything else (javascript:, data:, file:, …): a manifest is data, and data
    never decides what the page runs."""
    if not isinstance(raw, str) or not raw.strip():
        raise SourceError(f"not an address: {raw!r}")
    text = raw.strip()
    low = text.lower()
    for prefix in LOADER_PREFIXES:
        if low.startswith(prefix):
            text = text[len(prefix):]
            break
    if _ABSOLUTE.match(text):  # the common cases, without urljoin's cost (500-slice manifests)
        return text
    if base and _PLAIN_RELATIVE.match(text):
        folder = _folder(base)
        if folder is not None:
            return folder + text
    url = urljoin(base, text) if base else text
    parts = urlsplit(url)
    if parts.scheme.lower() not in SCHEMES or not parts.netloc:
        raise SourceError(f"{raw!r} is not an http(s) address (resolved against {base or 'nothing'}: {url!r})")
    return url


def _folder(base: str) -> str | None:
    folder = _folders.get(base, "")
    if folder == "":
        folder = urljoin(base, "./")
        parts = urlsplit(folder)
        if parts.scheme.lower() not in SCHEMES or not parts.netloc or parts.query or parts.fragment:
            folder = None
        if len(_folders) > 64:
            _folders.clear()
        _folders[base] = folder
    return folder


def as_text(payload: Any) -> str:
    """What the loader handed over (text, bytes or a JS buffer) as text."""
    if isinstance(payload, str):
        return payload
    return as_bytes(payload).decode("utf-8", errors="replace")


def as_bytes(payload: Any) -> bytes:
    if hasattr(payload, "to_bytes"):
        return payload.to_bytes()
    return bytes(payload)


def json_depth_exceeds(text: str, limit: int) -> bool:
    """Whether the brackets outside strings of a JSON text (valid or not) ever nest deeper than ``limit``."""
    brackets = _JSON_NOT_BRACKET.sub("", _JSON_STRING.sub("", _JSON_ESCAPE.sub("", text)))
    if len(brackets) <= limit:
        return False
    depth = 0
    for c in brackets:
        if c in "[{":
            depth += 1
            if depth > limit:
                return True
        else:
            depth -= 1
    return False


def load_json(text: str, *, what: str, source: str = ""):
    """``json.loads`` for documents from elsewhere, with a nesting limit checked first: Python's parser recurses,
    and a few thousand levels exhaust the WebAssembly stack — a fatal error for the whole runtime, not an
    exception."""
    import json

    if json_depth_exceeds(text, MAX_JSON_DEPTH):
        raise SourceError(f"the {what} nests deeper than {MAX_JSON_DEPTH} levels: not a {what} this viewer "
                          "reads (damaged or hostile)", source=source)
    try:
        return json.loads(text)
    except (json.JSONDecodeError, RecursionError) as exc:
        raise SourceError(f"the {what} is not valid JSON: {exc}", source=source) from None
