"""A case as files for a static host: the DICOM files, an OHIF DICOM JSON manifest, a README, zipped.

The zip is a case library (app/js/cloud/library.js): ``library.json`` at its root lists the case, whose files sit in
a folder of their own (``<slug>/manifest.json``, ``<slug>/study1/series1/0001.dcm``, …). Given the library index a
host already serves, the new index lists the old cases and this one, so unpacking the zip into that folder adds
the case to the library.

The manifest has the shape :mod:`venos.sources.manifest` reads (OHIF's DICOM JSON data source): studies → series →
instances, each instance with the ``metadata`` a viewer needs before its bytes arrive (the keywords VeNOS keeps,
:data:`venos.dicom.metadata.KEEP_KEYWORDS`) and its ``url``. Without a public address the urls are relative to the
manifest, which VeNOS resolves; OHIF wants absolute ``dicomweb:`` urls, written when the address is given.
"""
from __future__ import annotations

import io
import json
import re
import struct
import zipfile
import zlib
from dataclasses import dataclass, field
from typing import Any

from ..dicom.metadata import KEEP_KEYWORDS
from ..errors import VenosError

STUDY_KEYS = ("StudyInstanceUID", "StudyDate", "StudyTime", "StudyDescription", "PatientName", "PatientID",
              "AccessionNumber", "PatientBirthDate", "PatientSex", "StudyID")
SERIES_KEYS = ("SeriesInstanceUID", "SeriesNumber", "SeriesDescription", "Modality", "SeriesDate")
MANIFEST = "manifest.json"
LIBRARY = "library.json"
MAX_LIBRARY_CASES = 5000  # what the library dialog lists
MAX_DEPTH = 4


@dataclass
class CaseFile:
    """One file of the case: where it goes in the zip and its parsed header (pydicom Dataset)."""
    path: str
    data: bytes
    ds: Any


@dataclass
class CaseExport:
    files: list[CaseFile] = field(default_factory=list)
    extra: dict[str, bytes] = field(default_factory=dict)  # path → bytes (the report, …)
    _studies: dict[str, int] = field(default_factory=dict)  # study UID → its number
    _series: dict[tuple[int, str], list[int]] = field(default_factory=dict)  # (study, series UID) → [number, files]

    def studies(self) -> list[str]:
        """The Study Instance UIDs of the files, in the order they came."""
        return list(self._studies)

    def add(self, ds: Any, data: bytes) -> str:
        """Add a file under ``study<n>/series<m>/<k>.dcm`` (short, safe names; the UIDs stay inside the files)."""
        study = self._studies.setdefault(str(ds.get("StudyInstanceUID", "")), len(self._studies) + 1)
        key = (study, str(ds.get("SeriesInstanceUID", "")))
        if key not in self._series:
            self._series[key] = [1 + sum(1 for s, _ in self._series if s == study), 0]
        entry = self._series[key]
        entry[1] += 1
        path = f"study{study}/series{entry[0]}/{entry[1]:04d}.dcm"
        self.files.append(CaseFile(path, data, ds))
        return path


def plain_value(elem: Any, depth: int = 0) -> Any:
    """A data element's value as JSON: numbers as numbers, PN as ``{"Alphabetic": …}`` like OHIF, sequences as lists
    of objects (the kept keywords only)."""
    vr, value = elem.VR, elem.value
    if vr == "SQ":
        return [keywords(item, depth + 1) for item in value] if depth < MAX_DEPTH else None
    if value is None or value == "":
        return None
    many = elem.VM > 1
    items = list(value) if many else [value]
    if vr == "PN":
        out = [{"Alphabetic": str(v)} for v in items]
    elif vr in ("IS", "SL", "SS", "UL", "US", "SV", "UV"):
        out = [int(v) for v in items]
    elif vr in ("DS", "FL", "FD"):
        out = [float(v) for v in items]
    elif vr in ("OB", "OW", "OF", "OD", "OL", "OV", "UN"):
        return None
    else:
        out = [str(v) for v in items]
    return out if many else out[0]


def keywords(ds: Any, depth: int = 0) -> dict:
    out = {}
    for kw in KEEP_KEYWORDS:
        if kw not in ds:
            continue
        v = plain_value(ds[kw], depth)
        if v is not None:
            out[kw] = v
    return out


def manifest(case: CaseExport, *, base_url: str = "") -> dict:
    """The OHIF DICOM JSON manifest of the case (urls relative to the manifest, or absolute under ``base_url``)."""
    base = base_url.strip()
    if base and not re.match(r"^https?://[^/\s]+", base, re.I):
        raise VenosError(f"the public address must start with http:// or https:// (given {base!r})")
    if base and not base.endswith("/"):
        base += "/"
    studies: dict[str, dict] = {}
    for f in case.files:
        meta = keywords(f.ds)
        ts = getattr(getattr(f.ds, "file_meta", None), "TransferSyntaxUID", None)
        if ts:
            meta["TransferSyntaxUID"] = str(ts)
        study = studies.setdefault(str(f.ds.get("StudyInstanceUID", "")),
                                   {**{k: meta[k] for k in STUDY_KEYS if k in meta}, "series": {}})
        series = study["series"].setdefault(str(f.ds.get("SeriesInstanceUID", "")),
                                            {**{k: meta[k] for k in SERIES_KEYS if k in meta}, "instances": []})
        url = f"dicomweb:{base}{f.path}" if base else f.path
        series["instances"].append({"metadata": meta, "url": url})
    return {"studies": [{**{k: v for k, v in st.items() if k != "series"}, "series": list(st["series"].values())}
                        for st in studies.values()]}


