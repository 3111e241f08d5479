"""DICOMweb (PS3.18): QIDO-RS search URLs and results, WADO-RS metadata → a case plan, WADO-RS/URI addresses.

Pure functions of strings: the JavaScript side fetches (with the user's token, never in a URL); this module decides
what to ask for and reads what comes back. UIDs are validated before they go into a path, and every query value
is percent-encoded, so nothing typed in a search box can change the request's shape.
"""
from __future__ import annotations

import re
from urllib.parse import quote, urlsplit

from ..dicom.metadata import from_dicom_json, plain
from ..errors import SourceError
from .case import Case, Planned, as_text, load_json

LEVELS = ("studies", "series", "instances")
UID = re.compile(r"^[0-9]+(\.[0-9]+)*$")
DATE = re.compile(r"^\d{8}$")
DATE_QUERY = re.compile(r"^(\d{8})?-?(\d{8})?$")
# Accept header for WADO-RS instance retrieval: DICOM files in a multipart body, stored encoding kept.
ACCEPT_INSTANCE = 'multipart/related; type="application/dicom"; transfer-syntax=*'
ACCEPT_JSON = "application/dicom+json, application/json"
# Search keys users may fill, per level (PS3.18 10.6.1.2 matching attributes), in the order the form shows them.
SEARCH_KEYS = {
    "studies": ("PatientName", "PatientID", "StudyDate", "ModalitiesInStudy", "AccessionNumber",
                "StudyDescription", "StudyInstanceUID"),
    "series": ("Modality", "SeriesInstanceUID", "SeriesNumber", "SeriesDescription"),
    "instances": ("SOPInstanceUID", "InstanceNumber"),
}
INCLUDE = {
    "studies": ("StudyDescription", "ModalitiesInStudy", "NumberOfStudyRelatedSeries",
                "NumberOfStudyRelatedInstances", "StudyDate", "PatientName", "PatientID", "AccessionNumber"),
    "series": ("SeriesDescription", "Modality", "SeriesNumber", "NumberOfSeriesRelatedInstances"),
    "instances": ("InstanceNumber", "Rows", "Columns", "NumberOfFrames"),
}
MAX_RESULTS = 1000


def root_url(root: str) -> str:
    """The service root without a trailing slash; http(s) only."""
    text = (root or "").strip().rstrip("/")
    parts = urlsplit(text)
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        raise SourceError(f"{root!r} is not an http(s) DICOMweb root (e.g. https://pacs.example.org/dicom-web)")
    if parts.query or parts.fragment:
        raise SourceError(f"a DICOMweb root has no query or fragment: {root!r}")
    return text


def uid(value: str, what: str) -> str:
    value = (value or "").strip()
    if not UID.match(value) or len(value) > 64:
        raise SourceError(f"{what} {value!r} is not a DICOM UID (digits and dots, at most 64 characters)")
    return value


def path(root: str, study: str = "", series: str = "", instance: str = "") -> str:
    url = root_url(root)
    if study:
        url += "/studies/" + uid(study, "StudyInstanceUID")
    if series:
        url += "/series/" + uid(series, "SeriesInstanceUID")
    if instance:
        url += "/instances/" + uid(instance, "SOPInstanceUID")
    return url


def date_range(start: str = "", end: str = "") -> str:
    """PS3.4 C.2.2.2.5 range matching: 'YYYYMMDD-YYYYMMDD', open at either end. Accepts 'YYYY-MM-DD' too."""
    a, b = (start or "").replace("-", ""), (end or "").replace("-", "")
    for d in (a, b):
        if d and not DATE.match(d):
            raise SourceError(f"{d!r} is not a date (YYYY-MM-DD)")
    if not a and not b:
        return ""
    return a if a == b else f"{a}-{b}"


