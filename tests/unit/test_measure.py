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


# ------------------------------------------------------------------------------------------------ regions (ROI)
import math  # noqa: E402

import numpy as np  # noqa: E402
import pydicom  # noqa: E402

from venos import api  # noqa: E402
from venos.errors import VenosError  # noqa: E402
from venos.tools.measure import region_area, region_mask  # noqa: E402


def brute_mask(shape, p1, p2, rows, cols):
    """The definition, pixel by pixel: a pixel is in when its centre is inside the shape (boundary included)."""
    x0, x1 = sorted((p1[0], p2[0]))
    y0, y1 = sorted((p1[1], p2[1]))
    a, b = (x1 - x0) / 2, (y1 - y0) / 2
    out = np.zeros((rows, cols), dtype=bool)
    for r in range(rows):
        for c in range(cols):
            x, y = c + 0.5, r + 0.5
            if shape == "rectangle":
                out[r, c] = x0 <= x <= x1 and y0 <= y <= y1
            else:
                out[r, c] = ((x - x0 - a) / a) ** 2 + ((y - y0 - b) / b) ** 2 <= 1
    return out


@pytest.mark.parametrize("shape", ["rectangle", "ellipse"])
@pytest.mark.parametrize("p1,p2", [((10, 20), (13, 22)), ((30.2, 7.9), (4.6, 40.3)), ((-5, -5), (8.5, 6)),
                                   ((60, 50), (45.5, 63.25))])
def test_region_mask_is_the_pixel_centres_inside_the_shape(shape, p1, p2):
    mask, box = region_mask(shape, p1, p2, 64, 64)
    full = np.zeros((64, 64), dtype=bool)
    full[box] = mask
    assert np.array_equal(full, brute_mask(shape, p1, p2, 64, 64))


def test_rectangle_of_whole_pixels():
    mask, box = region_mask("rectangle", (10, 20), (13, 22), 64, 64)
    assert int(mask.sum()) == 6  # columns 10, 11, 12 × rows 20, 21


@pytest.fixture
def ct_loaded():
    api.clear()
    p = data_path("dcm_qa_ct/GE/01.dcm")
    sid = api.add_file("01.dcm", p.read_bytes())["series"]
    yield sid, pydicom.dcmread(p)
    api.clear()


@pytest.mark.parametrize("shape", ["rectangle", "ellipse"])
def test_region_statistics_in_hu_equal_numpy_on_pydicom_pixels(ct_loaded, shape):
    sid, ds = ct_loaded
    p1, p2 = (200.3, 180.7), (290.6, 262.2)
    r = api.measure_region({"series": sid, "slice": 0}, shape, *p1, *p2)
    hu = ds.pixel_array.astype(np.float64) * float(ds.RescaleSlope) + float(ds.RescaleIntercept)
    vals = hu[brute_mask(shape, p1, p2, ds.Rows, ds.Columns)]
    assert r["pixels"] == vals.size and r["units"] == "HU"
    assert r["mean"] == pytest.approx(vals.mean(), abs=1e-9)
    assert r["sd"] == pytest.approx(vals.std(), abs=1e-9)  # population SD
    assert (r["min"], r["max"]) == (vals.min(), vals.max())
    row_mm, col_mm = (float(v) for v in ds.PixelSpacing)
    w, h = p2[0] - p1[0], p2[1] - p1[1]
    area = w * h if shape == "rectangle" else math.pi * w / 2 * h / 2
    assert r["areaUnits"] == "mm²" and r["area"] == pytest.approx(area * row_mm * col_mm)
    assert "PixelSpacing" in r["spacing"]


def test_region_outside_the_image_has_no_pixels_and_bad_shape_is_refused(ct_loaded):
    sid, _ = ct_loaded
    r = api.measure_region({"series": sid, "slice": 0}, "ellipse", -50, -50, -10, -20)
    assert r["pixels"] == 0 and r["mean"] is None
    with pytest.raises(VenosError, match="unknown region shape"):
        api.measure_region({"series": sid, "slice": 0}, "polygon", 0, 0, 1, 1)


def test_region_area_without_spacing_is_in_pixels(ct_info):
    info = dataclasses.replace(ct_info, pixel_spacing=None, spacing_source="")
    r = region_area(info, "rectangle", (0, 0), (3, 4))
    assert r["area"] == 12 and r["areaUnits"] == "px²" and "pixels" in r["spacing"]


