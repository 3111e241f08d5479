"""A DICOM file's bytes in, its de-identified bytes out."""
from __future__ import annotations

import io

import numpy as np

from ..dicom.parse import load_pixel_element, read_dataset
from ..errors import InvalidDataset
from .core import deidentify
from .options import Context, Options
from .pixels import set_pixels
from .report import Report


def read_whole(data: bytes, name: str):
    """The whole dataset (pixel data included) through VeNOS's one reader (``venos.dicom.parse``)."""
    parsed = read_dataset(data, source=name)
    load_pixel_element(parsed)
    return parsed.dataset


def write(ds, name: str) -> bytes:
    """The Part 10 file of ``ds``, in the transfer syntax its file meta names (PS3.10 7.1)."""
    from pydicom import dcmwrite

    buf = io.BytesIO()
    try:  # dcmwrite (not save_as): pixels rewritten uncompressed may change the encoding (big → little endian)
        dcmwrite(buf, ds, enforce_file_format=True)
    except Exception as exc:  # pydicom raises many types for a value it cannot encode; name the file
        raise InvalidDataset(f"the de-identified data set cannot be written ({type(exc).__name__}: {exc})",
                             source=name) from None
    return buf.getvalue()


def deidentify_bytes(data: bytes, name: str, *, options: Options, context: Context,
                     pixels: np.ndarray | None = None, text_removed: bool = False) -> tuple[bytes, Report]:
    """De-identify one file. ``pixels``: decoded frames to write instead of the file's (after
    :func:`~venos.deid.pixels.black_out`), uncompressed; without them the pixel data is copied untouched in the
    original transfer syntax. ``text_removed``: the burned-in text was cleaned (Burned In Annotation becomes NO)."""
    ds = read_whole(data, name)
    report = deidentify(ds, options=options, context=context, name=name)
    if pixels is not None:
        set_pixels(ds, pixels, text_removed=text_removed)
    return write(ds, name), report