README = """This folder is a DICOM case library, ready for any static web host or bucket.

  {library}        the library: its cases, with a title, a description and a thumbnail each
  {folder}/{manifest}  this case: studies, series and every file's address (OHIF DICOM JSON)
  {folder}/study*/series*/  its DICOM files{deid}

Serve the folder over https with this response header on every file, so a viewer on another site may read it:

  Access-Control-Allow-Origin: *

then open the library, or the case alone, in VeNOS (or any viewer that reads OHIF DICOM JSON):

  <VeNOS address>/index.html?library=<address of this folder>/{library}
  <VeNOS address>/index.html?manifest=<address of this folder>/{folder}/{manifest}

To add a case to a library already online, export it with that library's {library} chosen in the Share dialog
and unpack the new zip into the same folder: its {library} lists the old cases and the new one.
{absolute}
Made by VeNOS {version} on {when}.
"""


def slug(title: str, taken: set[str]) -> str:
    """A folder name from a title (letters, digits and dashes), not one of ``taken``."""
    base = re.sub(r"[^a-z0-9]+", "-", title.lower()).strip("-")[:40].strip("-") or "case"
    name, n = base, 1
    while name in taken:
        n += 1
        name = f"{base}-{n}"
    return name


def read_library(doc: Any) -> dict:
    """An existing library index (JSON text, or already parsed) → ``{"title", "cases"}``, checked like the library
    dialog reads it: a list of cases, or an object with one."""
    if isinstance(doc, (bytes, str)):
        try:
            doc = json.loads(doc)
        except ValueError as exc:
            raise VenosError(f"the library index is not JSON: {exc}") from None
    cases = doc if isinstance(doc, list) else doc.get("cases") if isinstance(doc, dict) else None
    if not isinstance(cases, list):
        raise VenosError("the library index has no 'cases' list")
    if len(cases) >= MAX_LIBRARY_CASES:
        raise VenosError(f"the library index lists {len(cases)} cases; the library dialog shows at most "
                         f"{MAX_LIBRARY_CASES}: start another library")
    title = doc.get("title") if isinstance(doc, dict) and isinstance(doc.get("title"), str) else "Teaching cases"
    return {"title": title, "cases": [c for c in cases if isinstance(c, dict)]}


def png(rgba: Any) -> bytes:
    """An RGBA image (rows × columns × 4, uint8) as PNG (PNG spec: 8-bit RGBA, filter 0, one zlib stream)."""
    h, w = rgba.shape[:2]
    raw = b"".join(b"\x00" + rgba[y].tobytes() for y in range(h))

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF)

    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", w, h, 8, 6, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw, 6)) + chunk(b"IEND", b""))


def zip_case(case: CaseExport, *, title: str = "Case", description: str = "", library: Any = None,
             thumbnail: bytes | None = None, base_url: str = "", version: str = "", when: str = "",
             deidentified: bool = False) -> tuple[bytes, str]:
    """The case as a zip (→ the zip, the case's folder): ``library.json`` (``library`` extended with the case, or
    a new one), README.txt, and in the case's folder its manifest, the extra files, the thumbnail and the DICOM
    files (stored, not deflated: DICOM pixels barely compress, and the zip is made on the user's device)."""
    lib = read_library(library) if library is not None else {"title": "Teaching cases", "cases": []}
    taken = {str(c.get("manifest", "")).split("/", 1)[0] for c in lib["cases"]}
    folder = slug(title, taken)
    doc = manifest(case, base_url=f"{base_url.rstrip('/')}/{folder}/" if base_url.strip() else "")
    modalities = sorted({str(f.ds.get("Modality", "")) for f in case.files} - {"", "SR"})
    entry = {"title": title.strip() or "Case", "description": description.strip(), "modality": "/".join(modalities),
             "manifest": f"{folder}/{MANIFEST}", **({"thumbnail": f"{folder}/thumbnail.png"} if thumbnail else {})}
    lib = {"title": lib["title"], "cases": lib["cases"] + [entry]}
    absolute = (f"The manifest's addresses are absolute, under {base_url}: serve the folder there (OHIF needs that).\n"
                if base_url else "The manifest's addresses are relative to it: VeNOS resolves them; OHIF wants them "
                "absolute (give the public address when exporting).\n")
    readme = README.format(manifest=MANIFEST, library=LIBRARY, folder=folder, version=version, when=when,
                           absolute=absolute,
                           deid=" (de-identified: see deidentification-report.json)" if deidentified else "")
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_STORED) as z:
        z.writestr(LIBRARY, json.dumps(lib, indent=1, ensure_ascii=False))
        z.writestr("README.txt", readme)
        z.writestr(f"{folder}/{MANIFEST}", json.dumps(doc, indent=1, ensure_ascii=False))
        if thumbnail:
            z.writestr(f"{folder}/thumbnail.png", thumbnail)
        for path, data in case.extra.items():
            z.writestr(f"{folder}/{path}", data)
        for f in case.files:
            z.writestr(f"{folder}/{f.path}", f.data)
    return out.getvalue(), folder
