"""Orientation letters at the image edges, from Image Orientation (Patient) or Patient Orientation."""
import pydicom
import pytest

from conftest import data_path
from venos import api
from venos.view.orientation import direction_letters, edge_labels


@pytest.mark.parametrize("iop,want", [
    ((1, 0, 0, 0, 1, 0), {"right": "L", "left": "R", "bottom": "P", "top": "A"}),      # axial
    ((0, 1, 0, 0, 0, -1), {"right": "P", "left": "A", "bottom": "F", "top": "H"}),     # sagittal
    ((1, 0, 0, 0, 0, -1), {"right": "L", "left": "R", "bottom": "F", "top": "H"}),     # coronal
    ((-1, 0, 0, 0, -1, 0), {"right": "R", "left": "L", "bottom": "A", "top": "P"}),    # axial, flipped both ways
])
def test_cardinal_planes(iop, want):
    assert edge_labels(iop) == want


def test_oblique_directions_list_each_axis_largest_first():
    assert direction_letters((0, 0.9483237, -0.3173047)) == "PF"
    assert direction_letters((0.2, -0.5, 0.84)) == "HAL"
    assert direction_letters((1, 1e-6, -1e-7)) == "L"  # rounding noise is not obliquity


def test_patient_orientation_is_the_fallback_and_nothing_is_guessed():
    assert edge_labels(None, ("A", "F")) == {"right": "A", "left": "P", "bottom": "F", "top": "H"}
    assert edge_labels(None, ("AL", "F")) == {"right": "AL", "left": "PR", "bottom": "F", "top": "H"}
    assert edge_labels(None, ()) is None
    assert edge_labels(None, ("X", "Y")) is None  # not patient directions (e.g. a quadruped's codes): no letters
    assert edge_labels((0, 0, 0, 0, 0, 0)) is None


def test_overlay_of_a_tilted_ct_slice():
    path = data_path("dcm_qa_ct/GE/01.dcm")
    ds = pydicom.dcmread(path, stop_before_pixels=True)
    api.clear()
    sid = api.add_file("01.dcm", path.read_bytes())["series"]
    meta, _ = api.render({"series": sid, "slice": 0})
    row, col = [float(v) for v in ds.ImageOrientationPatient[:3]], [float(v) for v in ds.ImageOrientationPatient[3:]]
    assert meta["overlay"]["orientation"] == edge_labels(row + col)
    assert meta["overlay"]["orientation"]["right"] == "L" and meta["overlay"]["orientation"]["bottom"][0] == "P"
    api.clear()
