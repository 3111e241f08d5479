"""Lengths carry units and say where the spacing came from (PS3.3 10.7.1.3)."""
import dataclasses

import pytest

from conftest import data_path
from venos.dicom.attrs import image_info
from venos.dicom.parse import read_dataset
from venos.tools.measure import length


@pytest.fixture(scope="module")
def ct_info():
    p = data_path("dcm_qa_ct/GE/01.dcm")
    parsed = read_dataset(p.read_bytes(), source=p.name)
    return image_info(parsed.dataset, source=p.name, pixels=parsed.pixels)


def test_pixel_spacing_gives_millimetres(ct_info):
    row, col = ct_info.pixel_spacing
    r = length(ct_info, (10, 20), (110, 20))
    assert r["units"] == "mm" and r["value"] == pytest.approx(100 * col)
    assert "PixelSpacing" in r["spacing"] and "patient" in r["spacing"]
    r = length(ct_info, (0, 0), (30, 40))
    assert r["value"] == pytest.approx(((30 * col) ** 2 + (40 * row) ** 2) ** 0.5)


def test_imager_spacing_says_detector(ct_info):
    info = dataclasses.replace(ct_info, pixel_spacing=(0.2, 0.1), spacing_source="ImagerPixelSpacing")
    r = length(info, (0, 0), (0, 10))
    assert r["value"] == pytest.approx(2.0) and "detector" in r["spacing"]


def test_no_spacing_stays_in_pixels(ct_info):
    info = dataclasses.replace(ct_info, pixel_spacing=None, spacing_source="")
    r = length(info, (0, 0), (3, 4))
    assert r == {"value": 5.0, "units": "px", "spacing": r["spacing"]} and "pixels" in r["spacing"]
