"""A file's bytes → pydicom Dataset. The only ``dcmread`` call site in VeNOS.

Only the header is read: the first ``HEAD`` bytes of the file (all of it when the header is longer) are parsed by
pydicom up to the pixel data element, which is *located*, not read. The file's bytes stay where they are held
(``venos.blob``: in the browser, outside the WebAssembly heap); one frame's pixels are read when it is shown
(``pixels.native``), compressed pixels when a frame is first decoded (:func:`load_pixel_element`).
"""
from __future__ import annotations

import io
import struct
import warnings
import zlib
from dataclasses import dataclass

from pydicom.filereader import read_partial
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.errors import InvalidDicomError

from ..blob import Blob, BytesBlob
from ..errors import InvalidDataset, NotDicom

_PNG = b"\x89PNG\r\n\x1a\n"
_JPEG = b"\xff\xd8\xff"
# Tags a DICOM stream without preamble usually starts with: (0002,xxxx) File Meta or (0008,xxxx), in either order.
_BARE_STARTS = (b"\x02\x00", b"\x08\x00", b"\x00\x02", b"\x00\x08")
DEFLATED = "1.2.840.10008.1.2.1.99"
PIXEL_TAGS = {0x7FE00010: "PixelData", 0x7FE00008: "FloatPixelData", 0x7FE00009: "DoubleFloatPixelData"}
UNDEFINED = 0xFFFFFFFF
HEAD = 16 * 1024  # bytes read first; a longer header (large sequences, many frames' functional groups) is read whole
# A header that does not end in the first HEAD bytes is read again from the first 1 MB, then 64 MB (a whole file
# when it is smaller); one whose Pixel Data is not within 64 MB is not read further (docs/api.md "Limits").
HEAD_STEPS = (1024 * 1024, 64 * 1024 * 1024)
MAX_ELEMENTS = 100_000  # top-level elements before the pixel data (real headers hold hundreds to a few thousand)
# (app/js/worker.js reads the same amount ahead, asynchronously)


@dataclass(frozen=True)
class PixelLocation:
    """Where the pixel data element's value sits in the file's bytes."""

    keyword: str
    offset: int  # first byte of the value
    length: int  # UNDEFINED for encapsulated (fragments follow)
    header_offset: int  # first byte of the element (its tag)
    implicit_vr: bool
    little_endian: bool
    available: int  # bytes of the file from `offset` to its end (less than `length` when truncated)

    @property
    def encapsulated(self) -> bool:
        return self.length == UNDEFINED


@dataclass(eq=False)
class Parsed:
    dataset: Dataset
    blob: Blob  # the whole file, wherever it is held
    head: bytes  # the bytes that were parsed (they hold the pixel element's header)
    pixels: PixelLocation | None


class LazyParsed(Parsed):
    """A file whose header another worker parsed (venos.parse_api): what the viewer needs of it came with it, and
    its data set is read from its bytes here only if something asks for it (the tag browser, a palette, a
    compressed frame). Reads the same bytes the same way, so it is the data set the helper saw."""

    def __init__(self, blob: Blob, pixels: PixelLocation | None, source: str) -> None:
        self.blob, self.pixels, self.source = blob, pixels, source
        self._read: Parsed | None = None

    def _parsed(self) -> Parsed:
        if self._read is None:
            self._read = read_dataset(self.blob, source=self.source)
        return self._read

    @property
    def dataset(self) -> Dataset:
        return self._parsed().dataset

    @property
    def head(self) -> bytes:
        return self._parsed().head


NOT_DICOM = ("not a DICOM file (no 'DICM' marker at byte 128 and no DICOM element at the start) and not a PNG or "
             "JPEG image")


def sniff(data: bytes | memoryview) -> str | None:
    """What the bytes look like: ``"dicom"``, ``"png"``, ``"jpeg"`` or ``None``."""
    head = bytes(data[:136])
    if len(head) >= 132 and head[128:132] == b"DICM":
        return "dicom"
    if head.startswith(_PNG):
        return "png"
    if head.startswith(_JPEG):
        return "jpeg"
    if len(head) >= 8 and head[:2] in _BARE_STARTS:
        return "dicom"
    return None


