"""What VeNOS needs to show a DICOM object, read from its dataset: :func:`image_info` and the module readers behind
it (windows, LUTs, per-frame functional groups, spacing, ultrasound regions, padding, lossy compression), each
citing its PS3.3 section. DICOM keywords live here, in ``values`` and in ``parse``; the results are the typed values
of ``info``.
"""
from __future__ import annotations

from pydicom.dataset import Dataset
from pydicom.uid import UID

from ..errors import InvalidDataset, NotAnImage
from .info import FrameInfo, ImageInfo, Lut, UsRegion, Window  # noqa: F401 (re-exported: the layers above)
from .parse import PixelLocation
from .values import floats as _floats, get as _get, integer as _int, text as _str

PIXEL_KEYWORDS = ("PixelData", "FloatPixelData", "DoubleFloatPixelData")
# Transfer syntaxes pydicom 3.0.2 does not know yet, and whether their pixels are encapsulated.
UNKNOWN_TO_PYDICOM = {"1.2.840.10008.1.2.8.1": True}  # Deflated Image Frame Compression (PS3.5 A.4.11, 2024)


def sop_class_name(uid: str) -> str:
    return UID(uid).name if uid else "unknown SOP class"


# Transfer syntaxes whose pixels are lossy whatever the file says (PS3.5 Table A-1; JPEG 2000 and HTJ2K may be either,
# so for them only Lossy Image Compression (0028,2110) tells).
LOSSY_SYNTAXES = {
    "1.2.840.10008.1.2.4.50": "JPEG baseline", "1.2.840.10008.1.2.4.51": "JPEG extended",
    "1.2.840.10008.1.2.4.53": "JPEG process 6/8", "1.2.840.10008.1.2.4.55": "JPEG process 10/12",
    "1.2.840.10008.1.2.4.81": "JPEG-LS near-lossless",
    **{f"1.2.840.10008.1.2.4.{n}": "MPEG/HEVC video" for n in range(100, 109)},
}


def lossy_note(ds: Dataset, ts: str) -> str:
    """PS3.3 C.7.6.1.1.5: "" when nothing says the pixels went through lossy compression, else a short warning
    with the ratio and method when the file gives them ("Lossy compression 8.9:1 (ISO_10918_1)")."""
    flag = _str(ds, "LossyImageCompression")
    if flag != "01" and ts not in LOSSY_SYNTAXES:
        return ""
    ratios = _floats(_get(ds, "LossyImageCompressionRatio")) or ()
    method = _str(ds, "LossyImageCompressionMethod") or LOSSY_SYNTAXES.get(ts, "")
    text = "Lossy compression"
    if ratios:
        text += " " + " then ".join(f"{r:.3g}:1" for r in ratios)
    return text + (f" ({method})" if method else "")


def pixel_aspect(ds: Dataset, spacing: tuple[float, float] | None) -> float:
    """Height / width of one pixel: from the (row, column) spacing, else Pixel Aspect Ratio (0028,0034), given
    as vertical\\horizontal; 1 when neither is usable (or the ratio is beyond 1:10, which is not an image)."""
    ratio = 1.0
    if spacing is not None and spacing[0] > 0 and spacing[1] > 0:
        ratio = spacing[0] / spacing[1]
    else:
        par = _floats(_get(ds, "PixelAspectRatio"))
        if par and len(par) == 2 and par[0] > 0 and par[1] > 0:
            ratio = par[0] / par[1]
    return ratio if 0.1 <= ratio <= 10.0 else 1.0


def us_regions(ds: Dataset) -> tuple[UsRegion, ...]:
    """The Sequence of Ultrasound Regions as :class:`UsRegion` s; items missing a needed value are left out."""
    try:
        seq = _get(ds, "SequenceOfUltrasoundRegions")
    except Exception:  # a malformed sequence: no calibration rather than a failed file
        return ()
    out = []
    for item in seq or ():
        vals = [_int(item, kw) for kw in ("RegionLocationMinX0", "RegionLocationMinY0", "RegionLocationMaxX1",
                                          "RegionLocationMaxY1", "RegionSpatialFormat", "PhysicalUnitsXDirection",
                                          "PhysicalUnitsYDirection")]
        dx, dy = _floats(_get(item, "PhysicalDeltaX")), _floats(_get(item, "PhysicalDeltaY"))
        if any(v is None for v in vals) or not dx or not dy:
            continue
        out.append(UsRegion(*vals, delta_x=dx[0], delta_y=dy[0]))
    return tuple(out)


