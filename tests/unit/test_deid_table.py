"""The transcribed PS3.15 Table E.1-1 (2024b) against rows read from the standard, and the value helpers."""
from __future__ import annotations

import pytest
from pydicom.datadict import keyword_for_tag

from venos.deid import table
from venos.deid.values import clean_text, dummy, shift_date, vm_count


def test_table_rows_as_the_standard_gives_them():
    assert "2024b" in table.edition() and "E.1-1" in table.edition()
    rows = table.rows()
    assert len(rows) > 600
    for tag, row in rows.items():
        assert row.basic in table.CODES and all(a in table.CODES for _o, a in row.options)
        assert {o for o, _a in row.options} <= set(table.OPTIONS)
        assert row.keyword == keyword_for_tag(tag)
    spot = {  # tag: (basic, {option: action}) read from PS3.15 2024b Table E.1-1
        0x00100010: ("Z", {}), 0x00100020: ("Z/D", {}), 0x00080018: ("U", {}), 0x00200052: ("U", {}),
        0x00080020: ("Z", {"modified_dates": "C"}), 0x00081140: ("X/Z/U*", {}), 0x00082112: ("X/Z/U*", {}),
        0x00101010: ("X", {"patient_characteristics": "K"}), 0x00081010: ("X/Z/D", {"device_identity": "K"}),
        0x0008103E: ("X", {"clean_descriptors": "C"}), 0x00080080: ("X/Z/D", {}), 0x00400555: ("X/Z", {}),
        0x00080055: ("X", {"device_identity": "C"}), 0x00880200: ("X", {}), 0xFFFAFFFA: ("X", {}),
        0x0018700C: ("X/D", {"modified_dates": "C", "device_identity": "K"}),
    }
    for tag, (basic, options) in spot.items():
        assert (rows[tag].basic, dict(rows[tag].options)) == (basic, options), keyword_for_tag(tag)


def test_ranges_and_option_precedence():
    assert table.lookup(0x50002500).basic == "X" and table.lookup(0x501E0010).keyword == "CurveData"
    assert table.lookup(0x60024000).keyword == "OverlayComments" and table.lookup(0x60003000).basic == "X"
    assert table.lookup(0x60000010) is None and table.is_overlay_or_curve(0x60000010)
    assert table.is_private(0x00091001) and not table.is_private(0x00100010)
    calibration = table.rows()[0x0018700C]
    assert calibration.action(frozenset()) == "X/D"
    assert calibration.action(frozenset({"device_identity"})) == "K"
    assert calibration.action(frozenset({"device_identity", "modified_dates"})) == "C"
    assert [table.concrete(c) for c in ("Z/D", "X/Z", "X/D", "X/Z/D", "X/Z/U*", "K")] == ["Z", "Z", "X", "Z", "U", "K"]
    with pytest.raises(ValueError):
        table.concrete("Q")


def test_values():
    assert shift_date("20200301", "DA", -1) == "20200229"
    assert shift_date("20200301-20200310", "DA", 1) == "20200302-20200311"
    assert shift_date("2020", "DT", 400) == "2021" and shift_date("20200115101500.5+0100", "DT", -15) == \
        "20191231101500.5+0100"
    assert shift_date("garbage", "DA", 3) is None and shift_date("20201340", "DA", 1) is None
    assert dummy("DA", "1", text="X") == "19000101" and dummy("US", "2", text="X") == [0, 0]
    assert dummy("SH", "1", text="A" * 40) == "A" * 16 and dummy("OB", "1", text="X") == b"\x00\x00"
    assert dummy("CS", "1", text="anon-x") == "ANON_X" and vm_count("2-2n") == 2 and vm_count("1-n") == 1
    assert clean_text("CT HEAD Smith 01/02/2003 ID 1234567", ["Smith"]) == "CT HEAD ID"
