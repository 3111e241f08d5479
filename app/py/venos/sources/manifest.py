"""Case manifests: OHIF's DICOM JSON (studies → series → instances with ``metadata`` and ``url``) and plain lists.

Accepted shapes, tried in this order:

1. ``{"studies": [{…study attributes, "series": [{…series attributes, "instances": [{"metadata": {…},
   "url": "…"}]}]}]}`` — OHIF's DICOM JSON data source. Study and series attributes are inherited by instances.
2. A JSON list of URLs, or ``{"urls": [...]}``, optionally with ``"base"``.
3. Text with one URL per line (``#`` starts a comment).

Relative URLs are resolved against the manifest's own address.
"""
from __future__ import annotations

from ..dicom.metadata import from_keywords
from ..errors import SourceError
from .case import MAX_INSTANCES, Case, Planned, as_text, load_json, resolve_url

MAX_MANIFEST_BYTES = 64 * 1024 * 1024
STUDY_KEYS = ("StudyInstanceUID", "StudyDate", "StudyTime", "StudyDescription", "PatientName", "PatientID",
              "AccessionNumber", "PatientBirthDate", "PatientSex")
SERIES_KEYS = ("SeriesInstanceUID", "SeriesNumber", "SeriesDescription", "Modality", "SeriesDate")


ACCEPT = "application/json, text/plain;q=0.9, */*;q=0.5"


def request(spec: dict) -> dict:
    """The manifest's address (absolute http(s): anything else is refused before any request)."""
    url = resolve_url(spec.get("manifest"), str(spec.get("base") or ""))
    return {"url": url, "accept": ACCEPT, "base": url}


def parse(payload, *, base: str, options: dict | None = None) -> Case:
    return parse_manifest(as_text(payload), base=base)


def request_list(spec: dict) -> dict:
    return {"payload": [str(u) for u in spec.get("urls") or []], "base": str(spec.get("base") or "")}


def parse_list(payload, *, base: str, options: dict | None = None) -> Case:
    return url_list(list(payload or []), base=base)


def parse_manifest(text: str, *, base: str) -> Case:
    if len(text) > MAX_MANIFEST_BYTES:
        raise SourceError(f"the manifest is larger than {MAX_MANIFEST_BYTES // (1024 * 1024)} MB", source=base)
    stripped = text.lstrip("\ufeff \t\r\n")
    if stripped[:1] in ("{", "["):
        doc = load_json(stripped, what="manifest", source=base)
        if isinstance(doc, dict) and isinstance(doc.get("studies"), list):
            return _ohif(doc, base)
        if isinstance(doc, dict) and isinstance(doc.get("urls"), list):
            inner = doc.get("base")
            return url_list(doc["urls"], base=resolve_url(inner, base) if isinstance(inner, str) else base)
        if isinstance(doc, list):
            return url_list(doc, base=base)
        raise SourceError("JSON manifest without 'studies' (OHIF DICOM JSON) or 'urls'", source=base)
    if stripped[:1] == "<":
        raise SourceError("the manifest address returned an HTML page, not a case manifest", source=base)
    lines = [ln.strip() for ln in stripped.splitlines()]
    return url_list([ln for ln in lines if ln and not ln.startswith("#")], base=base)


def url_list(urls: list, *, base: str) -> Case:
    if len(urls) > MAX_INSTANCES:  # checked before any address is looked at (or warned about)
        raise SourceError(f"the list names {len(urls)} addresses; at most {MAX_INSTANCES} are opened at once: "
                          "open the case in parts", source=base)
    case = Case("urls")
    for raw in urls:
        if isinstance(raw, dict):
            raw = raw.get("url")
        try:
            case.add(Planned(resolve_url(raw, base)))
        except SourceError as exc:
            case.warnings.append(exc.message)
    if not case.instances:
        raise SourceError("the list names no http(s) address" + (f" ({case.warnings[0]})" if case.warnings else ""),
                          source=base)
    return case


def _ohif(doc: dict, base: str) -> Case:
    case = Case("manifest")
    for study in doc["studies"]:
        if not isinstance(study, dict):
            continue
        study_meta = {k: study[k] for k in STUDY_KEYS if k in study}
        for series in study.get("series") or []:
            if not isinstance(series, dict):
                continue
            series_meta = {**study_meta, **{k: series[k] for k in SERIES_KEYS if k in series}}
            for inst in series.get("instances") or []:
                if not isinstance(inst, dict):
                    continue
                try:
                    url = resolve_url(inst.get("url"), base)
                except SourceError as exc:
                    case.warnings.append(exc.message)
                    continue
                meta = inst.get("metadata") if isinstance(inst.get("metadata"), dict) else {}
                merged = {**series_meta, **meta}
                case.add(Planned(url, from_keywords(merged) if merged else None))
    if not case.instances:
        raise SourceError("the manifest lists no instance with an http(s) url"
                          + (f" ({case.warnings[0]})" if case.warnings else ""), source=base)
    return case
