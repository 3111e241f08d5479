"""Metadata without pixels → a :class:`Header`, so a case can be shown before its bytes arrive.

Two shapes arrive from remote sources:

* the DICOM JSON model of PS3.18 F.2 (DICOMweb metadata, QIDO-RS results): objects keyed by tag ("00280010"),
  each ``{"vr": …, "Value": [...]}``;
* OHIF's case manifest, whose instance ``metadata`` is keyed by keyword ("Rows": 512, "PatientName": "A^B").

Both become a :class:`Header`: a plain mapping keyword → value that :func:`venos.dicom.attrs.image_info` reads like
a Dataset (``get``, ``in``). Building pydicom Datasets instead costs ~100× more per element, which for a 500-slice
manifest in the browser would delay the first image by a second. Only what VeNOS reads is kept (:data:`KEEP`).
"""
from __future__ import annotations

from typing import Any

from pydicom.datadict import keyword_for_tag, tag_for_keyword

KEEP_KEYWORDS = (
    "SOPClassUID", "SOPInstanceUID", "StudyInstanceUID", "SeriesInstanceUID", "Modality", "PatientName",
    "PatientID", "PatientBirthDate", "PatientSex", "StudyDate", "StudyTime", "StudyDescription", "AccessionNumber",
    "StudyID", "SeriesDate", "SeriesDescription", "SeriesNumber", "InstanceNumber", "Rows", "Columns",
    "NumberOfFrames", "SamplesPerPixel", "PhotometricInterpretation", "PlanarConfiguration", "BitsAllocated",
    "BitsStored", "HighBit", "PixelRepresentation", "RescaleSlope", "RescaleIntercept", "RescaleType",
    "WindowCenter", "WindowWidth", "WindowCenterWidthExplanation", "VOILUTFunction", "PresentationLUTShape",
    "PixelSpacing", "ImagerPixelSpacing", "NominalScannedPixelSpacing", "SliceThickness", "ImagePositionPatient",
    "ImageOrientationPatient", "FrameOfReferenceUID", "PerFrameFunctionalGroupsSequence", "SharedFunctionalGroupsSequence",
    "ModalitiesInStudy", "NumberOfStudyRelatedSeries", "NumberOfStudyRelatedInstances",
    "NumberOfSeriesRelatedInstances", "RetrieveURL", "TransferSyntaxUID", "AvailableTransferSyntaxUID",
    # inside functional group sequences
    "PlanePositionSequence", "PlaneOrientationSequence", "PixelValueTransformationSequence",
    "FrameVOILUTSequence", "PixelMeasuresSequence",
)
_KEEP_KW = frozenset(KEEP_KEYWORDS)
KEEP = frozenset(f"{tag_for_keyword(k):08X}" for k in KEEP_KEYWORDS)
MAX_DEPTH = 8  # sequences nested deeper than this are dropped (hostile metadata)


class Header(dict):
    """keyword → plain value (str, int, float, list, or list of Header for a sequence). Read like a Dataset."""

    # What venos.dicom.values asks every dataset for (a parsed one's raw elements): answered here, not by
    # __getattr__'s KeyError → AttributeError, which cost a manifest's plan a third of its time.
    _dict = None

    def __getattr__(self, name: str) -> Any:
        try:
            return self[name]
        except KeyError:
            raise AttributeError(name) from None


def from_dicom_json(obj: Any, *, depth: int = 0) -> Header:
    """A PS3.18 F.2 JSON object → :class:`Header`. Bulk data is not fetched; unknown or odd elements are dropped."""
    out = Header()
    if not isinstance(obj, dict) or depth > MAX_DEPTH:
        return out
    for tag, elem in obj.items():
        if not isinstance(tag, str) or not isinstance(elem, dict) or tag.upper() not in KEEP:
            continue
        values = elem.get("Value")
        if not isinstance(values, list) or not values:
            continue
        try:
            kw = keyword_for_tag(int(tag, 16))
        except ValueError:
            continue
        vr = elem.get("vr")
        if vr == "SQ":
            out[kw] = [from_dicom_json(item, depth=depth + 1) for item in values if isinstance(item, dict)]
            continue
        if vr == "PN":
            values = [v.get("Alphabetic", "") if isinstance(v, dict) else str(v) for v in values]
        values = [v for v in values if isinstance(v, (str, int, float))]
        if values:
            out[kw] = values[0] if len(values) == 1 else values
    return out


def from_keywords(meta: Any, *, depth: int = 0) -> Header:
    """OHIF manifest metadata ({keyword: value}) → :class:`Header`; values of unexpected types are dropped."""
    out = Header()
    if not isinstance(meta, dict) or depth > MAX_DEPTH:
        return out
    for kw, value in meta.items():
        if kw not in _KEEP_KW or value is None:
            continue
        if kw.endswith("Sequence") and isinstance(value, list) and value and all(isinstance(v, dict) for v in value):
            out[kw] = [from_keywords(v, depth=depth + 1) for v in value]
        elif isinstance(value, dict):
            if "Alphabetic" in value:  # PN as an object
                out[kw] = str(value["Alphabetic"])
        elif isinstance(value, list):
            flat = [v.get("Alphabetic", "") if isinstance(v, dict) else v for v in value]
            flat = [v for v in flat if isinstance(v, (str, int, float))]
            if flat:
                out[kw] = flat[0] if len(flat) == 1 else flat
        elif isinstance(value, (str, int, float)) and not isinstance(value, bool):
            out[kw] = value
    return out


def plain(obj: Any) -> dict:
    """A QIDO-RS result row (DICOM JSON) as {keyword: value}, every tag kept, sequences left out."""
    out: dict = {}
    if not isinstance(obj, dict):
        return out
    for tag, elem in obj.items():
        if not isinstance(elem, dict) or not isinstance(tag, str) or elem.get("vr") == "SQ":
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
        values = [v if isinstance(v, (int, float, str)) else str(v) for v in values]
        out[kw] = values[0] if len(values) == 1 else values
    return out
