"""Bytes → pydicom Dataset. The only ``dcmread`` call site in VeNOS."""
from __future__ import annotations

import io
import warnings

from pydicom import dcmread
from pydicom.dataset import Dataset
from pydicom.errors import InvalidDicomError

from ..errors import InvalidDataset, NotDicom

_PNG = b"\x89PNG\r\n\x1a\n"
_JPEG = b"\xff\xd8\xff"

# Tags a DICOM stream without preamble usually starts with: (0002,xxxx) File Meta or (0008,xxxx) in
# little-endian (explicit or implicit VR) or big-endian order.
_BARE_STARTS = (b"\x02\x00", b"\x08\x00", b"\x00\x02", b"\x00\x08")


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


def read_dataset(data: bytes, *, source: str) -> Dataset:
    """Parse one DICOM file held in memory.

    Files with a preamble and ``DICM`` are read normally; files without one (older ACR-NEMA style streams) are read
    with ``force=True`` only when their first bytes look like a group 0002/0008 element, so random files are not
    "parsed" into nonsense. Every failure becomes :class:`InvalidDataset` or :class:`NotDicom` naming ``source``.
    """
    kind = sniff(data)
    if kind is None:
        raise NotDicom("not a DICOM file (no 'DICM' marker at byte 128 and no DICOM element at the start) "
                       "and not a PNG or JPEG image", source=source)
    if kind != "dicom":
        raise NotDicom(f"a {kind.upper()} image, not DICOM", source=source)
    force = bytes(data[128:132]) != b"DICM"
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            ds = dcmread(io.BytesIO(data), force=force)
    except RecursionError:
        raise InvalidDataset("sequences are nested too deeply to read (malformed or hostile file)",
                             source=source) from None
    except InvalidDicomError as exc:
        raise InvalidDataset(f"not a valid DICOM file: {exc}", source=source) from None
    except EOFError as exc:
        raise InvalidDataset(f"the file ends unexpectedly (truncated?): {exc}", source=source) from None
    except Exception as exc:  # pydicom raises many types on malformed input; name it, never crash
        raise InvalidDataset(f"cannot be parsed ({type(exc).__name__}: {exc})", source=source) from None
    if force and "TransferSyntaxUID" not in ds.get("file_meta", Dataset()):
        # No File Meta: record the encoding pydicom detected so decoders know it.
        from pydicom.uid import ExplicitVRBigEndian, ExplicitVRLittleEndian, ImplicitVRLittleEndian
        from pydicom.dataset import FileMetaDataset

        if not hasattr(ds, "file_meta") or ds.file_meta is None:
            ds.file_meta = FileMetaDataset()
        if ds.original_encoding[0]:  # implicit VR
            ds.file_meta.TransferSyntaxUID = ImplicitVRLittleEndian
        else:
            ds.file_meta.TransferSyntaxUID = (ExplicitVRLittleEndian if ds.original_encoding[1]
                                              else ExplicitVRBigEndian)
    return ds
