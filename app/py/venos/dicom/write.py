"""DICOM files VeNOS writes itself: a 16-bit greyscale Secondary Capture, for the warm-up image (load.warm_up) and
the console's results (console.show). The caller adds what its image is about (patient, geometry, rescale)."""
from __future__ import annotations

import io

import numpy as np


def greyscale_sc(pixels: np.ndarray):
    """A pydicom Dataset with file meta (Explicit VR Little Endian, new SOP Instance UID) holding ``pixels``
    (rows × columns, stored as signed 16-bit MONOCHROME2)."""
    from pydicom.dataset import Dataset, FileMetaDataset
    from pydicom.uid import ExplicitVRLittleEndian, SecondaryCaptureImageStorage, generate_uid

    ds = Dataset()
    ds.file_meta = FileMetaDataset()
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    ds.file_meta.MediaStorageSOPClassUID = SecondaryCaptureImageStorage
    ds.file_meta.MediaStorageSOPInstanceUID = uid = generate_uid()
    ds.SOPClassUID, ds.SOPInstanceUID = SecondaryCaptureImageStorage, uid
    ds.Rows, ds.Columns = pixels.shape
    ds.SamplesPerPixel, ds.PhotometricInterpretation = 1, "MONOCHROME2"
    ds.BitsAllocated, ds.BitsStored, ds.HighBit, ds.PixelRepresentation = 16, 16, 15, 1
    ds.PixelData = np.ascontiguousarray(pixels.astype("<i2")).tobytes()
    return ds


def file_bytes(ds) -> bytes:
    """The Part 10 file of a dataset made by :func:`greyscale_sc` (and completed by its caller)."""
    buf = io.BytesIO()
    ds.save_as(buf, enforce_file_format=True)
    return buf.getvalue()
