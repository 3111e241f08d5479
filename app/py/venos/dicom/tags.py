"""What is in a file: every data element of one instance as rows for a tag browser.

Rows are plain values (strings and numbers) in file order, File Meta first; sequences are followed by their items
and the items' elements one level deeper. Values are text: long ones are cut (saying so), binary ones are given as
a byte count and their first bytes in hexadecimal, and a value pydicom cannot read is listed with the reason
instead of stopping the list. The page shows every string with ``textContent`` only.
"""
from __future__ import annotations

from typing import Any

from pydicom.datadict import dictionary_description, dictionary_VR
from pydicom.dataset import Dataset
from pydicom.multival import MultiValue

from .parse import PIXEL_TAGS, PixelLocation

MAX_VALUE_CHARS = 256
MAX_ROWS = 5000  # an enhanced multi-frame file can hold hundreds of thousands of elements
HEX_BYTES = 16


def tag_rows(ds: Dataset, pixels: PixelLocation | None = None, buffer: bytes = b"", *,
             max_rows: int = MAX_ROWS) -> dict:
    """``{"rows": [...], "truncated": bool}``; each row ``{tag, keyword, name, vr, value, length, depth}``.

    ``pixels``/``buffer``: where the pixel data element is in the file's bytes (it is located, not parsed)."""
    rows: list[dict] = []
    state = {"truncated": False}

    def add(row: dict) -> bool:
        if len(rows) >= max_rows:
            state["truncated"] = True
            return False
        rows.append(row)
        return True

    def walk(dataset: Dataset, depth: int) -> bool:
        for tag in sorted(dataset.keys()):
            try:
                elem = dataset[tag]
            except Exception as exc:  # a malformed value: say so and go on with the next element
                raw = dataset.get_item(tag)
                vr = str(getattr(raw, "VR", "") or "")
                if not add(_row(tag, "", "", vr, f"(cannot be read: {type(exc).__name__}: {exc})"[:MAX_VALUE_CHARS],
                                _raw_length(raw), depth)):
                    return False
                continue
            vr = str(elem.VR or "")
            if vr == "SQ":
                items = elem.value or []
                if not add(_row(tag, elem.keyword, elem.name, vr, f"{len(items)} item{'s' if len(items) != 1 else ''}",
                                None, depth)):
                    return False
                for i, item in enumerate(items):
                    if not add(_row(0xFFFEE000, "Item", f"Item {i + 1}", "", "", None, depth + 1)):
                        return False
                    if not walk(item, depth + 2):
                        return False
                continue
            if not add(_row(tag, elem.keyword, elem.name, vr, format_value(elem.value), _length(elem.value),
                            depth)):
                return False
        return True

    meta = getattr(ds, "file_meta", None)
    complete = walk(meta, 0) if meta is not None else True
    if complete and walk(ds, 0) and pixels is not None:
        add(pixel_row(pixels, buffer))
    return {"rows": rows, "truncated": state["truncated"]}


_PIXEL_TAG = {keyword: tag for tag, keyword in PIXEL_TAGS.items()}


def pixel_row(loc: PixelLocation, buffer: bytes = b"") -> dict:
    """The pixel data element, located but not read into the dataset (its bytes are the image). Its name and, for
    an implicit transfer syntax, its VR come from pydicom's dictionary ("OB or OW" for Pixel Data)."""
    tag = _PIXEL_TAG[loc.keyword]
    name, vr = dictionary_description(tag), dictionary_VR(tag)
    if not loc.implicit_vr and len(buffer) >= loc.header_offset + 6:
        vr = bytes(buffer[loc.header_offset + 4:loc.header_offset + 6]).decode("ascii", "replace")
    if loc.encapsulated:
        value = f"encapsulated (compressed) frames: {loc.available} bytes"
        length = None
    else:
        value = f"{loc.length} bytes" + ("" if loc.available >= loc.length else
                                        f" declared, {loc.available} present (truncated file)")
        length = loc.length
    return _row(tag, loc.keyword, name, vr, value, length, 0)


def format_value(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, (bytes, bytearray, memoryview)):
        data = bytes(value)
        if not data:
            return ""
        head = data[:HEX_BYTES].hex(" ")
        return f"{len(data)} bytes: {head}" + (" …" if len(data) > HEX_BYTES else "")
    if isinstance(value, (MultiValue, list, tuple)):
        text = "\\".join(_one(v) for v in value)
    else:
        text = _one(value)
    if len(text) > MAX_VALUE_CHARS:
        text = text[:MAX_VALUE_CHARS] + f" … ({len(text)} characters)"
    return text


def _one(v: Any) -> str:
    """One value as the file has it: DS and IS keep their original text (str of pydicom's DSfloat/IS)."""
    if isinstance(v, (bytes, bytearray)):
        return v.decode("latin-1", "replace")
    return str(v)


def _length(value: Any) -> int | None:
    if isinstance(value, (bytes, bytearray, memoryview)):
        return len(value)
    return None


def _raw_length(raw: Any) -> int | None:
    value = getattr(raw, "value", None)
    return len(value) if isinstance(value, (bytes, bytearray)) else None


def _row(tag: int, keyword: str, name: str, vr: str, value: str, length: int | None, depth: int) -> dict:
    tag = int(tag)
    return {"tag": f"({tag >> 16:04X},{tag & 0xFFFF:04X})", "keyword": keyword or "", "name": name or "",
            "vr": vr, "value": value, "length": length, "depth": depth}
