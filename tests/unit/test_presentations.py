"""Presentation states in the session (CPython): kept when loaded, resolved onto the loaded images."""
from __future__ import annotations

from pathlib import Path

import pydicom

import synthetic as sy
from venos import api

DATA = Path(__file__).resolve().parents[2].parent / "shared/data/dicom"
if not DATA.is_dir():
    DATA = Path("/work/shared/data/dicom")
CT = sorted((DATA / "dcm_qa_ct/GE").glob("*.dcm"))[:3]


def _images():
    return [pydicom.dcmread(p, stop_before_pixels=True) for p in CT]


def test_a_gsps_is_kept_and_applied_to_its_series_whichever_comes_first():
    api.clear()
    data = sy.gsps(_images(), center=-600, width=1500, rotation=90, flip=True, area=(101, 51, 400, 300),
                   inverse=True, polyline=[[10, 10], [50, 10], [50, 40]], text=("Nodule", [60, 20]))
    r = api.add_file("pr.dcm", data)
    assert r["presentation"]["label"] == "TEACHING" and r["presentation"]["graphics"] == 2
    (pr,) = api.presentations()["presentations"]
    assert pr["views"] == [] and pr["waiting"] == 3  # its images are not loaded yet
    for p in CT:
        api.add_file(p.name, p.read_bytes())
    (pr,) = api.presentations()["presentations"]
    (view,) = pr["views"]
    sid = api.series()[0]["id"]
    assert view["series"] == sid and view["rotate"] == 90 and view["flip"] is True
    assert (view["center"], view["width"], view["voiFunction"]) == (-600, 1500, "LINEAR")
    assert view["invert"] is True and view["area"]["box"] == [100, 50, 400, 300]
    first = pydicom.dcmread(CT[0], stop_before_pixels=True).SOPInstanceUID
    line, text = sorted(pr["graphics"], key=lambda g: g["kind"])
    assert line["kind"] == "polyline" and line["points"] == [[10, 10], [50, 10], [50, 40]]
    assert text["kind"] == "text" and text["text"] == "Nodule"
    assert api.locate([{"sop": first, "frame": 0}])[0]["slice"] == line["slice"]
    assert pr["description"] == "<b>not markup</b>"  # plain text: the page sets it as text


def test_a_colour_presentation_state_is_a_named_skip():
    api.clear()
    ds = pydicom.dcmread(__import__("io").BytesIO(sy.gsps(_images())))
    ds.SOPClassUID = ds.file_meta.MediaStorageSOPClassUID = "1.2.840.10008.5.1.4.1.1.11.2"
    buf = __import__("io").BytesIO()
    ds.save_as(buf, enforce_file_format=True)
    r = api.add_file("colour-pr.dcm", buf.getvalue())
    assert r["ok"] is False and "Color Softcopy Presentation State" in r["error"]["message"]
    assert api.presentations()["presentations"] == []
