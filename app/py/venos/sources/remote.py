"""Remote cases in a session: register what metadata says (placeholders), hand the loader its plan.

The plan is what the JavaScript loader fetches, one entry per instance: the address, how to ask for it, and where
it will sit (series id, index of its first slice), so the loader can fetch the slice the user looks at first.
"""
from __future__ import annotations

from typing import Any

from ..dicom.attrs import image_info
from ..errors import SourceError, VenosError
from ..model.series import SeriesIndex
from . import dicomdir, dicomweb, manifest, multipart
from .case import Case

KINDS = ("manifest", "urls", "dicomweb", "dicomdir")


def build_case(kind: str, payload: Any, *, base: str, options: dict | None = None) -> Case:
    """Parse what the loader fetched (or was given) into a :class:`Case`."""
    options = options or {}
    if kind == "manifest":
        return manifest.parse_manifest(_text(payload), base=base)
    if kind == "urls":
        return manifest.url_list(list(payload or []), base=base)
    if kind == "dicomweb":
        return dicomweb.metadata_case(_text(payload), root=base, wado_uri_root=str(options.get("wadoUri") or ""),
                                      source=str(options.get("source") or base))
    if kind == "dicomdir":
        return dicomdir.dicomdir_case(_bytes(payload), url=base)
    raise SourceError(f"unknown case kind {kind!r}; one of {', '.join(KINDS)}")


def register(index: SeriesIndex, case: Case) -> dict:
    """Add a placeholder for every instance whose metadata describes an image; return the loader's plan."""
    keys: dict[str, int] = {}
    for planned in case.instances:
        if planned.metadata is None:
            continue
        try:
            info = image_info(planned.metadata, source=planned.url, header_only=True)
        except VenosError:
            continue  # not enough metadata to place it: it is simply fetched and placed when it arrives
        _, inst = index.add_pending(info)
        keys[planned.url] = inst.key
    where: dict[int, tuple[str, int]] = {}
    order: list[str] = []
    for s in index:
        order.append(s.id)
        for i, sl in enumerate(s.ordered()):
            where.setdefault(sl.instance.key, (s.id, i))
    plan = []
    for n, planned in enumerate(case.instances):
        series_id, slice_index = where.get(keys.get(planned.url, -1), ("", n))
        plan.append({"url": planned.url, "accept": planned.accept, "multipart": planned.multipart,
                     "series": series_id, "slice": slice_index, "order": n})
    return {"kind": case.kind, "plan": plan, "warnings": list(case.warnings), "placeholders": len(keys),
            "series": [s.summary() for s in index]}


def parts(name: str, data: Any, content_type: str) -> list[tuple[str, bytes]]:
    """The DICOM files in a WADO-RS multipart answer, named ``name`` (one part) or ``name#n``."""
    found = multipart.split(_bytes(data), content_type, source=name)
    if not found:
        raise SourceError("the multipart answer holds no part", source=name)
    if len(found) == 1:
        return [(name, found[0].body)]
    return [(f"{name}#{i + 1}", p.body) for i, p in enumerate(found)]


def _text(payload: Any) -> str:
    if isinstance(payload, str):
        return payload
    return _bytes(payload).decode("utf-8", errors="replace")


def _bytes(payload: Any) -> bytes:
    if hasattr(payload, "to_bytes"):
        return payload.to_bytes()
    return bytes(payload)



_warm = False


def warm_up() -> None:
    """Run the parse → attributes → decode path once on a tiny in-memory image, so the first real slice of a
    remote case does not pay for pydicom's lazy imports. Called while the first bytes are still on the network."""
    global _warm
    if _warm:
        return
    _warm = True
    import io

    import numpy as np
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.uid import ExplicitVRLittleEndian, SecondaryCaptureImageStorage, generate_uid

    from ..dicom.parse import read_dataset
    from ..pixels.store import PixelStore

    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.file_meta.MediaStorageSOPClassUID = SecondaryCaptureImageStorage
    ds.file_meta.MediaStorageSOPInstanceUID = uid = generate_uid()
    ds.SOPClassUID, ds.SOPInstanceUID = SecondaryCaptureImageStorage, uid
    ds.Rows = ds.Columns = 4
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 16, 15, 1
    ds.PixelData = np.arange(16, dtype="<i2").tobytes()
    buf = io.BytesIO()
    ds.save_as(buf, enforce_file_format=True)
    parsed = read_dataset(buf.getvalue(), source="warm-up")
    info = image_info(parsed.dataset, source="warm-up", pixels=parsed.pixels)
    PixelStore().get(0, info, parsed, 0).range()
