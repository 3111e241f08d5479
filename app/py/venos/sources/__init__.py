"""Where a case's files come from. SEAM :func:`register_source`: one ordered list of source kinds.

A *remote case* is named by a spec (``venos.open({manifest: url})``, a share link's query). For each kind the
registry says which spec key names it and how the loader gets what the source reads: ``request(spec)`` gives the
first request (the address to fetch and its Accept header, or the payload itself, e.g. a list of URLs), and
``parse(payload, base, options)`` turns what was fetched into a :class:`~venos.sources.case.Case` — a plan of
instance addresses with whatever metadata is known before their bytes. Python decides what to fetch; JavaScript
(app/js/net/remote.js) fetches through its one queue and hands every body back. Local files, folders and zips need
no entry: the worker hands their bytes over directly (``venos.load``).

Adding a kind: a module here with its ``request`` and ``parse``, one :func:`register_source` line below, and the
spec key in app/js/cloud/link.js if share links should carry it.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable

from ..errors import SourceError
from .case import Case


@dataclass(frozen=True)
class Source:
    kind: str  # the spec key that names it, and the kind of the case it makes
    request: Callable[[dict], dict]  # spec → {url, accept} to fetch first, or {payload}; raises SourceError
    parse: Callable[..., Case]  # (payload, *, base, options) → Case


SOURCES: dict[str, Source] = {}


def register_source(kind: str, request: Callable[[dict], dict], parse: Callable[..., Case]) -> None:
    if kind in SOURCES:
        raise ValueError(f"source {kind!r} is already registered")
    SOURCES[kind] = Source(kind, request, parse)


def source_for(spec: dict) -> Source:
    """The first registered kind the spec names."""
    for kind, src in SOURCES.items():
        if spec.get(kind):
            return src
    raise SourceError("nothing to open: give " + ", ".join(SOURCES))


def get(kind: str) -> Source:
    try:
        return SOURCES[kind]
    except KeyError:
        raise SourceError(f"unknown case kind {kind!r}; one of {', '.join(SOURCES)}") from None


def _register_all() -> None:
    from . import dicomdir, dicomweb, manifest

    register_source("manifest", manifest.request, manifest.parse)
    register_source("urls", manifest.request_list, manifest.parse_list)
    register_source("dicomweb", dicomweb.request, dicomweb.parse)
    register_source("dicomdir", dicomdir.request, dicomdir.parse)


_register_all()
