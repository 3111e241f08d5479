"""Element values read straight from a parsed dataset's raw elements: the fast path for the few dozen attributes
VeNOS reads per file (see :func:`get`)."""
from __future__ import annotations

import math
import struct

from pydicom.datadict import dictionary_VR, tag_for_keyword
from pydicom.dataset import Dataset

_TAGS: dict[str, int] = {}


_VRS: dict[int, str] = {}
# Value representations whose raw bytes are plain ASCII with no character-set rules (PS3.5 6.2): read directly.
_ASCII_VRS = {"DS", "IS", "CS", "UI", "DA", "TM", "AS"}
_BINARY_VRS = {"US": "H", "SS": "h", "UL": "I", "SL": "i", "FL": "f", "FD": "d"}


def _tag(kw: str) -> int:
    tag = _TAGS.get(kw)
    if tag is None:
        tag = _TAGS[kw] = tag_for_keyword(kw)
    return tag


def _vr(raw, tag: int) -> str:
    """A raw element's VR: as written, else (implicit VR) the dictionary's."""
    vr = raw.VR or _VRS.get(tag)
    if vr is None:
        vr = _VRS[tag] = dictionary_VR(tag)
    return vr


def get(ds: Dataset, kw: str):
    """``ds.get(kw)`` without pydicom's attribute machinery: a dict lookup by tag, converting only what exists.

    Profiling in Pyodide showed ``Dataset.get`` and pydicom's element conversion dominating header extraction.
    Numbers, codes and UIDs are decoded here straight from the raw element (they are ASCII or binary by
    definition); text that may need the Specific Character Set, and sequences, go through pydicom."""
    elements = getattr(ds, "_dict", None)
    if elements is None:  # a metadata Header (dicom.metadata): a plain keyword mapping
        return ds.get(kw)
    tag = _tag(kw)
    raw = elements.get(tag)
    if raw is None:
        return None
    return _converted(ds, tag, raw)


def _converted(ds: Dataset, tag: int, raw):
    """:func:`get` of the element ``raw`` (``tag``) of ``ds``."""
    if getattr(raw, "is_raw", False) and raw.value is not None:
        vr = _vr(raw, tag)
        if vr in _ASCII_VRS:
            parts = raw.value.decode("ascii", "replace").strip(" \x00").split("\\")
            parts = [p.strip(" \x00") for p in parts]
            return parts[0] if len(parts) == 1 else parts
        code = _BINARY_VRS.get(vr)
        if code is not None:
            n = len(raw.value) // struct.calcsize(code)
            if n == 0:
                return None
            vals = struct.unpack(("<" if raw.is_little_endian else ">") + code * n, raw.value[: n * struct.calcsize(code)])
            return vals[0] if n == 1 else list(vals)
    return ds[tag].value


# Text that one Python codec decodes (no code extensions, PS3.3 C.12.1.1.2): Specific Character Set → codec.
_SIMPLE_CHARSETS = {None: "latin_1", b"ISO_IR 6": "latin_1", b"ISO_IR 100": "latin_1", b"ISO_IR 192": "utf_8"}
_TEXT_VRS = {"SH", "LO", "UC", "PN"}


def _plain_text(ds: Dataset, elements: dict, tag: int, raw) -> str | None:
    """:func:`text` of a raw SH, LO, UC or PN element decoded straight from its bytes, when its character set is
    the default, Latin-1 or UTF-8 and the value is plain (no escape sequence; a PN of one value and one component
    group): what pydicom's conversion gives, without its per-element machinery (~40 % of reading the text of a
    header, measured in Pyodide). None: ask pydicom."""
    if not getattr(raw, "is_raw", False) or raw.value is None:
        return None
    vr = _vr(raw, tag)
    if vr not in _TEXT_VRS:
        return None
    scs = elements.get(0x00080005)
    if scs is None:
        if getattr(ds, "_parent_encoding", None) != "iso8859":  # an item: its parent's character set applies
            return None
        codec = "latin_1"
    elif getattr(scs, "is_raw", False) and scs.value is not None:
        codec = _SIMPLE_CHARSETS.get(scs.value.strip(b" \x00") or b"?")
    elif isinstance(scs.value, str):  # (pydicom converts it as it reads: it decides how the rest decodes)
        codec = _SIMPLE_CHARSETS.get(scs.value.strip().encode("ascii", "replace") or b"?")
    else:
        return None
    value = raw.value
    if codec is None or b"\x1b" in value:
        return None
    try:
        s = value.decode(codec)
    except UnicodeDecodeError:
        return None
    if vr == "PN":
        if "\\" in s or "=" in s:
            return None
        return s.rstrip("\x00 ").strip()
    parts = [p.rstrip("\x00 ") for p in s.split("\\")]
    return parts[0].strip() if len(parts) == 1 else "\\".join(parts)


def text(ds: Dataset, kw: str) -> str:
    elements = getattr(ds, "_dict", None)
    if elements is None:  # a metadata Header
        v = ds.get(kw)
    else:
        tag = _tag(kw)
        raw = elements.get(tag)
        if raw is None:
            return ""
        v = _plain_text(ds, elements, tag, raw)
        if v is not None:
            return v
        v = _converted(ds, tag, raw)
    if v is None:
        return ""
    if isinstance(v, (list, tuple)) or type(v).__name__ == "MultiValue":
        return "\\".join(str(x) for x in v)
    return str(v).strip()


def integer(ds: Dataset, kw: str, default: int | None = None) -> int | None:
    v = get(ds, kw)
    try:
        return int(v) if v not in (None, "") else default
    except (TypeError, ValueError):
        return default


def floats(v) -> tuple[float, ...] | None:
    if v is None or v == "":
        return None
    try:
        vals = tuple(float(x) for x in (v if hasattr(v, "__iter__") and not isinstance(v, str) else [v]))
    except (TypeError, ValueError):
        return None
    return vals if all(math.isfinite(x) for x in vals) else None