def read_dataset(data: Blob | bytes, *, source: str) -> Parsed:
    """Parse one DICOM file up to (not including) its pixel data.

    ``data``: a :class:`~venos.blob.Blob` or the file's bytes. Files with a preamble and ``DICM`` are read normally;
    files without one (older ACR-NEMA style streams) are read with ``force=True`` only when their first bytes look
    like a group 0002/0008 element, so random files are not "parsed" into nonsense. Every failure becomes
    :class:`InvalidDataset` or :class:`NotDicom` naming ``source``.
    """
    blob = data if hasattr(data, "read") else BytesBlob(data)
    head = blob.read(0, min(blob.size, HEAD))
    kind = sniff(head)
    if kind is None:
        raise NotDicom(NOT_DICOM, source=source)
    if kind != "dicom":
        raise NotDicom(f"a {kind.upper()} image, not DICOM", source=source)
    force = bytes(head[128:132]) != b"DICM"
    if not force:
        _refuse_command_set(head, source)
    whole = len(head) >= blob.size
    parsed = _parse(head, blob, force=force, source=source, whole=whole)
    for step in HEAD_STEPS:  # the header runs past the first bytes (or there is no pixel data): read more of it
        if parsed is not None:
            break
        n = min(blob.size, step)
        if n > len(head):
            parsed = _parse(blob.read(0, n), blob, force=force, source=source, whole=n >= blob.size)
    if parsed is None:
        raise InvalidDataset(f"no Pixel Data within its first {HEAD_STEPS[-1] // 2**20} MB, where its header should "
                             "have ended: malformed or hostile, not read further", source=source)
    return parsed


def _refuse_command_set(head: bytes, source: str) -> None:
    """pydicom reads a group 0000 (DIMSE command set) that follows the file meta element by element, with no way
    to stop it: a file of zeros after its 'DICM' marker would be read 8 bytes at a time (a 1 GB one for minutes).
    A command set has no place in a file (PS3.10 7.1): refuse it. The file meta (group 0002, explicit VR little
    endian) is stepped over by its element lengths; if it does not end within ``head``, pydicom decides."""
    pos, n = 132, len(head)
    while pos + 8 <= n:
        group, _elem = struct.unpack_from("<HH", head, pos)
        if group != 0x0002:
            break
        vr = bytes(head[pos + 4:pos + 6])
        if vr in (b"OB", b"OW", b"OF", b"SQ", b"UT", b"UN", b"UC", b"UR", b"OD", b"OL", b"OV", b"SV", b"UV"):
            if pos + 12 > n:
                return
            pos += 12 + struct.unpack_from("<I", head, pos + 8)[0]
        else:
            pos += 8 + struct.unpack_from("<H", head, pos + 6)[0]
    if pos + 4 <= n and struct.unpack_from("<H", head, pos)[0] == 0x0000:
        raise InvalidDataset("a group 0000 (DIMSE command) element follows the file meta information where the data "
                             "set should begin: not a DICOM file's data set (damaged or hostile)", source=source)


class HeaderTooLong(InvalidDataset):
    """More top-level elements than any real header holds: reading more bytes would not help."""


def _parse(data: bytes, blob: Blob, *, force: bool, source: str, whole: bool) -> Parsed | None:
    """Parse ``data`` (the file's first bytes, or all of them when ``whole``); None when a part of the file was not
    enough: the header must end exactly at a pixel data element whose header lies within ``data``."""
    _refuse_deflate_bomb(data, source)
    fp = io.BytesIO(data)
    try:
        ds = _dcmread(fp, force=force, stop_before_pixels=True, source=source)
    except HeaderTooLong:
        raise
    except InvalidDataset:
        if whole:
            raise
        return None
    ts = str(ds.file_meta.get("TransferSyntaxUID", "")) if ds.get("file_meta") is not None else ""
    if ts == DEFLATED:
        if not whole:
            return None
        # The data set is deflated: positions in the inflated stream are not positions in the file; read it all.
        ds = _dcmread(io.BytesIO(data), force=force, stop_before_pixels=False, source=source)
        loc = None
    else:
        loc = _locate_pixels(data, fp.tell(), ds, blob.size)
        if loc is None and not whole:
            return None
    if force and not ts:
        _set_detected_transfer_syntax(ds)
    return Parsed(ds, blob, data, loc)


MAX_INFLATED = 512 * 1024 * 1024  # a deflated data set (PS3.5 A.5) may inflate to this much (docs/api.md "Limits")


def _refuse_deflate_bomb(data: bytes, source: str) -> None:
    """A Deflated Explicit VR data set is inflated whole by pydicom, before anything can be checked: inflate it
    here first, bounded, so a small file that inflates to gigabytes is refused instead of exhausting the memory."""
    if len(data) < 144 or bytes(data[128:132]) != b"DICM" or bytes(data[132:136]) != b"\x02\x00\x00\x00":
        return
    end = 144 + int.from_bytes(bytes(data[140:144]), "little")
    if DEFLATED.encode() not in bytes(data[144:min(end, 144 + 4096)]):
        return
    inflater, pending, total = zlib.decompressobj(-zlib.MAX_WBITS), bytes(data[end:]), 0
    try:
        while pending and total <= MAX_INFLATED:  # in 16 MB steps, kept only as a count
            total += len(inflater.decompress(pending, 16 * 2**20))
            pending = inflater.unconsumed_tail
    except zlib.error:
        return  # damaged: pydicom reports it
    if total > MAX_INFLATED:
        raise InvalidDataset(f"the deflated data set inflates past {MAX_INFLATED // 2**20} MB (the limit for one "
                             "deflated file): damaged or hostile", source=source)


