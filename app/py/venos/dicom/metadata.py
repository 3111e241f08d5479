"""Metadata without pixels → a header-only pydicom Dataset, so a case can be shown before its bytes arrive.

Two shapes arrive from remote sources:

* the DICOM JSON model of PS3.18 F.2 (DICOMweb metadata, QIDO-RS results): objects keyed by tag ("00280010"),
  each ``{"vr": …, "Value": [...]}``;
* OHIF's case manifest, whose instance ``metadata`` is keyed by keyword ("Rows": 512, "PatientName": "A^B").

Only the attributes VeNOS reads are kept (:data:`KEEP`): a study's full metadata can hold hundreds of private
elements per instance, and converting them all would delay the first image for nothing.
"""
from __future__ import annotations

from typing import Any

from pydicom.datadict import dictionary_VR, keyword_for_tag, tag_for_keyword
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence

# What image_info(), the series model and the overlay read, plus what a search result shows.
KEEP_KEYWORDS = (
    "SOPClassUID", "SOPInstanceUID", "StudyInstanceUID", "SeriesInstanceUID", "Modality", "PatientName",
    "PatientID", "PatientBirthDate", "PatientSex", "StudyDate", "StudyTime", "StudyDescription", "AccessionNumber",
    "StudyID", "SeriesDate", "SeriesDescription", "SeriesNumber", "InstanceNumber", "Rows", "Columns",
    "NumberOfFrames", "SamplesPerPixel", "PhotometricInterpretation", "PlanarConfiguration", "BitsAllocated",
    "BitsStored", "HighBit", "PixelRepresentation", "RescaleSlope", "RescaleIntercept", "RescaleType",
    "WindowCenter", "WindowWidth", "WindowCenterWidthExplanation", "VOILUTFunction", "PresentationLUTShape",
    "PixelSpacing", "ImagerPixelSpacing", "NominalScannedPixelSpacing", "SliceThickness", "ImagePositionPatient",
    "ImageOrientationPatient", "PerFrameFunctionalGroupsSequence", "SharedFunctionalGroupsSequence",
    "ModalitiesInStudy", "NumberOfStudyRelatedSeries", "NumberOfStudyRelatedInstances",
    "NumberOfSeriesRelatedInstances", "RetrieveURL", "TransferSyntaxUID", "AvailableTransferSyntaxUID",
)
KEEP = frozenset(f"{tag_for_keyword(k):08X}" for k in KEEP_KEYWORDS)
_KEEP_KW = frozenset(KEEP_KEYWORDS)
MAX_DEPTH = 8  # sequences nested deeper than this are dropped (hostile metadata)


def _no_bulk(*_args) -> bytes:
    return b""


def from_dicom_json(obj: dict, *, keep_all: bool = False) -> Dataset:
    """A PS3.18 F.2 JSON object → Dataset with the attributes VeNOS reads. Bulk data (Pixel Data) is not fetched.

    Elements pydicom cannot convert are dropped one by one, never the whole object."""
    if not isinstance(obj, dict):
        raise ValueError("a DICOM JSON object must be a mapping of tags")
    wanted = {}
    for tag, elem in obj.items():
        if not isinstance(tag, str) or not isinstance(elem, dict):
            continue
        tag = tag.upper()
        if (keep_all or tag in KEEP) and "BulkDataURI" not in elem and "InlineBinary" not in elem:
            wanted[tag] = elem
    try:
        return Dataset.from_json(wanted, bulk_data_uri_handler=_no_bulk)
    except Exception:  # a malformed element somewhere: convert one by one, keep what converts
        ds = Dataset()
        for tag, elem in wanted.items():
            try:
                one = Dataset.from_json({tag: elem}, bulk_data_uri_handler=_no_bulk)
            except Exception:
                continue
            for e in one:
                ds.add(e)
        return ds


def from_keywords(meta: dict, *, depth: int = 0) -> Dataset:
    """OHIF manifest metadata ({keyword: value}) → Dataset. Unknown keywords and unconvertible values are dropped."""
    ds = Dataset()
    if not isinstance(meta, dict) or depth > MAX_DEPTH:
        return ds
    for kw, value in meta.items():
        if depth == 0 and kw not in _KEEP_KW:
            continue
        tag = tag_for_keyword(kw) if isinstance(kw, str) else None
        if tag is None or value is None:
            continue
        try:
            vr = dictionary_VR(tag)
        except KeyError:
            continue
        try:
            if vr == "SQ":
                items = value if isinstance(value, list) else [value]
                setattr(ds, kw, Sequence([from_keywords(i, depth=depth + 1) for i in items if isinstance(i, dict)]))
            elif vr == "PN":
                setattr(ds, kw, _person_name(value))
            else:
                setattr(ds, kw, value)
        except Exception:  # a value of the wrong type for its VR: drop that element only
            if kw in ds:
                del ds[kw]
    return ds


def _person_name(value: Any) -> Any:
    """PN in manifests comes as "A^B", {"Alphabetic": "A^B"} or a list of either."""
    if isinstance(value, list):
        return [_person_name(v) for v in value]
    if isinstance(value, dict):
        return str(value.get("Alphabetic", ""))
    return str(value)


def plain(obj: dict) -> dict:
    """A DICOM JSON object (a QIDO-RS result row) as {keyword: value}: one value unwrapped, PN as text."""
    out: dict = {}
    if not isinstance(obj, dict):
        return out
    for tag, elem in obj.items():
        if not isinstance(elem, dict) or not isinstance(tag, str):
            continue
        try:
            kw = keyword_for_tag(int(tag, 16)) or tag.upper()
        except ValueError:
            continue
        values = elem.get("Value")
        if not isinstance(values, list) or not values:
            continue
        if elem.get("vr") == "PN":
            values = [v.get("Alphabetic", "") if isinstance(v, dict) else str(v) for v in values]
        elif elem.get("vr") == "SQ":
            continue
        values = [v if isinstance(v, (int, float, str)) else str(v) for v in values]
        out[kw] = values[0] if len(values) == 1 else values
    return out
