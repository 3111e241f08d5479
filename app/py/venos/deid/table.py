"""PS3.15 Annex E Table E.1-1 (edition 2024b) as data, and the action it asks of one attribute under the options.

``table.json`` beside this module transcribes the standard's table: tag, keyword, the Basic Profile action and the
action under each of the four options VeNOS offers. The standard's action codes (PS3.15 E.1.1): D dummy, Z zero
length, X remove, K keep, C clean, U remap UID, and the IOD-dependent Z/D, X/Z, X/D, X/Z/D, X/Z/U*.
"""
from __future__ import annotations

import json
import os
from dataclasses import dataclass
from functools import lru_cache

TABLE = os.path.join(os.path.dirname(__file__), "table.json")
OPTIONS = ("modified_dates", "patient_characteristics", "device_identity", "clean_descriptors")
CODES = frozenset({"D", "Z", "X", "K", "C", "U", "Z/D", "X/Z", "X/D", "X/Z/D", "X/Z/U*"})

# The combined codes depend on the attribute's Type in the file's IOD, which a generic de-identifier does not know.
# VeNOS keeps an attribute present when the code allows it and never invents a value it need not: Z/D and X/Z/D
# -> Z (zero length), X/Z -> Z, X/D -> X, X/Z/U* -> the sequence kept, its items walked and their UIDs remapped.
RESOLVED = {"Z/D": "Z", "X/Z": "Z", "X/D": "X", "X/Z/D": "Z", "X/Z/U*": "U"}


@dataclass(frozen=True)
class Row:
    tag: int
    keyword: str
    basic: str
    options: tuple[tuple[str, str], ...]  # (option name, action) where the table gives one

    def action(self, enabled: frozenset[str]) -> str:
        """The table's code for this attribute when the ``enabled`` options are in force: an option's requirement
        overrides the profile's (PS3.15 E.1.1). Where two enabled options disagree (K under Retain Device Identity,
        C under Modified Dates, for calibration dates), C wins: a kept real date would undo the date shift."""
        given = [a for name, a in self.options if name in enabled]
        if not given:
            return self.basic
        return "C" if "C" in given else given[0]


@lru_cache(maxsize=1)
def _load() -> tuple[str, dict[int, Row], tuple[tuple[int, int, str, str], ...]]:
    with open(TABLE, encoding="utf-8") as f:
        data = json.load(f)
    rows = {}
    for tag, keyword, basic, opts in data["rows"]:
        rows[int(tag, 16)] = Row(int(tag, 16), keyword, basic, tuple(sorted(opts.items())))
    ranges = []
    for r in data["ranges"]:  # "50xxxxxx" / "60xx4000": a mask of the fixed hex digits and their value
        mask = int("".join("0" if c == "x" else "F" for c in r["tag"]), 16)
        value = int(r["tag"].replace("x", "0"), 16)
        ranges.append((mask, value, r["name"].replace(" ", ""), r["basic"]))
    return data["source"], rows, tuple(ranges)


def edition() -> str:
    """The standard's edition and table the data was transcribed from."""
    return _load()[0]


def rows() -> dict[int, Row]:
    """Every attribute the table names, by tag."""
    return _load()[1]


def lookup(tag: int) -> Row | None:
    """The table's row for ``tag``: an attribute it names, or one of its ranges (curves 50xx, overlay comments
    60xx,4000, overlay data 60xx,3000). None when the table does not name it."""
    _src, table, ranges = _load()
    row = table.get(tag)
    if row is not None:
        return row
    for mask, value, name, basic in ranges:
        if tag & mask == value and (tag >> 16) % 2 == 0:
            return Row(tag, name, basic, ())
    return None


def is_private(tag: int) -> bool:
    """An odd group (PS3.5 7.8): the table's "(gggg,eeee) where gggg is odd" row."""
    return (tag >> 16) % 2 == 1


def is_overlay_or_curve(tag: int) -> bool:
    """A repeating group the profile removes: curve data (50xx) or an overlay plane (60xx, PS3.3 C.9.2)."""
    group = tag >> 16
    return group % 2 == 0 and (group & 0xFF00) in (0x5000, 0x6000)


def concrete(code: str) -> str:
    """The single action (D, Z, X, K, C, U) VeNOS carries out for a table code."""
    if code not in CODES:
        raise ValueError(f"unknown PS3.15 action code {code!r}")
    return RESOLVED.get(code, code)
