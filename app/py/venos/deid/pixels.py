"""Burned-in text: which files may carry it, blacking out rectangles, and writing cleaned pixels back uncompressed.

PS3.15 E.3.1 (Clean Pixel Data Option): finding the text is left to the user; VeNOS says where to look and blanks
the rectangles it is given.
"""
from __future__ import annotations

import numpy as np

from ..errors import VenosError

# Secondary Capture family (PS3.4 B.5): screen grabs and scanned documents.
SECONDARY_CAPTURE = frozenset({"1.2.840.10008.5.1.4.1.1.7", "1.2.840.10008.5.1.4.1.1.7.1",
                               "1.2.840.10008.5.1.4.1.1.7.2", "1.2.840.10008.5.1.4.1.1.7.3",
                               "1.2.840.10008.5.1.4.1.1.7.4"})
ENCAPSULATED_DOCUMENTS = frozenset({"1.2.840.10008.5.1.4.1.1.104.1", "1.2.840.10008.5.1.4.1.1.104.2"})
TEXT_MODALITIES = {"US": "ultrasound images usually carry the patient's name and the date in the pixels",
                   "XC": "external-camera photographs may show faces, wristbands or documents",
                   "DOC": "a scanned document"}
SCREEN_WORDS = ("SCREEN", "CAPTURE", "REPORT", "DOSE")


def burned_in_reasons(ds) -> list[str]:
    """Why ``ds`` may carry text burned into its pixels (empty: no sign of it). Signs: Burned In Annotation
    (0028,0301) YES; modality US, XC or DOC; a Secondary Capture or encapsulated-document SOP Class; Image Type
    DERIVED\\SECONDARY or naming a screen save, capture or (dose) report; a series description naming one.
    Burned In Annotation NO does not silence the other signs: vendors set it carelessly."""
    reasons = []
    if str(ds.get("BurnedInAnnotation", "")).upper() == "YES":
        reasons.append("Burned In Annotation is YES")
    modality = str(ds.get("Modality", "")).upper()
    if modality in TEXT_MODALITIES:
        reasons.append(f"modality {modality}: {TEXT_MODALITIES[modality]}")
    sop_class = str(ds.get("SOPClassUID", ""))
    if sop_class in SECONDARY_CAPTURE:
        reasons.append("a Secondary Capture image (often a screen grab)")
    if sop_class in ENCAPSULATED_DOCUMENTS:
        reasons.append("an encapsulated document")
    image_type = [str(v).upper() for v in (ds.get("ImageType") or [])]
    if image_type[:2] == ["DERIVED", "SECONDARY"]:
        reasons.append("Image Type DERIVED\\SECONDARY (reformats and screen saves may carry annotations)")
    words = [w for w in SCREEN_WORDS if any(w in v for v in image_type[2:])]
    if words:
        reasons.append(f"Image Type names {words[0].lower()}")
    description = str(ds.get("SeriesDescription", "")).upper()
    if any(w in description for w in SCREEN_WORDS):
        reasons.append("the series description names a screen save or report")
    return reasons


def _samples(photometric: str) -> int:
    return 3 if photometric.upper().startswith(("RGB", "YBR")) else 1


