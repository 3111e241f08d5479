"""Synthetic CT series with known geometry, written as DICOM files with pydicom, for the volume and reformatting
tests: the truth (where each voxel lies in the patient, what value it holds) is known exactly."""
from __future__ import annotations

import io
from collections.abc import Callable, Sequence

import numpy as np
import pydicom
from pydicom.dataset import FileMetaDataset
from pydicom.uid import CTImageStorage, ExplicitVRLittleEndian, generate_uid

AXIAL = (1.0, 0.0, 0.0, 0.0, 1.0, 0.0)


def ct_slice(pixels: np.ndarray, position: Sequence[float], *, orientation: Sequence[float] = AXIAL,
             spacing: tuple[float, float] = (1.0, 1.0), thickness: float | None = None, slope: float = 1.0,
             intercept: float = -1024.0, series_uid: str, frame_uid: str, number: int,
             window: tuple[float, float] | None = (40.0, 400.0), photometric: str = "MONOCHROME2") -> bytes:
    """One CT slice as the bytes of a DICOM file (Explicit VR Little Endian, signed 16-bit unless ``pixels`` is
    uint16)."""
    ds = pydicom.Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.file_meta.MediaStorageSOPClassUID = CTImageStorage
    ds.file_meta.MediaStorageSOPInstanceUID = uid = generate_uid()
    ds.SOPClassUID, ds.SOPInstanceUID = CTImageStorage, uid
    ds.StudyInstanceUID = "1.2.3.4"
    ds.SeriesInstanceUID = series_uid
    ds.FrameOfReferenceUID = frame_uid
    ds.Modality = "CT"
    ds.PatientName = "Phantom^Synthetic"
    ds.InstanceNumber = number
    ds.ImagePositionPatient = [f"{v:.6f}" for v in position]
    ds.ImageOrientationPatient = [f"{v:.8f}" for v in orientation]
    ds.PixelSpacing = [f"{v:g}" for v in spacing]
    if thickness is not None:
        ds.SliceThickness = f"{thickness:g}"
    ds.RescaleSlope, ds.RescaleIntercept = f"{slope:g}", f"{intercept:g}"
    if window is not None:
        ds.WindowCenter, ds.WindowWidth = f"{window[0]:g}", f"{window[1]:g}"
    ds.Rows, ds.Columns = pixels.shape[:2]
    samples = 3 if photometric == "RGB" else 1
    ds.SamplesPerPixel, ds.PhotometricInterpretation = samples, photometric
    if samples > 1:
        ds.PlanarConfiguration = 0
    signed = pixels.dtype.kind == "i"
    ds.BitsAllocated = ds.BitsStored = 8 * pixels.dtype.itemsize
    ds.HighBit = ds.BitsStored - 1
    ds.PixelRepresentation = 1 if signed else 0
    ds.PixelData = np.ascontiguousarray(pixels.astype(pixels.dtype.newbyteorder("<"))).tobytes()
    buf = io.BytesIO()
    ds.save_as(buf, enforce_file_format=True)
    return buf.getvalue()


def series(volume: np.ndarray, *, spacing: tuple[float, float] = (1.0, 1.0), positions: Sequence[Sequence[float]],
           orientation: Sequence[float] = AXIAL, thickness: float | None = None,
           slopes: Sequence[tuple[float, float]] | None = None, frame_uid: str = "", prefix: str = "s",
           **kw) -> dict[str, bytes]:
    """Slice k of ``volume`` (slices, rows, columns) at ``positions[k]``: file name → bytes. Two series given one
    ``frame_uid`` share a Frame of Reference (one patient coordinate system)."""
    series_uid, frame_uid = generate_uid(), frame_uid or generate_uid()
    out = {}
    for k, (pixels, pos) in enumerate(zip(volume, positions)):
        slope, intercept = slopes[k] if slopes is not None else (1.0, -1024.0)
        out[f"{prefix}{k:04d}.dcm"] = ct_slice(pixels, pos, orientation=orientation, spacing=spacing, thickness=thickness,
                                        slope=slope, intercept=intercept, series_uid=series_uid,
                                        frame_uid=frame_uid, number=k + 1, **kw)
    return out


def stacked(count: int, step: float, *, origin: Sequence[float] = (0.0, 0.0, 0.0),
            normal: Sequence[float] = (0.0, 0.0, 1.0)) -> list[tuple[float, float, float]]:
    """Positions ``step`` mm apart along ``normal``."""
    o, n = np.asarray(origin, dtype=float), np.asarray(normal, dtype=float)
    return [tuple(o + k * step * n) for k in range(count)]