def pixel_padding(ds: Dataset, bits_allocated: int, pixel_representation: int) -> tuple[int, int] | None:
    """PS3.3 C.7.5.1.1.2: the stored values that are padding — Pixel Padding Value, or the range from it to Pixel
    Padding Range Limit. Both are stored values; a signed image's value written as US (63536 for -2000) is read
    back as the signed number it stands for."""
    def stored(kw: str) -> int | None:
        v = _get(ds, kw)
        if isinstance(v, (list, tuple)):
            v = v[0] if v else None
        try:
            v = int(v)
        except (TypeError, ValueError):
            return None
        if pixel_representation == 1 and 0 < bits_allocated <= 32 and v >= 1 << (bits_allocated - 1):
            v -= 1 << bits_allocated
        return v

    value = stored("PixelPaddingValue")
    if value is None:
        return None
    limit = stored("PixelPaddingRangeLimit")
    return (value, value) if limit is None else (min(value, limit), max(value, limit))


def _windows(item: Dataset) -> tuple[Window, ...]:
    centers, widths = _floats(_get(item, "WindowCenter")), _floats(_get(item, "WindowWidth"))
    if not centers or not widths:
        return ()
    expl = _get(item, "WindowCenterWidthExplanation")
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
    seq = _get(seq_item, seq_kw)
    return seq[0] if seq else None


def _luts(ds: Dataset, kw: str) -> tuple[Lut, ...]:
    """The LUTs of a Modality/VOI LUT Sequence, tabulated over their input domain with pydicom's own
    ``apply_modality_lut`` / ``apply_voi`` (which handle LUT Data as US or OW and 8-bit entries). Items that
    cannot be read are left out (the image still shows, with its windows or the data range)."""
    import warnings

    import numpy as np
    from pydicom.pixels.processing import apply_modality_lut, apply_voi

    out = []
    for i, item in enumerate(ds.get(kw) or ()):
        try:
            n, first, bits = (int(v) for v in item.LUTDescriptor)
            n = n or 65536
            if first > 32767 and (int(ds.get("PixelRepresentation", 0) or 0) or kw == "VOILUTSequence"):
                first -= 65536  # US/SS descriptor: a signed first input value (PS3.3 C.11.1.1.1)
            domain = np.arange(first, first + n, dtype=np.int64)
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                table = apply_modality_lut(domain, ds) if kw == "ModalityLUTSequence" else apply_voi(domain, ds, i)
            table = np.asarray(table).astype("<u2")
        except Exception:
            continue
        expl = item.get("LUTExplanation")
        out.append(Lut(first, bits if bits > 0 else 16, table.tobytes(), str(expl).strip() if expl else ""))
    return tuple(out)


def _frame_infos(ds: Dataset, frames: int) -> tuple[FrameInfo, ...]:
    slope = _floats(_get(ds, "RescaleSlope"))
    intercept = _floats(_get(ds, "RescaleIntercept"))
    modality_luts = _luts(ds, "ModalityLUTSequence") if "ModalityLUTSequence" in ds else ()
    base = FrameInfo(
        position=_vec(_get(ds, "ImagePositionPatient"), 3),
        orientation=_vec(_get(ds, "ImageOrientationPatient"), 6),
        slope=slope[0] if slope else 1.0,
        intercept=intercept[0] if intercept else 0.0,
        windows=_windows(ds),
        modality_lut=modality_luts[0] if modality_luts else None,
        voi_luts=_luts(ds, "VOILUTSequence") if "VOILUTSequence" in ds else (),
    )
    per_frame = _get(ds, "PerFrameFunctionalGroupsSequence")
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
    slope = _floats(_get(pvt, "RescaleSlope")) if pvt is not None else None
    intercept = _floats(_get(pvt, "RescaleIntercept")) if pvt is not None else None
    return FrameInfo(
        position=_vec(_get(pos, "ImagePositionPatient"), 3) if pos is not None else base.position,
        orientation=_vec(_get(ori, "ImageOrientationPatient"), 6) if ori is not None else base.orientation,
        slope=slope[0] if slope else base.slope,
        intercept=intercept[0] if intercept else base.intercept,
        windows=_windows(voi) if voi is not None else base.windows,
        modality_lut=base.modality_lut,
        voi_luts=base.voi_luts,
    )


def _vec(v, n: int) -> tuple[float, ...] | None:
    vals = _floats(v)
    return vals if vals is not None and len(vals) == n else None


def _spacing(ds: Dataset) -> tuple[tuple[float, float] | None, str]:
    """Pixel spacing (row, column) in mm and the attribute it came from (PS3.3 10.7.1.3)."""
    shared = _first(ds, "SharedFunctionalGroupsSequence")
    measures = _first(shared, "PixelMeasuresSequence") if shared is not None else None
    if measures is None:
        per_frame = _get(ds, "PerFrameFunctionalGroupsSequence")
        measures = _first(per_frame[0], "PixelMeasuresSequence") if per_frame else None
    candidates = [(measures, "PixelSpacing", "PixelMeasuresSequence > PixelSpacing")] if measures is not None else []
    candidates += [(ds, "PixelSpacing", "PixelSpacing"), (ds, "ImagerPixelSpacing", "ImagerPixelSpacing"),
                   (ds, "NominalScannedPixelSpacing", "NominalScannedPixelSpacing")]
    for holder, kw, name in candidates:
        vals = _floats(_get(holder, kw))
        if vals and len(vals) == 2 and vals[0] > 0 and vals[1] > 0:
            return (vals[0], vals[1]), name
    return None, ""