def black_out(frames: np.ndarray, rectangles, *, photometric: str = "MONOCHROME2") -> np.ndarray:
    """A copy of ``frames`` with every rectangle set to black on every frame.

    ``frames``: (rows, cols), (frames, rows, cols), (rows, cols, samples) or (frames, rows, cols, samples), the
    last two when ``photometric`` has three samples (RGB, YBR_*; PS3.3 C.7.6.3.1.2). ``rectangles``: (x0, y0, x1,
    y1) in pixel coordinates, column x and row y, x0/y0 inclusive and x1/y1 exclusive, clipped to the image.
    Black: the smallest value present for MONOCHROME2 and PALETTE COLOR, the largest for MONOCHROME1 (PS3.3
    C.7.6.3.1.2: its minimum is white), 0 for RGB, Y 0 with Cb Cr at mid-range for YBR. Taking it from the image
    keeps it within the stored range, whatever Bits Stored is.
    """
    arr = np.asarray(frames)
    samples = _samples(photometric)
    spatial = arr.ndim - (1 if samples > 1 else 0)
    if spatial not in (2, 3) or (samples > 1 and arr.shape[-1] != samples):
        raise VenosError(f"frames of shape {arr.shape} do not fit {photometric}: expected (rows, cols), (frames, "
                         f"rows, cols){' with a last axis of 3 samples' if samples > 1 else ''}")
    out = arr.copy()
    if out.size == 0:
        return out
    kind = photometric.upper()
    if kind.startswith("YBR"):
        mid = 1 << (8 * out.dtype.itemsize - 1) if out.dtype.kind == "u" else 0
        fill = np.array([0, mid, mid], dtype=out.dtype)
    elif kind == "RGB":
        fill = np.zeros(3, dtype=out.dtype)
    else:
        fill = out.max() if kind == "MONOCHROME1" else out.min()
    rows_axis = -3 if samples > 1 else -2
    rows, cols = out.shape[rows_axis], out.shape[rows_axis + 1]
    for rect in rectangles:
        try:
            x0, y0, x1, y1 = (int(v) for v in rect)
        except (TypeError, ValueError):
            raise VenosError(f"a rectangle is four whole numbers (x0, y0, x1, y1), not {rect!r}") from None
        x0, x1 = max(0, x0), min(cols, x1)
        y0, y1 = max(0, y0), min(rows, y1)
        if x0 >= x1 or y0 >= y1:
            continue
        if samples > 1:
            out[..., y0:y1, x0:x1, :] = fill
        else:
            out[..., y0:y1, x0:x1] = fill
    return out


def set_pixels(ds, pixels: np.ndarray, *, text_removed: bool) -> None:
    """Put decoded ``pixels`` (shape as for :func:`black_out`) into ``ds`` uncompressed, Explicit VR Little Endian,
    and make the Image Pixel Module describe them (PS3.3 C.7.6.3): three samples decoded from YBR are RGB, planar
    configuration 0 (colour-by-pixel), Bits Allocated from the array's type. ``text_removed``: the caller cleaned
    the burned-in text, so Burned In Annotation becomes NO; otherwise it is left as it was."""
    from pydicom.uid import ExplicitVRLittleEndian

    arr = np.asarray(pixels)
    samples = 3 if arr.ndim >= 3 and arr.shape[-1] == 3 and int(ds.get("SamplesPerPixel", 1) or 1) == 3 else 1
    frames = arr.shape[0] if arr.ndim - (samples > 1) == 3 else 1
    if arr.dtype.kind not in "ui" or arr.dtype.itemsize not in (1, 2, 4) or arr.ndim - (samples > 1) not in (2, 3):
        raise VenosError(f"pixels must be integer (8, 16 or 32 bits) frames, not {arr.dtype} of shape {arr.shape}")
    bits = 8 * arr.dtype.itemsize
    rows_axis = -3 if samples > 1 else -2
    ds.Rows, ds.Columns = arr.shape[rows_axis], arr.shape[rows_axis + 1]
    ds.SamplesPerPixel = samples
    photometric = str(ds.get("PhotometricInterpretation", "MONOCHROME2"))
    if samples == 3:
        if photometric.startswith("YBR"):
            photometric = "RGB"  # the caller's array is decoded, and pydicom decodes YBR to RGB
        ds.PlanarConfiguration = 0
    elif "PlanarConfiguration" in ds:
        del ds.PlanarConfiguration
    ds.PhotometricInterpretation = photometric
    stored = int(ds.get("BitsStored", bits) or bits)
    ds.BitsAllocated = bits
    ds.BitsStored = min(stored, bits) if stored <= bits else bits
    ds.HighBit = ds.BitsStored - 1
    ds.PixelRepresentation = 1 if arr.dtype.kind == "i" else 0
    if frames > 1 or "NumberOfFrames" in ds:
        ds.NumberOfFrames = frames
    for tag in (0x7FE00001, 0x7FE00002, 0x7FE00010):  # extended offset table (encapsulated only), old pixels
        if tag in ds:
            del ds[tag]
    data = np.ascontiguousarray(arr.astype(arr.dtype.newbyteorder("<"), copy=False)).tobytes()
    ds.add_new(0x7FE00010, "OB" if bits == 8 else "OW", data)
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    if text_removed:
        ds.BurnedInAnnotation = "NO"