def search_url(root: str, level: str, *, study: str = "", series: str = "", filters: dict | None = None,
               limit: int = 100, offset: int = 0, fuzzy: bool = False) -> str:
    """A QIDO-RS URL: ``{root}/studies?…``, ``{root}/studies/{uid}/series?…`` or ``…/series/{uid}/instances?…``.

    ``filters`` holds keywords of :data:`SEARCH_KEYS` (plus ``StudyDateFrom``/``StudyDateTo``); empty values are
    left out. A patient name without wildcards is matched as a prefix (``Doe`` → ``Doe*``), as people type it."""
    if level not in LEVELS:
        raise SourceError(f"search level {level!r}: one of {', '.join(LEVELS)}")
    base = path(root, study if level != "studies" else "", series if level == "instances" else "")
    filters = dict(filters or {})
    query: list[tuple[str, str]] = []
    rng = date_range(str(filters.pop("StudyDateFrom", "") or ""), str(filters.pop("StudyDateTo", "") or ""))
    if rng and level == "studies":
        query.append(("StudyDate", rng))
    for key in SEARCH_KEYS[level]:
        value = str(filters.get(key, "") or "").strip()
        if not value:
            continue
        if key == "StudyDate" and not DATE_QUERY.match(value):
            raise SourceError(f"StudyDate {value!r}: YYYYMMDD or a range YYYYMMDD-YYYYMMDD (either end may be open)")
        if key == "PatientName" and "*" not in value and "?" not in value:
            value += "*"
        query.append((key, value))
    unknown = set(filters) - set(SEARCH_KEYS[level])
    if unknown:
        raise SourceError(f"cannot search {level} by {', '.join(sorted(unknown))}; "
                          f"allowed: {', '.join(SEARCH_KEYS[level])}, StudyDateFrom, StudyDateTo")
    for inc in INCLUDE[level]:
        query.append(("includefield", inc))
    if fuzzy:
        query.append(("fuzzymatching", "true"))
    query.append(("limit", str(max(1, min(int(limit), MAX_RESULTS)))))
    if offset:
        query.append(("offset", str(max(0, int(offset)))))
    return f"{base}/{level}?" + "&".join(f"{k}={quote(v, safe='*?,-')}" for k, v in query)


def results(text: str, *, source: str = "") -> list[dict]:
    """A QIDO-RS JSON response → rows of {keyword: value} (PN as its alphabetic text)."""
    if not text.strip():
        return []  # 204 No Content: nothing matched
    doc = _json_array(text, "search", "DICOM objects", source)
    return [plain(obj) for obj in doc[:MAX_RESULTS] if isinstance(obj, dict)]


def _json_array(text: str, answer: str, items: str, source: str) -> list:
    """A DICOMweb JSON answer that must be an array, or a SourceError naming what it should have been."""
    doc = load_json(text, what=f"{answer} answer", source=source)
    if not isinstance(doc, list):
        raise SourceError(f"the {answer} answer is not a JSON array of {items}", source=source)
    return doc


def instance_url(root: str, study: str, series: str, sop: str) -> str:
    return path(root, study, series, sop)


def rendered_url(root: str, study: str, series: str, sop: str, *, frame: int | None = None) -> str:
    """WADO-RS rendered (PS3.18 9.5): a consumer image. ``frame`` is 0-based here, 1-based in the URL."""
    url = path(root, study, series, sop)
    return url + (f"/frames/{int(frame) + 1}/rendered" if frame is not None else "/rendered")


def wado_uri(wado_root: str, study: str, series: str, sop: str) -> str:
    """WADO-URI (PS3.18 9.1 / 6.2): one DICOM file by its three UIDs. The content type is left unescaped: some
    servers compare it literally."""
    base = root_url(wado_root)
    return (f"{base}?requestType=WADO&studyUID={uid(study, 'StudyInstanceUID')}"
            f"&seriesUID={uid(series, 'SeriesInstanceUID')}&objectUID={uid(sop, 'SOPInstanceUID')}"
            f"&contentType=application/dicom")


def request(spec: dict) -> dict:
    """The WADO-RS metadata of the study (or series) the spec names; instances follow from it."""
    d = spec.get("dicomweb") or {}
    if not isinstance(d, dict):
        raise SourceError("dicomweb needs {root, study[, series]}")
    root = str(d.get("root") or "")
    url = path(root, str(d.get("study") or ""), str(d.get("series") or "")) + "/metadata"
    return {"url": url, "accept": ACCEPT_JSON, "base": root,
            "options": {"wadoUri": str(d.get("wadoUri") or ""), "source": url}}


def parse(payload, *, base: str, options: dict | None = None) -> Case:
    options = options or {}
    return metadata_case(as_text(payload), root=base, wado_uri_root=str(options.get("wadoUri") or ""),
                         source=str(options.get("source") or base))


def metadata_case(text: str, *, root: str, wado_uri_root: str = "", source: str = "") -> Case:
    """WADO-RS metadata of a study or series (a JSON array of instances) → a plan that shows every slice at once.

    Instances are fetched by WADO-RS (multipart), or by WADO-URI when ``wado_uri_root`` is given."""
    doc = _json_array(text, "metadata", "instances", source)
    case = Case("dicomweb")
    for obj in doc:
        ds = from_dicom_json(obj) if isinstance(obj, dict) else None
        if ds is None:
            continue
        try:
            st, se, sop = (uid(str(ds.get(k, "")), k) for k in ("StudyInstanceUID", "SeriesInstanceUID",
                                                                  "SOPInstanceUID"))
        except SourceError as exc:
            case.warnings.append(exc.message)
            continue
        if wado_uri_root:
            case.add(Planned(wado_uri(wado_uri_root, st, se, sop), ds))
        else:
            case.add(Planned(instance_url(root, st, se, sop), ds, accept=ACCEPT_INSTANCE, multipart=True))
    if not case.instances:
        raise SourceError("the metadata lists no instance", source=source)
    return case
