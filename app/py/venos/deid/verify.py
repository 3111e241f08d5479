"""Prove a de-identified file is what it claims: re-read its bytes and compare with the original."""
from __future__ import annotations

import io
import warnings

from pydicom.charset import encode_string
from pydicom.dataset import Dataset
from pydicom.filereader import dcmread, read_partial
from pydicom.filereader import _at_pixel_data
from pydicom.multival import MultiValue

from . import table
from .core import well_known_uid
from .options import Options
from .values import BINARY_VRS

MIN_LEAK = 4  # shorter values ("M", "CT", "0") occur by chance in any file
MIN_NUMERIC_LEAK = 8  # digits only: shorter ones turn up by chance in the new random UIDs' decimals
# Searched for in the bytes: text and dates. Numbers and times ("000000", "70.0") recur by chance.
SEARCHED_VRS = frozenset({"AE", "DA", "DT", "LO", "LT", "PN", "SH", "ST", "UC", "UT"})


def _read(data: bytes, *, stop: bool) -> Dataset:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        if not stop:
            return dcmread(io.BytesIO(data), force=True)
        return read_partial(io.BytesIO(data), stop_when=_at_pixel_data, force=True)


def _flatten(ds: Dataset, out: dict[int, list]) -> dict[int, list]:
    for elem in ds:
        if elem.VR == "SQ":
            for item in elem.value or ():
                _flatten(item, out)
        else:
            out.setdefault(int(elem.tag), []).append(elem)
    return out


def _values(elem) -> list[str]:
    value = elem.value
    if elem.VR in BINARY_VRS or value is None or isinstance(value, (bytes, bytearray)):
        return []
    values = list(value) if isinstance(value, (list, tuple, MultiValue)) else [value]
    return [str(v).strip() for v in values if str(v).strip()]


def _must_change(code: str, vr: str, options: Options) -> bool:
    """Whether an attribute's non-empty original value may not survive under ``code``."""
    if code in ("X", "Z", "D", "U"):
        return True
    if code == "C" and vr in ("DA", "DT"):
        return True  # shifted (Options refuses a shift of 0 days)
    return code == "C" and vr == "AE"


def verify(original: Dataset | bytes, deidentified: bytes, options: Options) -> list[str]:
    """The problems found in ``deidentified`` (the written file's bytes) against ``original``; empty means clean:
    no attribute the profile removes, replaces or remaps kept its original value (in any sequence item); no
    original identifying text or date of such an attribute occurs anywhere in the file's bytes, pixel data included
    (text in a compressed stream's comment segments; four characters or more, eight when only digits; a value the profile keeps verbatim elsewhere, such as a code
    meaning, does not count); no private attribute outside ``options.safe_private``; Patient Identity Removed is
    YES."""
    with warnings.catch_warnings():  # pydicom warns about what a damaged file holds; the answer is the list
        warnings.simplefilter("ignore")
        return _verify(original, deidentified, options)


def _verify(original: Dataset | bytes, deidentified: bytes, options: Options) -> list[str]:
    orig = _read(original, stop=False) if isinstance(original, (bytes, bytearray)) else original
    try:
        out = _read(bytes(deidentified), stop=False)
        head = bytes(deidentified)  # the whole file: a compressed stream may carry text of its own
    except Exception as exc:  # noqa: BLE001 - any failure to re-read is the problem to report
        return [f"the de-identified file cannot be read back ({type(exc).__name__}: {exc})"]
    problems = []
    if str(out.get("PatientIdentityRemoved", "")) != "YES":
        problems.append("(0012,0062) Patient Identity Removed is not YES")
    enabled = options.enabled
    before, after = _flatten(orig, {}), _flatten(out, {})
    encodings = orig.get("SpecificCharacterSet") or "ISO_IR 6"
    leaks: set[tuple[str, str]] = set()
    for tag, elems in sorted(before.items()):
        row = table.lookup(tag)
        if row is None or table.is_private(tag):
            continue
        code = table.concrete(row.action(enabled))
        vr = elems[0].VR
        if not _must_change(code, vr, options):
            continue
        old = {v for e in elems for v in _values(e)}
        if vr == "UI":
            old = {v for v in old if not well_known_uid(v)}
        new = {v for e in after.get(tag, []) for v in _values(e)}
        if old & new:
            problems.append(f"{row.keyword} {_tag(tag)} kept its original value (action {code})")
        if vr in SEARCHED_VRS:
            leaks.update((row.keyword, v) for v in old if len(v) >= MIN_LEAK)
    # A value the profile keeps verbatim elsewhere is not a leak of this one: a coded string or code meaning
    # ("HEAD", "US KIDNEY", PS3.15 E.1.1 Notes 9 and 10) or an attribute kept as is (Institution Name = Manufacturer).
    kept = {v for t, es in after.items() for e in es if _kept_verbatim(t, e.VR, enabled) for v in _values(e)}
    for keyword, value in sorted(leaks):
        if value in kept or (len(value) < MIN_NUMERIC_LEAK and not any(c.isalpha() for c in value)):
            continue
        for form in _encoded(value, encodings):
            if form in head:
                problems.append(f"the original value of {keyword} occurs in the de-identified file's bytes")
                break
    safe = options.safe_private
    creators = {(t >> 16, t & 0xFF): {str(e.value) for e in es} for t, es in after.items()
                if table.is_private(t) and 0x10 <= (t & 0xFFFF) <= 0xFF}
    for tag in sorted(t for t in after if table.is_private(t)):
        group, el = tag >> 16, tag & 0xFFFF
        if 0x10 <= el <= 0xFF:
            ok = any(g == group and c in creators[(group, el)] for g, c, _b in safe)
        else:
            names = creators.get((group, el >> 8), set())
            ok = any(g == group and c in names and b == el & 0xFF for g, c, b in safe)
        if not ok:
            problems.append(f"private attribute {_tag(tag)} survives outside the safe list")
    return problems


def _kept_verbatim(tag: int, vr: str, enabled: frozenset[str]) -> bool:
    if vr == "CS" or tag == 0x00080104:  # Code Meaning
        return True
    row = table.lookup(tag)
    return not table.is_private(tag) and (row is None or table.concrete(row.action(enabled)) == "K")


def _tag(tag: int) -> str:
    return f"({tag >> 16:04X},{tag & 0xFFFF:04X})"


def _encoded(value: str, encodings) -> list[bytes]:
    forms = []
    for enc in ([encodings] if isinstance(encodings, str) else list(encodings)):
        try:
            forms.append(encode_string(value, [enc]))
        except Exception:  # noqa: BLE001 - a value the character set cannot hold is searched as UTF-8 only
            pass
    forms.append(value.encode("utf-8", "replace"))
    return forms
