"""The tag browser: what is in the file of the slice on screen, as pydicom reads it, filterable, shown as text."""
from __future__ import annotations

import io

import pydicom
import pytest

from conftest import data_path

pytestmark = pytest.mark.browser

CT = sorted(data_path("dcm_qa_ct/GE").glob("*.dcm"))


def tag_text(t) -> str:
    return f"({t.group:04X},{t.element:04X})"


def test_tags_of_the_slice_on_screen_match_pydicom_and_follow_the_slice(viewer):
    viewer.open()
    viewer.load_via_input(CT[:3])
    viewer.set_view({"slice": 1})
    viewer.page.click("#tags")
    viewer.page.wait_for_selector("#tags-dialog[open] #tags-table tbody tr")
    out = viewer.eval("venos.tags()")
    ref = pydicom.dcmread(data_path("dcm_qa_ct/GE") / out["source"])
    top = [r for r in out["rows"] if r["depth"] == 0]
    assert [r["tag"] for r in top] == [tag_text(e.tag) for e in ref.file_meta] + [tag_text(e.tag) for e in ref]
    state = viewer.eval("venos.viewState()")
    assert viewer.page.text_content("#tags-file") == out["source"]
    shown = viewer.page.locator("#tags-table tbody tr").count()
    assert shown == len(out["rows"])
    assert viewer.page.text_content("#tags-count") == f"{shown} elements"
    # the filter keeps what matches a keyword, a tag or a value
    viewer.page.fill("#tags-filter", "patientname")
    visible = viewer.page.locator("#tags-table tbody tr:not([hidden])")
    assert visible.count() == 1
    assert visible.locator("td").nth(0).text_content() == "(0010,0010)"
    assert visible.locator("td").nth(3).text_content() == str(ref.PatientName)
    viewer.page.fill("#tags-filter", "(0028,0030)")
    assert viewer.page.locator("#tags-table tbody tr:not([hidden]) td.value").first.text_content() == \
        "\\".join(str(v) for v in ref.PixelSpacing)
    # another slice while the dialog is open: its file is listed
    viewer.set_view({"slice": state["slice"] + 1})
    viewer.page.wait_for_function("(s) => document.getElementById('tags-file').textContent !== s", arg=out["source"])
    assert viewer.page.text_content("#tags-file") == viewer.eval("venos.tags()")["source"]
    viewer.page.click("#tags-dialog .cloud-head button")  # Close
    viewer.page.wait_for_selector("#tags-dialog", state="hidden")
    # the keyboard opens it too
    viewer.page.focus("#viewport")
    viewer.page.keyboard.press("t")
    viewer.page.wait_for_selector("#tags-dialog[open]")


def test_values_from_the_file_are_text_not_html(viewer):
    viewer.open()
    ds = pydicom.dcmread(CT[0])
    evil = "<img src=x onerror=alert(1)>"
    ds.PatientName = evil
    ds.StudyDescription = "<script>alert(2)</script>"
    buf = io.BytesIO()
    ds.save_as(buf)
    viewer.drop({"evil.dcm": buf.getvalue()})
    viewer.page.wait_for_function("document.getElementById('ov-tl').textContent.length > 0")
    viewer.page.click("#tags")
    viewer.page.wait_for_selector("#tags-dialog[open] #tags-table tbody tr")
    values = viewer.page.locator("#tags-table td.value").all_text_contents()
    assert evil in values and "<script>alert(2)</script>" in values
    assert viewer.page.locator("#tags-dialog img, #tags-dialog script").count() == 0
    assert viewer.dialogs == []


def test_plain_image_says_it_has_no_elements(viewer):
    viewer.open()
    viewer.drop({"photo.png": _png()})
    viewer.page.wait_for_function("venos.viewState().series !== ''")
    viewer.page.click("#tags")
    viewer.page.wait_for_function("document.getElementById('tags-note').textContent.length > 0")
    assert viewer.page.text_content("#tags-note").startswith("A JPEG or PNG image")
    assert viewer.page.locator("#tags-table tbody tr").count() == 0


def _png() -> bytes:
    from PIL import Image

    out = io.BytesIO()
    Image.new("RGB", (8, 4), (200, 10, 10)).save(out, format="PNG")
    return out.getvalue()
