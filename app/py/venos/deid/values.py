"""Replacement values: dummies valid for a VR and VM (action D), shifted dates (C under the Modified Dates option)
and cleaned descriptor text (C under Clean Descriptors)."""
from __future__ import annotations

import datetime as dt
import re

TEXT_VRS = frozenset({"AE", "AS", "CS", "DA", "DS", "DT", "IS", "LO", "LT", "PN", "SH", "ST", "TM", "UC", "UR",
                      "UT", "UI"})
FREE_TEXT_VRS = frozenset({"LT", "ST", "UT", "UC"})
BINARY_VRS = frozenset({"OB", "OD", "OF", "OL", "OV", "OW", "UN"})
NUMBER_VRS = frozenset({"FL", "FD", "SL", "SS", "UL", "US", "SV", "UV", "AT"})
MAX_LEN = {"AE": 16, "CS": 16, "SH": 16, "LO": 64, "PN": 64}


def vm_count(vm: str) -> int:
    """The fewest values a dictionary VM allows that is at least one: '1' → 1, '2' → 2, '1-n' → 1, '2-2n' → 2."""
    head = re.match(r"\d+", vm or "1")
    return max(1, int(head.group()) if head else 1)


def dummy(vr: str, vm: str, *, text: str):
    """A non-empty value valid for ``vr`` with the fewest values ``vm`` allows (PS3.5 6.2); ``text`` for the
    character VRs whose content is free. None for SQ and UI (handled by the caller)."""
    if vr in ("SQ", "UI"):
        return None
    one = {"DA": "19000101", "DT": "19000101000000", "TM": "000000", "AS": "000Y", "DS": "0", "IS": "0",
           "UR": "urn:none"}.get(vr)
    if one is None and vr in TEXT_VRS:
        one = text[:MAX_LEN.get(vr, 64)]
        if vr in ("AE", "CS"):
            one = re.sub(r"[^A-Z0-9_ ]", "_", one.upper()) or "X"
    if vr in NUMBER_VRS:
        one = 0
    if vr in BINARY_VRS:
        return b"\x00\x00"
    if one is None:
        one = text
    n = vm_count(vm)
    return one if n == 1 else [one] * n


def _shift_da(value: str, days: int) -> str | None:
    value = value.strip()
    if re.fullmatch(r"\d{8}", value):
        try:
            return (dt.date(int(value[:4]), int(value[4:6]), int(value[6:])) + dt.timedelta(days=days)).strftime(
                "%Y%m%d")
        except ValueError:
            return None
    if re.fullmatch(r"\d{4}\.\d{2}\.\d{2}", value):  # ACR-NEMA style, still met in old files
        return _shift_da(value.replace(".", ""), days)
    return None


def shift_date(value: str, vr: str, days: int) -> str | None:
    """``value`` (DA, or DT's date part, YYYY[MM[DD]] precision kept) moved by ``days``; a range 'a-b' (DA) shifts
    both ends. None when the value is not a date VeNOS can read (the caller then empties it)."""
    if vr == "DA":
        if "-" in value:
            ends = [_shift_da(v, days) if v.strip() else "" for v in value.split("-", 1)]
            return None if None in ends else "-".join(ends)
        return _shift_da(value, days)
    m = re.fullmatch(r"(\d{4})(\d{2})?(\d{2})?(.*)", value.strip())
    if m is None or not re.fullmatch(r"(\d{2}(\d{2}(\d{2}(\.\d{1,6})?)?)?)?([+-]\d{4})?", m.group(4)):
        return None
    year, month, day, rest = m.group(1), m.group(2) or "01", m.group(3) or "01", m.group(4)
    new = _shift_da(year + month + day, days)
    if new is None:
        return None
    keep = 4 + (2 if m.group(2) else 0) + (2 if m.group(3) else 0)
    return new[:keep] + rest


DATE_LIKE = re.compile(r"\b(\d{8}|\d{4}[-/.]\d{1,2}[-/.]\d{1,2}|\d{1,2}[-/.]\d{1,2}[-/.]\d{2,4})\b")
LONG_NUMBER = re.compile(r"\d{5,}")


def clean_text(value: str, identifiers: list[str]) -> str:
    """Descriptor text with what may identify taken out (C under Clean Descriptors): every occurrence of an
    identifying value of the same file (``identifiers``: names, IDs, places, dates, case-insensitive), anything
    shaped like a date, and runs of five or more digits (IDs, phone numbers); spaces collapsed. Heuristic: a name
    that appears nowhere else in the file stays — choose the Basic Profile alone where that matters."""
    out = value
    for ident in identifiers:
        out = re.sub(re.escape(ident), " ", out, flags=re.IGNORECASE)
    out = DATE_LIKE.sub(" ", out)
    out = LONG_NUMBER.sub(" ", out)
    return re.sub(r"\s+", " ", out).strip(" ^")


def identifiers_of(value) -> list[str]:
    """The strings of one identifying value worth looking for elsewhere: the value and, for names, each component
    (PS3.5 6.2 PN), three characters or longer."""
    values = value if isinstance(value, (list, tuple)) else [value]
    out = []
    for v in values:
        s = str(v).strip()
        parts = [s] + [p for p in re.split(r"[\^=\s]+", s) if p]
        out.extend(p for p in parts if len(p) >= 3)
    return out