def _frame_time(ds: Dataset) -> float | None:
    """Milliseconds per frame for cine playback (PS3.3 C.7.6.5): FrameTime, else a rate in frames per second."""
    ft = _floats(_get(ds, "FrameTime"))
    if ft and ft[0] > 0:
        return ft[0]
    for kw in ("CineRate", "RecommendedDisplayFrameRate"):
        rate = _floats(_get(ds, kw))
        if rate and rate[0] > 0:
            return 1000.0 / rate[0]
    return None


def image_info(ds: Dataset, *, source: str, pixels: PixelLocation | None = None,
               header_only: bool = False) -> ImageInfo:
    """Read what VeNOS needs to show ``ds``; raise :class:`NotAnImage` or :class:`InvalidDataset` if it cannot.

    ``pixels`` locates a pixel data element that was not read into ``ds`` (see ``parse.read_dataset``).
    ``header_only``: ``ds`` is metadata without pixels (a manifest, DICOMweb metadata): the pixel element is
    assumed to be Pixel Data and its length is not checked."""
    pixel_keyword = pixels.keyword if pixels is not None else next(
        (kw for kw in PIXEL_KEYWORDS if kw in ds), "PixelData" if header_only else "")
    sop_class = _str(ds, "SOPClassUID")
    if not pixel_keyword:
        name = sop_class_name(sop_class)
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
        planar_configuration=_int(ds, "PlanarConfiguration", 0) or 0,
        pixel_keyword=pixel_keyword,
        rescale_type=_str(ds, "RescaleType"),
        voi_lut_function=_str(ds, "VOILUTFunction").upper() or "LINEAR",
        presentation_lut_shape=_str(ds, "PresentationLUTShape").upper(),
        pixel_spacing=spacing, spacing_source=spacing_source,
        slice_thickness=(_floats(_get(ds, "SliceThickness")) or (None,))[0],
        frame_time_ms=_frame_time(ds),
        frame_info=_frame_infos(ds, frames),
        patient_orientation=tuple(_str(ds, "PatientOrientation").upper().split("\\"))
        if _str(ds, "PatientOrientation") else (),
        lossy=lossy_note(ds, ts),
        padding=pixel_padding(ds, bits_allocated, _int(ds, "PixelRepresentation", 0) or 0)
        if spp == 1 and photometric != "PALETTE COLOR" else None,
        us_regions=us_regions(ds),
        aspect=pixel_aspect(ds, spacing),
        frame_of_reference=_str(ds, "FrameOfReferenceUID"),
    )
    if not header_only:
        check_pixel_length(ds, info, pixels)
    return info


def is_encapsulated(transfer_syntax: str) -> bool:
    """Whether pixels in this transfer syntax are encapsulated (fragments), as pydicom's UID knows it; for a syntax
    it does not know, the table above (else not encapsulated: the file's own Pixel Data element says the rest)."""
    uid = UID(transfer_syntax)
    if uid.is_transfer_syntax:
        return uid.is_encapsulated
    return UNKNOWN_TO_PYDICOM.get(transfer_syntax, False)


def expected_native_bytes(info: ImageInfo) -> int:
    samples = info.samples_per_pixel
    if info.photometric == "YBR_FULL_422" and samples == 3:
        samples = 2  # native YBR_FULL_422 stores Y Y Cb Cr per pair of pixels (PS3.3 C.7.6.3.1.2)
    bits = info.rows * info.columns * info.frames * samples * info.bits_allocated
    return (bits + 7) // 8


def check_pixel_length(ds: Dataset, info: ImageInfo, pixels: PixelLocation | None) -> None:
    """Reject native pixel data shorter than its attributes claim, before anything is allocated."""
    if is_encapsulated(info.transfer_syntax) or (pixels is not None and pixels.encapsulated):
        return
    if pixels is not None:
        have = 0 if pixels.encapsulated else min(pixels.length, pixels.available)
    else:
        value = _get(ds, info.pixel_keyword)
        have = len(value) if value is not None else 0
    need = expected_native_bytes(info)
    if have < need:
        raise InvalidDataset(
            f"{info.pixel_keyword} holds {have} bytes but Rows × Columns × frames × samples × bits "
            f"({info.rows}×{info.columns}×{info.frames}×{info.samples_per_pixel}×{info.bits_allocated} bits) "
            f"needs {need}: the file is truncated or its image attributes are wrong", source=info.source)
