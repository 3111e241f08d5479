"""A DICOMDIR (PS3.10 Media Storage Directory, PS3.3 F.3) by URL → the files it references, as a case plan.

Each record with a Referenced File ID names a file by path components relative to the DICOMDIR's folder
(``IMAGES\\IM0001`` → ``IMAGES/IM0001``). Components are checked (no ``..``, no empty or absolute parts) so a
directory cannot point the loader outside its own folder.
"""
from __future__ import annotations

import re
from urllib.parse import quote, urljoin

from ..dicom.parse import read_dataset
from ..errors import SourceError
from .case import Case, Planned, as_bytes, resolve_url

COMPONENT = re.compile(r"^[A-Za-z0-9_.\- ]{1,64}$")


def referenced_files(data: bytes, *, source: str) -> list[tuple[str, str]]:
    """(record type, relative path) for every record that references a file, in directory order."""
    ds = read_dataset(data, source=source).dataset
    records = ds.get("DirectoryRecordSequence")
    if records is None:
        raise SourceError("not a DICOMDIR: no Directory Record Sequence (0004,1220)", source=source)
    out = []
    for rec in records:
        ref = rec.get("ReferencedFileID")
        if ref is None:
            continue
        comps = [str(ref)] if isinstance(ref, str) else [str(c) for c in ref]
        if len(comps) == 1 and "\\" in comps[0]:
            comps = comps[0].split("\\")
        if not comps or any(c in (".", "..") or not COMPONENT.match(c) for c in comps):
            raise SourceError(f"DICOMDIR record references {'/'.join(comps)!r}: only plain names inside the "
                              f"DICOMDIR's folder are followed", source=source)
        out.append((str(rec.get("DirectoryRecordType", "")).strip(), "/".join(comps)))
    return out


def request(spec: dict) -> dict:
    url = resolve_url(spec.get("dicomdir"), str(spec.get("base") or ""))
    return {"url": url, "accept": "", "base": url}


def parse(payload, *, base: str, options: dict | None = None) -> Case:
    return dicomdir_case(as_bytes(payload), url=base)


def dicomdir_case(data: bytes, *, url: str) -> Case:
    base = resolve_url(url, "")
    case = Case("dicomdir")
    for _rtype, rel in referenced_files(data, source=base):
        case.add(Planned(urljoin(base, quote(rel))))
    if not case.instances:
        raise SourceError("the DICOMDIR references no file", source=base)
    return case
