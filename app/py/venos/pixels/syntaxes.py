"""Transfer syntaxes pydicom 3.0.2 has no decoder for, added to its registry, and the pure-Python plugins for them.

* Encapsulated Uncompressed Explicit VR Little Endian (1.2.840.10008.1.2.1.98, PS3.5 A.4.11): each frame is one
  fragment of native pixel bytes.
* Deflated Image Frame Compression (1.2.840.10008.1.2.8.1, PS3.5 A.4.13, added to DICOM in 2024): each frame is
  the native frame (bit-packed for 1-bit data) compressed with Deflate (RFC 1951).
* JPEG processes 6/8 (…4.53) and 10/12 (…4.55), retired: a :class:`Decoder` exists here, the browser's IJG codec
  (``venos.pixels.codecs``) decodes them.
* RLE Lossless with 1-bit data (PS3.5 G.2: the frame's bit-packed bytes form the one segment, padded to a whole
  byte, so a frame of rows × columns not divisible by 8 is not byte aligned): pydicom's decoders refuse it.

:func:`install` is idempotent and is the only function that touches pydicom's module-level tables.
"""
from __future__ import annotations

import zlib
from typing import Any

import numpy as np

ENCAPSULATED_UNCOMPRESSED = "1.2.840.10008.1.2.1.98"
DEFLATED_IMAGE_FRAME = "1.2.840.10008.1.2.8.1"
JPEG_SPECTRAL = "1.2.840.10008.1.2.4.53"
JPEG_PROGRESSIVE = "1.2.840.10008.1.2.4.55"
RLE = "1.2.840.10008.1.2.5"

# UIDs missing from pydicom 3.0.2's UID dictionary: (name, type, info, retired, keyword) as in pydicom._uid_dict.
_NEW_UIDS = {
    DEFLATED_IMAGE_FRAME: ("Deflated Image Frame Compression", "Transfer Syntax", "", "",
                           "DeflatedImageFrameCompression"),
}

_PYTHON_PLUGINS = {
    ENCAPSULATED_UNCOMPRESSED: ("venos-uncompressed", "decode_uncompressed"),
    DEFLATED_IMAGE_FRAME: ("venos-deflate", "decode_deflate"),
    RLE: ("venos-rle-1bit", "decode_rle_1bit"),
}
_DECODERS_ADDED = (ENCAPSULATED_UNCOMPRESSED, DEFLATED_IMAGE_FRAME, JPEG_SPECTRAL, JPEG_PROGRESSIVE)

_installed = False

# pydicom's plugin contract (see venos.pixels.codecs): these plugins need nothing but numpy and zlib.
DECODER_DEPENDENCIES: dict[str, tuple[str, ...]] = {}


def is_available(uid: str) -> bool:
    return uid in _PYTHON_PLUGINS


def python_plugin_labels() -> tuple[str, ...]:
    return tuple(label for label, _fn in _PYTHON_PLUGINS.values())


def install() -> None:
    """Teach pydicom the syntaxes above: UID names, a Decoder per syntax, and the Python plugins."""
    global _installed
    if _installed:
        return
    from pydicom._uid_dict import UID_dictionary
    from pydicom.pixels.decoders.base import Decoder, _PIXEL_DATA_DECODERS
    from pydicom.uid import UID

    for uid, entry in _NEW_UIDS.items():
        UID_dictionary.setdefault(uid, entry)
    for uid in _DECODERS_ADDED:
        if uid not in _PIXEL_DATA_DECODERS:
            _PIXEL_DATA_DECODERS[UID(uid)] = (Decoder(UID(uid)), "venos")
    for uid, (label, func) in _PYTHON_PLUGINS.items():
        decoder = _PIXEL_DATA_DECODERS[uid][0]
        if label not in decoder._available:
            decoder.add_plugin(label, (__name__, func))
            # first: the 1-bit RLE plugin declines anything else at once (an exception pydicom logs silently)
            decoder._available = {label: decoder._available[label],
                                  **{k: v for k, v in decoder._available.items() if k != label}}
    _installed = True


def _unpack_bits(frame: bytes, pixels: int) -> bytes:
    """1-bit data: bit 0 of byte 0 is the first pixel (PS3.5 8.1.1, Figure D-2)."""
    bits = np.unpackbits(np.frombuffer(frame, dtype=np.uint8), bitorder="little")
    if bits.size < pixels:
        raise ValueError(f"the frame holds {bits.size} bits, {pixels} are needed")
    return bits[:pixels].tobytes()


def _native_frame(data: bytes, runner: Any) -> bytes:
    pixels = runner.rows * runner.columns * runner.samples_per_pixel
    if runner.bits_allocated == 1:
        return _unpack_bits(data, pixels)
    need = pixels * (runner.bits_allocated // 8)
    if len(data) < need:
        raise ValueError(f"the frame holds {len(data)} bytes, {need} are needed")
    return data[:need]


def decode_uncompressed(src: bytes, runner: Any) -> bytes:
    return _native_frame(src, runner)


def decode_deflate(src: bytes, runner: Any) -> bytes:
    try:
        data = zlib.decompress(src, -15)  # raw Deflate, as PS3.5 A.4.13 specifies
    except zlib.error:
        data = zlib.decompress(src, 47)  # tolerate a zlib/gzip header
    return _native_frame(data, runner)


def decode_rle_1bit(src: bytes, runner: Any) -> bytes:
    if runner.bits_allocated != 1:
        raise ValueError("this plugin only decodes 1-bit RLE (pydicom's plugins decode the rest)")
    from pydicom.pixels.decoders.rle import _rle_decode_segment, _rle_parse_header

    offsets = _rle_parse_header(src[:64])
    if len(offsets) != 1:
        raise ValueError(f"1-bit RLE must have 1 segment, found {len(offsets)}")
    return _unpack_bits(bytes(_rle_decode_segment(src[offsets[0]:])), runner.rows * runner.columns)