def test_colour_regions_give_each_channel(ct_loaded):
    rgb = data_path("pydicom-data/SC_rgb.dcm")
    sid = api.add_file("rgb.dcm", rgb.read_bytes())["series"]
    ds = pydicom.dcmread(rgb)
    r = api.measure_region({"series": sid, "slice": 0}, "rectangle", 0, 0, 20, 10)
    arr = ds.pixel_array[:10, :20].reshape(-1, 3).astype(np.float64)
    assert [c["mean"] for c in r["channels"]] == pytest.approx(list(arr.mean(axis=0)))
    assert r["pixels"] == 200 and "R, G, B" in r["note"]


# ------------------------------------------------------------------------------------------------ angles
from venos.tools.measure import angle  # noqa: E402


def test_right_angle_and_straight_line(ct_info):
    assert angle(ct_info, (10, 0), (0, 0), (0, 10))["value"] == pytest.approx(90.0)
    assert angle(ct_info, (-5, 3), (0, 3), (7, 3))["value"] == pytest.approx(180.0)
    r = angle(ct_info, (3, 3), (3, 3), (5, 1))
    assert r["value"] is None and "no length" in r["spacing"]


def test_angle_is_measured_in_the_patient_plane_on_non_square_pixels(ct_info):
    info = dataclasses.replace(ct_info, pixel_spacing=(2.0, 1.0), spacing_source="PixelSpacing")  # rows 2 mm apart
    r = angle(info, (1, 0), (0, 0), (1, 1))
    assert r["value"] == pytest.approx(math.degrees(math.atan2(2, 1)))  # 63.4°, not the 45° of the pixel grid
    assert r["units"] == "°" and "PixelSpacing" in r["spacing"]
    square = dataclasses.replace(ct_info, pixel_spacing=None, spacing_source="")
    r = angle(square, (1, 0), (0, 0), (1, 1))
    assert r["value"] == pytest.approx(45.0) and "square" in r["spacing"]


# ------------------------------------------------------------------------------------------------ padding
def test_padding_pixels_are_left_out_of_region_statistics(ct_loaded):
    sid, ds = ct_loaded
    pad = int(ds.PixelPaddingValue)  # GE: -1500 outside the circular field of view
    p1, p2 = (0, 0), (120, 120)  # the top-left corner: padding and image
    r = api.measure_region({"series": sid, "slice": 0}, "rectangle", *p1, *p2)
    arr = ds.pixel_array[:120, :120]
    kept = arr[arr != pad].astype(np.float64) * float(ds.RescaleSlope) + float(ds.RescaleIntercept)
    assert r["paddingExcluded"] == int((arr == pad).sum()) > 0
    assert r["pixels"] == kept.size and r["mean"] == pytest.approx(kept.mean(), abs=1e-9)
    assert r["min"] == kept.min() and "padding" in r["note"]
    probe = api.value_at({"series": sid, "slice": 0}, 1, 1)
    assert probe["stored"] == pad and probe["padding"] is True


# ------------------------------------------------------------------------------------------------ ultrasound
def us_info(rel):
    p = data_path(rel)
    parsed = read_dataset(p.read_bytes(), source=p.name)
    return image_info(parsed.dataset, source=p.name, pixels=parsed.pixels), pydicom.dcmread(p, stop_before_pixels=True)


def test_ultrasound_lengths_use_the_calibrated_region_that_holds_them():
    info, ds = us_info("pydicom-data/OBXXXX1A.dcm")  # no Pixel Spacing; region 1: 2D tissue, cm
    reg = ds.SequenceOfUltrasoundRegions[0]
    assert "PixelSpacing" not in ds and reg.RegionSpatialFormat == 1 and reg.PhysicalUnitsXDirection == 3
    r = length(info, (200, 100), (500, 400))
    want = math.hypot(300 * abs(reg.PhysicalDeltaX) * 10, 300 * abs(reg.PhysicalDeltaY) * 10)
    assert r["units"] == "mm" and r["value"] == pytest.approx(want) and "ultrasound region 1" in r["spacing"]
    # one end in the waveform strip below (region 2: seconds, not cm): no calibration, in pixels, said why
    r = length(info, (200, 100), (200, 550))
    assert r["units"] == "px" and "ultrasound region" in r["spacing"]
    a = region_area(info, "rectangle", (200, 100), (300, 200))
    assert a["areaUnits"] == "mm²" and a["area"] == pytest.approx(100 * 100 * (abs(reg.PhysicalDeltaX) * 10) ** 2)


