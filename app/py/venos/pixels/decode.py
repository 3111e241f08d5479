"""Decode one frame of a dataset into a numpy array, through pydicom's decoder registry.

``pixel_array`` and VeNOS share one mechanism: :func:`pydicom.pixels.get_decoder` for the transfer syntax, whose
plugins (pydicom's own, Pillow, and the browser codecs registered by :mod:`venos.pixels.codecs`) do the work.
Output convention = pydicom's default ``pixel_array`` for that frame (YBR converted to RGB, unused high bits
corrected, palette indices left as indices); rescale, VOI and palette are applied later by the view layer.
"""
from __future__ import annotations

import warnings

import numpy as np
from pydicom.dataset import Dataset
from pydicom.uid import UID

from ..dicom.attrs import ImageInfo
from ..errors import DecodeError, UnsupportedTransferSyntax


def ts_label(uid: str) -> str:
    try:
        name = UID(uid).name
    except Exception:
        name = ""
    return f"{name} ({uid})" if name and name != uid else uid or "unknown transfer syntax"


def decode_frame(ds: Dataset, info: ImageInfo, index: int) -> np.ndarray:
    """Frame ``index`` (0-based) of ``ds`` as an array: (rows, cols) or (rows, cols, samples)."""
    from pydicom.pixels import get_decoder

    if not 0 <= index < info.frames:
        raise DecodeError(f"frame {index + 1} requested, the object has {info.frames}", source=info.source)
    ts = info.transfer_syntax
    try:
        decoder = get_decoder(ts)
    except NotImplementedError:
        raise UnsupportedTransferSyntax(
            f"pixels are encoded as {ts_label(ts)}, which pydicom has no decoder for", source=info.source,
            frame=index) from None
    if not decoder.is_available:
        missing = "; ".join(decoder.missing_dependencies)
        raise UnsupportedTransferSyntax(
            f"no decoder for {ts_label(ts)} is available in this build ({missing or 'no plugin'})",
            source=info.source, frame=index)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            arr, _meta = decoder.as_array(ds, index=index)
    except Exception as exc:
        raise DecodeError(f"cannot decode {ts_label(ts)}: {exc}", source=info.source, frame=index) from None
    return arr