def phantom(shape: tuple[int, int, int], inside: Callable[[np.ndarray], np.ndarray], *, value: int = 1000,
            background: int = 24, dtype=np.int16) -> np.ndarray:
    """A volume whose voxel (k, i, j) holds ``value`` where ``inside(points)`` (an (…, 3) array of voxel
    indices) is true, else ``background``."""
    k, i, j = np.meshgrid(*(np.arange(n) for n in shape), indexing="ij")
    mask = inside(np.stack([k, i, j], axis=-1).astype(np.float64))
    return np.where(mask, value, background).astype(dtype)


def load(files: dict[str, bytes], *, order: Sequence[str] | None = None) -> str:
    """Add the files through the API (in ``order`` if given); returns the series id."""
    from venos import api

    sid = ""
    for name in order or sorted(files):
        r = api.add_file(name, files[name])
        assert r["ok"], r
        sid = r["series"]
    return sid


def gsps(images: Sequence, *, center: float | None = None, width: float | None = None, rotation: int = 0,
         flip: bool = False, area: tuple[int, int, int, int] | None = None, inverse: bool = False,
         polyline: Sequence[Sequence[float]] | None = None, text: tuple[str, Sequence[float]] | None = None,
         label: str = "TEACHING") -> bytes:
    """A Grayscale Softcopy Presentation State (PS3.3 A.33.1) on ``images`` (pydicom datasets of one series): a
    window, rotation, flip, displayed area (1-based TLHC/BRHC columns and rows), a POLYLINE and an anchored TEXT
    on the first image, in PIXEL units. As Part 10 bytes."""
    from pydicom.dataset import Dataset
    from pydicom.sequence import Sequence as Seq

    def ds_of(**kw) -> Dataset:
        d = Dataset()
        for k, v in kw.items():
            setattr(d, k, v)
        return d

    refs = [ds_of(ReferencedSOPClassUID=i.SOPClassUID, ReferencedSOPInstanceUID=i.SOPInstanceUID) for i in images]
    pr = Dataset()
    pr.SOPClassUID, pr.SOPInstanceUID, pr.Modality = "1.2.840.10008.5.1.4.1.1.11.1", generate_uid(), "PR"
    pr.StudyInstanceUID, pr.SeriesInstanceUID = images[0].StudyInstanceUID, generate_uid()
    pr.ContentLabel, pr.ContentDescription, pr.ContentCreatorName = label, "<b>not markup</b>", "Teacher^A"
    pr.ReferencedSeriesSequence = Seq([ds_of(SeriesInstanceUID=images[0].SeriesInstanceUID,
                                             ReferencedImageSequence=Seq(refs))])
    pr.PresentationLUTShape = "INVERSE" if inverse else "IDENTITY"
    pr.ImageRotation, pr.ImageHorizontalFlip = rotation, "Y" if flip else "N"
    if center is not None:
        pr.SoftcopyVOILUTSequence = Seq([ds_of(WindowCenter=center, WindowWidth=width)])
    if area is not None:
        pr.DisplayedAreaSelectionSequence = Seq([ds_of(
            DisplayedAreaTopLeftHandCorner=list(area[:2]), DisplayedAreaBottomRightHandCorner=list(area[2:]),
            PresentationSizeMode="SCALE TO FIT", PresentationPixelSpacing=[1.0, 1.0])])
    if polyline or text:
        ann = ds_of(GraphicLayer="LAYER1", ReferencedImageSequence=Seq([refs[0]]))
        if polyline:
            ann.GraphicObjectSequence = Seq([ds_of(
                GraphicAnnotationUnits="PIXEL", GraphicDimensions=2, NumberOfGraphicPoints=len(polyline),
                GraphicData=[float(v) for p in polyline for v in p], GraphicType="POLYLINE", GraphicFilled="N")])
        if text:
            ann.TextObjectSequence = Seq([ds_of(
                AnchorPointAnnotationUnits="PIXEL", UnformattedTextValue=text[0],
                AnchorPoint=[float(v) for v in text[1]], AnchorPointVisibility="N")])
        pr.GraphicAnnotationSequence = Seq([ann])
        pr.GraphicLayerSequence = Seq([ds_of(GraphicLayer="LAYER1", GraphicLayerOrder=1,
                                             GraphicLayerRecommendedDisplayGrayscaleValue=0xFFFF)])
    pr.file_meta = FileMetaDataset()
    pr.file_meta.MediaStorageSOPClassUID, pr.file_meta.MediaStorageSOPInstanceUID = pr.SOPClassUID, pr.SOPInstanceUID
    pr.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    buf = io.BytesIO()
    pr.save_as(buf, enforce_file_format=True)
    return buf.getvalue()
