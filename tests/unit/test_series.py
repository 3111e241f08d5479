"""Series grouping and geometric sorting, against pydicom read on CPython."""
import random
from pathlib import Path

import pydicom
import pytest

from conftest import data_path
from venos import api
from venos.dicom.attrs import image_info
from venos.dicom.parse import read_dataset
from venos.model.series import SeriesIndex, slice_normal


@pytest.fixture(autouse=True)
def fresh():
    api.clear()
    yield
    api.clear()


def test_normal_of_axial_and_tilted():
    assert slice_normal((1, 0, 0, 0, 1, 0)) == pytest.approx((0, 0, 1))
    assert slice_normal((1, 0, 0, 0, 0, -1)) == pytest.approx((0, 1, 0))
    assert slice_normal((1, 0, 0, 1, 0, 0)) is None  # degenerate


def test_ct_series_sorted_along_normal_whatever_the_arrival_order():
    folder = data_path("dcm_qa_ct/GE")
    files = sorted(folder.glob("*.dcm"))
    shuffled = files[:]
    random.Random(7).shuffle(shuffled)
    for f in shuffled:
        assert api.add_file(f.name, f.read_bytes())["ok"]
    (s,) = api.series()
    assert s["slices"] == len(files) and s["sortedBy"] == "position"
    # expected order: pydicom on CPython, position along the normal
    dss = [pydicom.dcmread(f) for f in files]
    def pos(ds):
        n = slice_normal(tuple(float(v) for v in ds.ImageOrientationPatient))
        return sum(float(p) * q for p, q in zip(ds.ImagePositionPatient, n))
    expected = [ds.SOPInstanceUID for ds in sorted(dss, key=pos)]
    got = [api.pixel_data("1", i)["source"] for i in range(len(files))]
    by_name = {f.name: pydicom.dcmread(f, stop_before_pixels=True).SOPInstanceUID for f in files}
    assert [by_name[n] for n in got] == expected


def test_instance_number_fallback_when_geometry_missing():
    folder = data_path("dcm_qa_ct/GE")
    index = SeriesIndex()
    files = sorted(folder.glob("*.dcm"))[:5]
    for f in reversed(files):
        parsed = read_dataset(f.read_bytes(), source=f.name)
        del parsed.dataset.ImagePositionPatient
        index.add(image_info(parsed.dataset, source=f.name, pixels=parsed.pixels), parsed)
    (s,) = list(index)
    slices = s.ordered()
    assert s.sorted_by == "instance number"
    nums = [sl.instance.info.instance_number for sl in slices]
    assert nums == sorted(nums)


def test_two_series_and_a_multiframe_are_three_display_sets():
    ct = sorted(data_path("dcm_qa_ct/GE").glob("*.dcm"))[:3]
    mr = sorted(data_path("dcm_qa_ct/Philips/S21570/S2010").glob("I*"))[:2]
    mf = data_path("pydicom-data/emri_small.dcm")
    for f in ct + mr + [mf]:
        assert api.add_file(f.name, f.read_bytes())["ok"], f
    got = sorted((s["slices"], s["multiframe"]) for s in api.series())
    assert got == [(2, False), (3, False), (10, True)]


def test_a_split_rule_and_an_order_rule_added_through_the_seam():
    """A rule inserted in the ordered lists is tried first: here one set per acquisition number, ordered by name
    descending (what a site-specific rule could do), then the lists are restored."""
    from venos.model import series as model

    def by_acquisition(info, key, group):
        return ("acquisition", info.series_uid, info.source.split("/")[0]) if info.series_uid else None

    def reversed_names(slices):
        return sorted(slices, key=lambda s: s.instance.info.source, reverse=True)

    model.add_split_rule("acquisition", by_acquisition)
    model.add_order_rule("reversed", reversed_names)
    try:
        files = sorted(data_path("dcm_qa_ct/GE").glob("*.dcm"))[:4]
        for i, f in enumerate(files):
            assert api.add_file(f"{'a' if i < 2 else 'b'}/{f.name}", f.read_bytes())["ok"]
        sets = api.series()
        assert [s["slices"] for s in sets] == [2, 2] and {s["sortedBy"] for s in sets} == {"reversed"}
    finally:
        model.SPLIT_RULES[:] = [r for r in model.SPLIT_RULES if r[0] != "acquisition"]
        model.ORDER_RULES[:] = [r for r in model.ORDER_RULES if r[0] != "reversed"]
    api.clear()
    for f in sorted(data_path("dcm_qa_ct/GE").glob("*.dcm"))[:4]:
        api.add_file(f.name, f.read_bytes())
    (s,) = api.series()
    assert s["slices"] == 4 and s["sortedBy"] == "position"


def test_the_same_image_loaded_twice_is_shown_once_and_says_so():
    from venos import api

    api.clear()
    path = sorted(data_path("dcm_qa_ct/GE").glob("*.dcm"))[0]
    try:
        assert api.add_file("first/" + path.name, path.read_bytes())["ok"]
        again = api.add_file("again/" + path.name, path.read_bytes())
        assert not again["ok"] and again["error"]["code"] == "duplicate"
        assert "already loaded from first/" in again["error"]["message"]
        assert [s["slices"] for s in api.series()] == [1]
    finally:
        api.clear()