class _TooMany(Exception):
    pass


_PIXEL_TAGS = frozenset((0x7FE00008, 0x7FE00009, 0x7FE00010))  # Float, Double Float and Pixel Data


def _dcmread(fp, *, force: bool, stop_before_pixels: bool, source: str) -> Dataset:
    """pydicom's read (as dcmread does it: file meta, then the data set up to the pixel data when asked), counting
    the top-level elements: past MAX_ELEMENTS it stops (a file of a billion 8-byte elements would take hours)."""
    seen = 0

    def stop_when(tag, vr, length) -> bool:
        nonlocal seen
        seen += 1
        if seen > MAX_ELEMENTS:
            raise _TooMany
        return stop_before_pixels and tag in _PIXEL_TAGS  # (what pydicom's _at_pixel_data asks, without a call)

    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            return read_partial(fp, stop_when=stop_when, force=force)
    except _TooMany:
        raise HeaderTooLong(f"more than {MAX_ELEMENTS:,} elements before the pixel data (real headers hold a few "
                            "thousand at most): malformed or hostile, not read further", source=source) from None
    except RecursionError:
        raise InvalidDataset("sequences are nested too deeply to read (malformed or hostile file)",
                             source=source) from None
    except InvalidDicomError as exc:
        raise InvalidDataset(f"not a valid DICOM file: {exc}", source=source) from None
    except EOFError as exc:
        raise InvalidDataset(f"the file ends unexpectedly (truncated?): {exc}", source=source) from None
    except Exception as exc:  # pydicom raises many types on malformed input; name it, never crash
        raise InvalidDataset(f"cannot be parsed ({type(exc).__name__}: {exc})", source=source) from None


def _locate_pixels(data: bytes, pos: int, ds: Dataset, size: int) -> PixelLocation | None:
    """The pixel data element that starts at ``pos`` of ``data`` (the file's first bytes; ``size`` the whole
    file's), or None when none does."""
    implicit, little = ds.original_encoding
    if implicit is None or len(data) < pos + 8:
        return None
    end = "<" if little else ">"
    group, elem = struct.unpack_from(end + "HH", data, pos)
    tag = (group << 16) | elem
    keyword = PIXEL_TAGS.get(tag)
    if keyword is None:
        return None
    if implicit:
        (length,) = struct.unpack_from(end + "I", data, pos + 4)
        offset = pos + 8
    else:
        vr = data[pos + 4:pos + 6]
        if vr in (b"OB", b"OW", b"OF", b"OD", b"OL", b"OV", b"UN", b"SQ", b"UT", b"UC", b"UR"):
            if len(data) < pos + 12:
                return None
            (length,) = struct.unpack_from(end + "I", data, pos + 8)
            offset = pos + 12
        else:
            (length,) = struct.unpack_from(end + "H", data, pos + 6)
            offset = pos + 8
    return PixelLocation(keyword, offset, length, pos, bool(implicit), bool(little), max(size - offset, 0))


def load_pixel_element(parsed: Parsed) -> None:
    """Read the pixel data element (and anything after it) into the dataset, for decoders that need it there."""
    loc = parsed.pixels
    ds = parsed.dataset
    if loc is None or loc.keyword in ds:
        return
    from pydicom.filereader import read_dataset as read_elements

    fp = io.BytesIO(parsed.blob.read(loc.header_offset, parsed.blob.size - loc.header_offset))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        rest = read_elements(fp, loc.implicit_vr, loc.little_endian)
    for elem in rest:
        ds[elem.tag] = elem


def _set_detected_transfer_syntax(ds: Dataset) -> None:
    """No File Meta: record the encoding pydicom detected so decoders know it."""
    from pydicom.uid import ExplicitVRBigEndian, ExplicitVRLittleEndian, ImplicitVRLittleEndian

    if ds.get("file_meta") is None:
        ds.file_meta = FileMetaDataset()
    implicit, little = ds.original_encoding
    if implicit:
        ds.file_meta.TransferSyntaxUID = ImplicitVRLittleEndian
    else:
        ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian if little else ExplicitVRBigEndian