def test_ultrasound_region_with_negative_delta_measures_its_size():
    info, ds = us_info("dicomParser/encapsulated/multi-frame/IM00001.implicit_little_endian.dcm")
    reg = ds.SequenceOfUltrasoundRegions[1]
    assert reg.PhysicalDeltaX < 0  # a direction, not a negative size
    r = length(info, (10, 50), (110, 50))
    assert r["value"] == pytest.approx(100 * abs(reg.PhysicalDeltaX) * 10) and "region 2" in r["spacing"]


# ------------------------------------------------------------------------------------------------ bidirectional
from venos.tools import Measured  # noqa: E402
from venos.tools.bidirectional import bidirectional  # noqa: E402


def bidir(info, *points):
    return bidirectional(Measured(info, None, None, tuple(points)))


def test_bidirectional_makes_the_second_line_perpendicular_and_centred_on_the_long_axis(ct_info):
    info = dataclasses.replace(ct_info, pixel_spacing=(0.5, 0.5), spacing_source="PixelSpacing")
    r = bidir(info, (0, 0), (100, 0), (50, -20), (55, 30))  # a slanted second line
    assert r["units"] == "mm" and "PixelSpacing" in r["spacing"]
    assert r["long"] == pytest.approx(50.0) and r["value"] == r["long"]
    assert r["short"] == pytest.approx(25.0)  # its extent across the long axis: 50 px × 0.5 mm
    assert r["points"][2] == pytest.approx([52.5, -25.0]) and r["points"][3] == pytest.approx([52.5, 25.0])
    # a second line off the end of the long axis is moved onto it
    r = bidir(info, (0, 0), (100, 0), (150, -10), (150, 10))
    assert r["points"][2][0] == pytest.approx(100.0) and r["short"] == pytest.approx(10.0)


def test_bidirectional_is_perpendicular_in_the_patient_plane_on_non_square_pixels(ct_info):
    info = dataclasses.replace(ct_info, pixel_spacing=(0.5, 1.0), spacing_source="PixelSpacing")  # rows 0.5 mm apart
    r = bidir(info, (0, 0), (10, 20), (2, 14), (9, 6))
    (x1, y1), (x2, y2), (x3, y3), (x4, y4) = r["points"]
    long_mm = ((x2 - x1) * 1.0, (y2 - y1) * 0.5)
    short_mm = ((x4 - x3) * 1.0, (y4 - y3) * 0.5)
    assert long_mm[0] * short_mm[0] + long_mm[1] * short_mm[1] == pytest.approx(0.0, abs=1e-9)
    assert r["long"] == pytest.approx(math.hypot(10, 10))
    assert r["short"] == pytest.approx(math.hypot(*short_mm))
    # not perpendicular in pixels: a right angle on the grid would be the wrong one here
    assert (x2 - x1) * (x4 - x3) + (y2 - y1) * (y4 - y3) != pytest.approx(0.0, abs=1e-6)


def test_bidirectional_without_spacing_is_in_pixels_and_swaps_a_longer_second_line(ct_info):
    info = dataclasses.replace(ct_info, pixel_spacing=None, spacing_source="")
    r = bidir(info, (0, 0), (10, 0), (5, -20), (5, 20))
    assert r["units"] == "px" and "pixels" in r["spacing"]
    assert (r["long"], r["short"]) == (pytest.approx(40.0), pytest.approx(10.0)) and "swapped" in r["note"]
    r = bidir(info, (3, 3), (3, 3), (0, 0), (1, 1))
    assert r["short"] is None and "no length" in r["note"]


def test_bidirectional_through_the_registry(ct_loaded):
    sid, ds = ct_loaded
    r = api.measure("bidirectional", {"series": sid, "slice": 0}, [[100, 100], [200, 100], [150, 80], [150, 130]])
    col_mm = float(ds.PixelSpacing[1])
    assert r["long"] == pytest.approx(100 * col_mm) and r["anchor"]
    with pytest.raises(VenosError, match="takes 4 points"):
        api.measure("bidirectional", {"series": sid, "slice": 0}, [[0, 0], [1, 1]])
