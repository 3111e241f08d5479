"""Typed, validated access to the DICOM attributes VeNOS uses. DICOM keywords live here and in ``parse``.

Everything above this layer sees :class:`ImageInfo` / :class:`FrameInfo` with snake_case names and plain Python
values, never pydicom element values.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, field

from pydicom.dataset import Dataset

from ..errors import InvalidDataset, NotAnImage

PIXEL_KEYWORDS = ("PixelData", "FloatPixelData", "DoubleFloatPixelData")
ENCAPSULATED_PREFIXES = ("1.2.840.10008.1.2.4.", "1.2.840.10008.1.2.5", "1.2.840.10008.1.2.8.1")

_SOP_NAMES = {
    "1.2.840.10008.5.1.4.1.1.88.11": "Basic Text SR", "1.2.840.10008.5.1.4.1.1.88.22": "Enhanced SR",
    "1.2.840.10008.5.1.4.1.1.88.33": "Comprehensive SR", "1.2.840.10008.5.1.4.1.1.88.59": "Key Object Selection",
    "1.2.840.10008.5.1.4.1.1.481.5": "RT Plan", "1.2.840.10008.5.1.4.1.1.481.3": "RT Structure Set",
    "1.2.840.10008.5.1.4.1.1.11.1": "Grayscale Softcopy Presentation State",
    "1.2.840.10008.5.1.4.1.1.9.1.1": "12-lead ECG Waveform", "1.2.840.10008.5.1.4.1.1.9.1.2": "General ECG Waveform",
    "1.2.840.10008.5.1.4.1.1.104.1": "Encapsulated PDF", "1.2.840.10008.1.3.10": "Media Storage Directory (DICOMDIR)",
}


@dataclass(frozen=True)
class Window:
    center: float
    width: float
    explanation: str = ""


@dataclass(frozen=True)
class FrameInfo:
    """What can differ between frames of one object (Enhanced multi-frame per-frame functional groups)."""

    position: tuple[float, float, float] | None
    orientation: tuple[float, ...] | None
    slope: float
    intercept: float
    windows: tuple[Window, ...]


@dataclass(frozen=True)
class ImageInfo:
    source: str
    sop_class_uid: str
    sop_instance_uid: str
    study_uid: str
    series_uid: str
    transfer_syntax: str
    modality: str
    patient_name: str
    patient_id: str
    study_date: str
    study_description: str
    series_description: str
    series_number: int | None
    instance_number: int | None
    rows: int
    columns: int
    frames: int
    samples_per_pixel: int
    photometric: str
    bits_allocated: int
    bits_stored: int
    pixel_representation: int
    pixel_keyword: str
    rescale_type: str
    voi_lut_function: str
    presentation_lut_shape: str
    pixel_spacing: tuple[float, float] | None
    spacing_source: str
    slice_thickness: float | None
    frame_info: tuple[FrameInfo, ...] = field(repr=False)

    @property
    def is_color(self) -> bool:
        return self.samples_per_pixel > 1

    def frame(self, index: int) -> FrameInfo:
        return self.frame_info[index if len(self.frame_info) > 1 else 0]


def _str(ds: Dataset, kw: str) -> str:
    v = ds.get(kw)
    if v is None:
        return ""
    if isinstance(v, (list, tuple)) or type(v).__name__ == "MultiValue":
        return "\\".join(str(x) for x in v)
    return str(v).strip()


def _int(ds: Dataset, kw: str, default: int | None = None) -> int | None:
    v = ds.get(kw)
    try:
        return int(v) if v not in (None, "") else default
    except (TypeError, ValueError):
        return default


def _floats(v) -> tuple[float, ...] | None:
    if v is None or v == "":
        return None
    try:
        vals = tuple(float(x) for x in (v if hasattr(v, "__iter__") and not isinstance(v, str) else [v]))
    except (TypeError, ValueError):
        return None
    return vals if all(math.isfinite(x) for x in vals) else None


def _windows(item: Dataset) -> tuple[Window, ...]:
    centers, widths = _floats(item.get("WindowCenter")), _floats(item.get("WindowWidth"))
    if not centers or not widths:
        return ()
    expl = item.get("WindowCenterWidthExplanation")
    if expl is None:
        expl_list: list[str] = []
    elif isinstance(expl, str):
        expl_list = [expl]
    else:
        expl_list = [str(x) for x in expl]
    out = []
    for i, (c, w) in enumerate(zip(centers, widths)):
        if w <= 0:
            continue
        out.append(Window(c, w, expl_list[i].strip() if i < len(expl_list) else ""))
    return tuple(out)


def _first(seq_item: Dataset | None, seq_kw: str) -> Dataset | None:
    if seq_item is None:
        return None
    seq = seq_item.get(seq_kw)
    return seq[0] if seq else None


def _frame_infos(ds: Dataset, frames: int) -> tuple[FrameInfo, ...]:
    slope = _floats(ds.get("RescaleSlope"))
    intercept = _floats(ds.get("RescaleIntercept"))
    base = FrameInfo(
        position=_vec(ds.get("ImagePositionPatient"), 3),
        orientation=_vec(ds.get("ImageOrientationPatient"), 6),
        slope=slope[0] if slope else 1.0,
        intercept=intercept[0] if intercept else 0.0,
        windows=_windows(ds),
    )
    per_frame = ds.get("PerFrameFunctionalGroupsSequence")
    shared = _first(ds, "SharedFunctionalGroupsSequence")
    if not per_frame and shared is None:
        return (base,)
    infos = []
    for i in range(frames):
        item = per_frame[i] if per_frame and i < len(per_frame) else None
        infos.append(_functional_frame(item, shared, base))
    return tuple(infos)


def _group(kw: str, item: Dataset | None, shared: Dataset | None) -> Dataset | None:
    """A functional group macro for one frame: per-frame first, then shared (PS3.3 C.7.6.16)."""
    return _first(item, kw) or _first(shared, kw)


def _functional_frame(item: Dataset | None, shared: Dataset | None, base: FrameInfo) -> FrameInfo:
    pos = _group("PlanePositionSequence", item, shared)
    ori = _group("PlaneOrientationSequence", item, shared)
    pvt = _group("PixelValueTransformationSequence", item, shared)
    voi = _group("FrameVOILUTSequence", item, shared)
    slope = _floats(pvt.get("RescaleSlope")) if pvt is not None else None
    intercept = _floats(pvt.get("RescaleIntercept")) if pvt is not None else None
    return FrameInfo(
        position=_vec(pos.get("ImagePositionPatient"), 3) if pos is not None else base.position,
        orientation=_vec(ori.get("ImageOrientationPatient"), 6) if ori is not None else base.orientation,
        slope=slope[0] if slope else base.slope,
        intercept=intercept[0] if intercept else base.intercept,
        windows=_windows(voi) if voi is not None else base.windows,
    )


def _vec(v, n: int) -> tuple[float, ...] | None:
    vals = _floats(v)
    return vals if vals is not None and len(vals) == n else None


def _spacing(ds: Dataset) -> tuple[tuple[float, float] | None, str]:
    """Pixel spacing (row, column) in mm and the attribute it came from (PS3.3 10.7.1.3)."""
    shared = _first(ds, "SharedFunctionalGroupsSequence")
    measures = _first(shared, "PixelMeasuresSequence") if shared is not None else None
    if measures is None:
        per_frame = ds.get("PerFrameFunctionalGroupsSequence")
        measures = _first(per_frame[0], "PixelMeasuresSequence") if per_frame else None
    candidates = [(measures, "PixelSpacing", "PixelMeasuresSequence > PixelSpacing")] if measures is not None else []
    candidates += [(ds, "PixelSpacing", "PixelSpacing"), (ds, "ImagerPixelSpacing", "ImagerPixelSpacing"),
                   (ds, "NominalScannedPixelSpacing", "NominalScannedPixelSpacing")]
    for holder, kw, name in candidates:
        vals = _floats(holder.get(kw))
        if vals and len(vals) == 2 and vals[0] > 0 and vals[1] > 0:
            return (vals[0], vals[1]), name
    return None, ""


def image_info(ds: Dataset, *, source: str, header_only: bool = False) -> ImageInfo:
    """Read what VeNOS needs to show ``ds``; raise :class:`NotAnImage` or :class:`InvalidDataset` if it cannot.

    ``header_only``: ``ds`` is metadata without pixels (a manifest, DICOMweb metadata): the pixel element is
    assumed to be Pixel Data and its length is not checked."""
    pixel_keyword = next((kw for kw in PIXEL_KEYWORDS if kw in ds), "PixelData" if header_only else "")
    sop_class = _str(ds, "SOPClassUID")
    if not pixel_keyword:
        name = _SOP_NAMES.get(sop_class, sop_class or "unknown SOP class")
        if "PixelData" not in ds and "Rows" in ds:
            raise InvalidDataset("has image attributes but no Pixel Data element (truncated file?)", source=source)
        raise NotAnImage(f"holds no image ({name})", source=source)
    rows, cols = _int(ds, "Rows", 0), _int(ds, "Columns", 0)
    if not rows or not cols:
        raise InvalidDataset(f"Rows ({rows}) or Columns ({cols}) missing or zero", source=source)
    frames = _int(ds, "NumberOfFrames", 1) or 1
    spp = _int(ds, "SamplesPerPixel", 1) or 1
    bits_allocated = _int(ds, "BitsAllocated", 0)
    if pixel_keyword == "FloatPixelData":
        bits_allocated = 32
    elif pixel_keyword == "DoubleFloatPixelData":
        bits_allocated = 64
    if not bits_allocated:
        raise InvalidDataset("(0028,0100) Bits Allocated is missing", source=source)
    bits_stored = _int(ds, "BitsStored", bits_allocated) or bits_allocated
    meta = ds.get("file_meta")
    ts = str(meta.get("TransferSyntaxUID", "")) if meta is not None else ""
    photometric = _str(ds, "PhotometricInterpretation") or ("MONOCHROME2" if spp == 1 else "RGB")
    spacing, spacing_source = _spacing(ds)
    info = ImageInfo(
        source=source,
        sop_class_uid=sop_class,
        sop_instance_uid=_str(ds, "SOPInstanceUID"),
        study_uid=_str(ds, "StudyInstanceUID"),
        series_uid=_str(ds, "SeriesInstanceUID"),
        transfer_syntax=ts,
        modality=_str(ds, "Modality"),
        patient_name=_str(ds, "PatientName"),
        patient_id=_str(ds, "PatientID"),
        study_date=_str(ds, "StudyDate"),
        study_description=_str(ds, "StudyDescription"),
        series_description=_str(ds, "SeriesDescription"),
        series_number=_int(ds, "SeriesNumber"),
        instance_number=_int(ds, "InstanceNumber"),
        rows=rows, columns=cols, frames=frames, samples_per_pixel=spp,
        photometric=photometric,
        bits_allocated=bits_allocated, bits_stored=bits_stored,
        pixel_representation=_int(ds, "PixelRepresentation", 0) or 0,
        pixel_keyword=pixel_keyword,
        rescale_type=_str(ds, "RescaleType"),
        voi_lut_function=_str(ds, "VOILUTFunction").upper() or "LINEAR",
        presentation_lut_shape=_str(ds, "PresentationLUTShape").upper(),
        pixel_spacing=spacing, spacing_source=spacing_source,
        slice_thickness=(_floats(ds.get("SliceThickness")) or (None,))[0],
        frame_info=_frame_infos(ds, frames),
    )
    if not header_only:
        check_pixel_length(ds, info)
    return info


def is_encapsulated(transfer_syntax: str) -> bool:
    return transfer_syntax.startswith(ENCAPSULATED_PREFIXES)


def expected_native_bytes(info: ImageInfo) -> int:
    bits = info.rows * info.columns * info.frames * info.samples_per_pixel * info.bits_allocated
    return (bits + 7) // 8


def check_pixel_length(ds: Dataset, info: ImageInfo) -> None:
    """Reject native pixel data shorter than its attributes claim, before anything is allocated."""
    if is_encapsulated(info.transfer_syntax):
        return
    elem = ds.get(info.pixel_keyword)
    value = getattr(elem, "value", elem)
    have = len(value) if value is not None else 0
    need = expected_native_bytes(info)
    if have < need:
        raise InvalidDataset(
            f"{info.pixel_keyword} holds {have} bytes but Rows × Columns × frames × samples × bits "
            f"({info.rows}×{info.columns}×{info.frames}×{info.samples_per_pixel}×{info.bits_allocated} bits) "
            f"needs {need}: the file is truncated or its image attributes are wrong", source=info.source)
