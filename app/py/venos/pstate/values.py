"""Guarded reads of presentation-state values: nothing here raises, whatever the dataset holds.

Every read returns a plain Python value or None; what is malformed is said once in ``Notes`` (the reader's
``unsupported`` list), so a hostile or broken file degrades to fewer settings, never to an exception.
"""
from __future__ import annotations

import math

from ..dicom.values import get as _raw_get

# Bounds on what one presentation state may make us build (hostile input).
MAX_OBJECTS = 10_000      # graphic and text objects in all
MAX_POINTS = 100_000      # graphic points in all
MAX_REFS = 10_000         # image/frame references per Referenced Image Sequence, and cells in all
MAX_ITEMS = 10_000        # items read from any one sequence
MAX_TEXT = 1024           # characters of one text value (ST holds at most 1024)
MAX_NOTES = 100           # distinct reasons kept


class Notes:
    """The plain-text reasons for what is present and not represented, and the running object/point budget."""

    def __init__(self) -> None:
        self.reasons: list[str] = []
        self._seen: set[str] = set()
        self.objects = 0
        self.points = 0
        self.more = 0

    def add(self, reason: str) -> None:
        if reason in self._seen:
            return
        if len(self.reasons) >= MAX_NOTES:
            self.more += 1
            return
        self._seen.add(reason)
        self.reasons.append(reason)

    def result(self) -> list[str]:
        return self.reasons + ([f"… and {self.more} more reasons not listed"] if self.more else [])


def get(item, kw: str):
    """The value of ``kw`` in a dataset or item, or None when absent, empty or unreadable."""
    if item is None:
        return None
    try:
        v = _raw_get(item, kw)  # numbers, codes and UIDs straight from the raw bytes (profiled: 5x faster)
    except Exception:  # a malformed element that pydicom cannot convert
        return None
    return None if v is None or v == "" else v


def items(item, kw: str, notes: Notes, what: str) -> list:
    """The items of sequence ``kw`` (at most MAX_ITEMS; the rest said in ``notes``)."""
    seq = get(item, kw)
    if seq is None:
        return []
    try:
        n = len(seq)
        out = [seq[i] for i in range(min(n, MAX_ITEMS))]
    except Exception:
        notes.add(f"{what}: the {kw} could not be read")
        return []
    if n > MAX_ITEMS:
        notes.add(f"{what}: only the first {MAX_ITEMS} of {n} items of {kw} are read")
    return out


def _as_list(v) -> list:
    if v is None:
        return []
    if isinstance(v, (str, bytes, int, float)):
        return [v]
    try:
        return list(v)
    except TypeError:
        return [v]


def numbers(item, kw: str, *, count: int | None = None, limit: int = MAX_POINTS * 2) -> list[float] | None:
    """Finite floats of a numeric (or numeric-string) element; None if absent, malformed or not ``count`` long."""
    v = get(item, kw)
    if v is None or isinstance(v, bytes):
        return None
    vals = _as_list(v)
    if len(vals) > limit or (count is not None and len(vals) != count):
        return None
    try:
        out = [float(x) for x in vals]
    except (TypeError, ValueError):
        return None
    return out if out and all(math.isfinite(x) for x in out) else None


def floats_un(item, kw: str, *, limit: int) -> list[float] | None:
    """An FL element that arrived as UN bytes (an explicit-VR writer cannot give FL more than 64 KiB, so it writes
    UN, PS3.5 6.2.2): read as little-endian float32, at most ``limit`` values; else as :func:`numbers`."""
    v = get(item, kw)
    if not isinstance(v, bytes):
        return numbers(item, kw, limit=limit)
    if len(v) % 4 or len(v) // 4 > limit:
        return None
    import numpy as np

    out = np.frombuffer(v, dtype="<f4").astype(float)
    return out.tolist() if len(out) and np.isfinite(out).all() else None


def number(item, kw: str) -> float | None:
    vals = numbers(item, kw)
    return vals[0] if vals else None


def integer(item, kw: str) -> int | None:
    v = number(item, kw)
    return int(v) if v is not None and v == int(v) else None


def code(item, kw: str) -> str:
    """A code string (CS) upper-cased and stripped; "" when absent or unreadable."""
    v = get(item, kw)
    if isinstance(v, (list, tuple)) or type(v).__name__ == "MultiValue":
        v = v[0] if len(v) else ""
    return plain(v, limit=64).upper()


def codes(item, kw: str) -> list[str]:
    v = get(item, kw)
    return [plain(x, limit=64).upper() for x in _as_list(v)[:16]]


def plain(v, *, limit: int = MAX_TEXT) -> str:
    """Any value as plain text for textContent: no control characters but newline and tab, at most ``limit``."""
    if v is None:
        return ""
    if isinstance(v, bytes):
        v = v.decode("latin-1")
    s = str(v)
    s = s.replace("\r\n", "\n").replace("\r", "\n")
    s = "".join(ch for ch in s if ch in "\n\t" or (ord(ch) >= 0x20 and not 0x7F <= ord(ch) < 0xA0))
    s = s.strip()
    return s[:limit - 1] + "…" if len(s) > limit else s


def person(v) -> str:
    """A Person Name (PS3.5 6.2) as readable text: "Dr Jane A Doe" from "Doe^Jane^A^Dr"."""
    s = plain(v, limit=256).split("=")[0]
    parts = (s.split("^") + [""] * 5)[:5]
    family, given, middle, prefix, suffix = (p.strip() for p in parts)
    return " ".join(p for p in (prefix, given, middle, family, suffix) if p)


def uid(v) -> str:
    s = plain(v, limit=64)
    return s if s and all(ch in "0123456789." for ch in s) else ""
