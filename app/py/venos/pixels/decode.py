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

from ..dicom.attrs import ImageInfo, is_encapsulated
from ..errors import DecodeError, UnsupportedTransferSyntax


def ts_label(uid: str) -> str:
    name = UID(uid).name if uid else ""
    return f"{name} ({uid})" if name and name != uid else uid or "unknown transfer syntax"


def decode_frame(ds: Dataset, info: ImageInfo, index: int) -> np.ndarray:
    """Frame ``index`` (0-based) of ``ds`` as an array: (rows, cols) or (rows, cols, samples).

    Raises :class:`~venos.pixels.codecs.CodecNotLoaded` when the browser codec for this syntax is shipped but not
    loaded yet (the worker loads it and calls again), :class:`UnsupportedTransferSyntax` when nothing here can
    decode it, :class:`DecodeError` when the decoders fail on this frame."""
    from pydicom.pixels import get_decoder

    from . import codecs, syntaxes

    syntaxes.install()
    if not 0 <= index < info.frames:
        raise DecodeError(f"frame {index + 1} requested, the object has {info.frames}", source=info.source)
    ts = info.transfer_syntax
    if info.bits_allocated == 12 and not is_encapsulated(ts):
        return unpack_12bit(ds, info, index)
    try:
        decoder = get_decoder(ts)
    except NotImplementedError:
        raise UnsupportedTransferSyntax(
            f"pixels are encoded as {ts_label(ts)}, which VeNOS has no decoder for", source=info.source,
            frame=index) from None
    need = codecs.missing_for(ts)
    if need:
        raise codecs.CodecNotLoaded(need, source=info.source, frame=index)
    if not decoder.is_available:
        missing = "; ".join(decoder.missing_dependencies)
        raise UnsupportedTransferSyntax(
            f"no decoder for {ts_label(ts)} is available in this build: {codecs.unavailable_reason(ts)}"
            + (f" ({missing})" if missing else ""), source=info.source, frame=index)
    if not is_encapsulated(ts):  # native pixels: pydicom's decoder needs no plugin
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                return decoder.as_array(ds, index=index)[0]
        except Exception as exc:
            raise DecodeError(f"frame {index + 1} of {info.frames} cannot be read as {ts_label(ts)}: "
                              f"{_reason(exc)}", source=info.source, frame=index) from None
    reasons = []
    codecs.take_busy()
    for label in codecs.labels_for(ts, decoder.available_plugins):  # chosen by name: pydicom's public API
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")
                arr, _meta = decoder.as_array(ds, index=index, decoding_plugin=label)
            return arr
        except codecs.CodecNotLoaded as exc:
            raise codecs.CodecNotLoaded(exc.codec, source=info.source, frame=index) from None
        except Exception as exc:  # this plugin failed on this frame: the next one may not
            busy = codecs.take_busy()
            if busy:  # its codec worker has the frame queued: the caller decodes it there and calls again
                raise codecs.CodecBusy(busy[0], source=info.source, frame=index) from None
            reason = _reason(exc)
            if codecs.CUT_SHORT in reason or codecs.ABANDONED in reason:  # the next codec would fare no better
                raise DecodeError(f"frame {index + 1} of {info.frames} cannot be decoded: "
                                  f"{reason.split(': ', 1)[-1]}", source=info.source, frame=index) from None
            reasons.append(f"{label}: {reason}")
    browser = codecs.for_syntax(ts)
    waiting = [c.name for c in browser if c.state == "loadable"]
    if waiting:  # the loaded decoders failed; one not yet loaded may succeed
        raise codecs.CodecNotLoaded(waiting[0], source=info.source, frame=index)
    if browser and all(c.state == "failed" for c in browser):
        raise UnsupportedTransferSyntax(f"cannot decode {ts_label(ts)}: {codecs.unavailable_reason(ts)}",
                                        source=info.source, frame=index)
    raise DecodeError(f"frame {index + 1} of {info.frames} cannot be decoded from {ts_label(ts)}: "
                      f"{'; '.join(reasons) or 'no decoder is available'}", source=info.source, frame=index)


def _reason(exc: Exception) -> str:
    """pydicom's message without its boilerplate: the plugins' own reasons, one per line."""
    text = str(exc).strip()
    head = "Unable to decode as exceptions were raised by all available plugins:"
    if text.startswith(head):
        text = "; ".join(line.strip() for line in text[len(head):].splitlines() if line.strip())
    return text or type(exc).__name__


def unpack_12bit(ds: Dataset, info: ImageInfo, index: int) -> np.ndarray:
    """Bits Allocated 12 (ACR-NEMA 2.0 packed pixels, not allowed in DICOM, refused by pydicom): two pixels in three
    bytes, p0 = b0 | (b1 & 0x0F) << 8, p1 = b1 >> 4 | b2 << 4 — the layout GDCM reads. The one decode that does
    not go through pydicom's registry, because pydicom rejects the dataset before any plugin runs."""
    pixels = info.rows * info.columns * info.samples_per_pixel
    if pixels % 2:
        raise DecodeError("12-bit packed pixels need an even number of samples per frame", source=info.source,
                          frame=index)
    start = index * pixels * 3 // 2
    raw = np.frombuffer(ds.PixelData, dtype=np.uint8, count=pixels * 3 // 2, offset=start).reshape(-1, 3)
    b = raw.astype(np.uint16)
    out = np.empty(pixels, dtype=np.uint16)
    out[0::2] = b[:, 0] | ((b[:, 1] & 0x0F) << 8)
    out[1::2] = (b[:, 1] >> 4) | (b[:, 2] << 4)
    shape = (info.rows, info.columns) if info.samples_per_pixel == 1 else (info.rows, info.columns, -1)
    if info.pixel_representation:  # sign-extend the 12-bit values
        out = ((out.astype(np.int16) << 4) >> 4).astype(np.int16)
    return out.reshape(shape)
