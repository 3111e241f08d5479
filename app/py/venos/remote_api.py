"""DICOMweb helpers of the JavaScript-facing API (re-exported by :mod:`venos.api`): pure functions of their
arguments that build QIDO-RS / WADO-RS addresses and read QIDO-RS answers; the worker does the fetching."""
from __future__ import annotations

from typing import Any

from ._js import to_plain
from .errors import VenosError


def dicomweb_search_url(root: str, level: str, study: str = "", series: str = "", filters: Any = None,
                        limit: int = 100, offset: int = 0) -> dict:
    """The QIDO-RS URL for a search form, or the reason it cannot be made."""
    from .sources import dicomweb

    try:
        return {"ok": True, "url": dicomweb.search_url(str(root), str(level), study=str(study or ""),
                                                       series=str(series or ""), filters=to_plain(filters) or {},
                                                       limit=int(limit), offset=int(offset))}
    except VenosError as exc:
        return {"ok": False, "error": exc.to_dict()}


def dicomweb_results(text: str, source: str = "") -> dict:
    """QIDO-RS JSON → rows of {keyword: value}."""
    from .sources import dicomweb

    try:
        return {"ok": True, "rows": dicomweb.results(str(text), source=str(source))}
    except VenosError as exc:
        return {"ok": False, "error": exc.to_dict()}


def dicomweb_urls(root: str, study: str, series: str = "", instance: str = "") -> dict:
    """Addresses of a study/series/instance: metadata, (instance) retrieval, rendered and thumbnail images."""
    from .sources import dicomweb

    try:
        base = dicomweb.path(str(root), str(study), str(series or ""), str(instance or ""))
    except VenosError as exc:
        return {"ok": False, "error": exc.to_dict()}
    out = {"ok": True, "base": base, "metadata": base + "/metadata", "thumbnail": base + "/thumbnail",
           "accept": dicomweb.ACCEPT_INSTANCE, "acceptJson": dicomweb.ACCEPT_JSON}
    if instance:
        out["rendered"] = base + "/rendered"
    return out

