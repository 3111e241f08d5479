"""Grayscale Softcopy Presentation States (PS3.3 A.33.1) read into plain values.

The development set holds no presentation state (MANIFEST.md lists no PR modality and no file carries a
presentation-state SOP class), so these tests build GSPS datasets with pydicom around a real CT of the set
(dcm_qa_ct/GE) and write/read them through a file, as one would arrive.
"""
from __future__ import annotations

import io
import json
from pathlib import Path

import numpy as np
import pydicom
import pytest
from pydicom.dataset import Dataset, FileMetaDataset
from pydicom.sequence import Sequence
from pydicom.uid import ExplicitVRLittleEndian, generate_uid

from venos.errors import VenosError
from venos.pstate import GSPS, is_presentation_state, not_handled_reason, read_presentation_state, venos_invert
from venos.pstate.graphics import from_display

DATA = Path(__file__).resolve().parents[2].parent / "shared/data/dicom"
if not (DATA / "manifest.json").exists():
    DATA = Path("/work/shared/data/dicom")
GE = sorted((DATA / "dcm_qa_ct/GE").glob("*.dcm"))


@pytest.fixture(scope="module")
def ct():
    """Two real CT slices (headers only): SOP class and instance UIDs to reference."""
    return [pydicom.dcmread(f, stop_before_pixels=True) for f in GE[:2]]


def ref(sop_class, sop, frames=None) -> Dataset:
    r = Dataset()
    r.ReferencedSOPClassUID, r.ReferencedSOPInstanceUID = sop_class, sop
    if frames:
        r.ReferencedFrameNumber = frames
    return r


def gsps(ct, **extra) -> Dataset:
    """A minimal GSPS referencing both CT slices, with ``extra`` attributes set by keyword."""
    ds = Dataset()
    ds.SOPClassUID, ds.SOPInstanceUID, ds.Modality = GSPS, generate_uid(), "PR"
    ds.ContentLabel, ds.ContentDescription, ds.ContentCreatorName = "CHEST", "Lung window <b>", "Doe^Jane^^Dr"
    series = Dataset()
    series.SeriesInstanceUID = ct[0].SeriesInstanceUID
    series.ReferencedImageSequence = Sequence([ref(c.SOPClassUID, c.SOPInstanceUID) for c in ct])
    ds.ReferencedSeriesSequence = Sequence([series])
    ds.PresentationLUTShape = "IDENTITY"
    ds.ImageRotation, ds.ImageHorizontalFlip = 0, "N"
    for k, v in extra.items():
        setattr(ds, k, v)
    return roundtrip(ds)


def roundtrip(ds: Dataset) -> Dataset:
    """Write as a Part 10 file and read back (values come back as the parser gives them)."""
    ds.file_meta = FileMetaDataset()
    ds.file_meta.MediaStorageSOPClassUID, ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPClassUID, ds.SOPInstanceUID
    ds.file_meta.TransferSyntaxUID = ExplicitVRLittleEndian
    buf = io.BytesIO()
    ds.save_as(buf, enforce_file_format=True)
    return pydicom.dcmread(io.BytesIO(buf.getvalue()))


def item(**kw) -> Dataset:
    d = Dataset()
    for k, v in kw.items():
        setattr(d, k, v)
    return d


def area(tl, br, mode="SCALE TO FIT", refs=None, **kw) -> Dataset:
    d = item(DisplayedAreaTopLeftHandCorner=tl, DisplayedAreaBottomRightHandCorner=br, PresentationSizeMode=mode,
             PresentationPixelSpacing=[0.5, 0.5], **kw)
    if refs:
        d.ReferencedImageSequence = Sequence(refs)
    return d


def entry_for(pr: dict, sop: str, frame=None) -> dict:
    for e in pr["applies"]:
        if e["images"] is None or [sop, frame] in e["images"]:
            return e
    raise AssertionError(f"no settings for {sop}")


# ------------------------------------------------------------------------------------------------ what is read

def test_sop_class_and_modality_decide_and_other_classes_say_why(ct):
    assert is_presentation_state(gsps(ct))
    colour = item(SOPClassUID="1.2.840.10008.5.1.4.1.1.11.2", Modality="PR")
    assert not is_presentation_state(colour) and "Color Softcopy Presentation State" in not_handled_reason(colour)
    assert "Blending" in not_handled_reason(item(SOPClassUID="1.2.840.10008.5.1.4.1.1.11.4", Modality="PR"))
    assert "not a presentation state" in not_handled_reason(ct[0])
    with pytest.raises(VenosError, match="not a presentation state"):
        read_presentation_state(ct[0])
    assert not is_presentation_state(item(SOPClassUID=GSPS, Modality="CT"))


def test_identity_references_and_json(ct):
    pr = read_presentation_state(gsps(ct))
    assert pr["label"] == "CHEST" and pr["description"] == "Lung window <b>" and pr["creator"] == "Dr Jane Doe"
    assert pr["images"] == [{"sopInstanceUid": c.SOPInstanceUID, "sopClassUid": c.SOPClassUID, "frames": None}
                            for c in ct]
    assert len(pr["applies"]) == 1 and pr["applies"][0]["images"] is None
    e = pr["applies"][0]
    assert e["window"] is None and e["modalityLut"] is None and e["shutters"] is None
    assert e["presentationLut"] == {"shape": "IDENTITY", "inverse": False}
    assert json.loads(json.dumps(pr, allow_nan=False)) == pr  # plain JSON values only
    assert any("Displayed Area Selection" in r for r in pr["unsupported"])


def test_windows_and_displayed_areas_apply_per_image(ct):
    a, b = ct
    vois = Sequence([
        item(WindowCenter=-600, WindowWidth=1500, VOILUTFunction="SIGMOID", WindowCenterWidthExplanation="LUNG",
             ReferencedImageSequence=Sequence([ref(a.SOPClassUID, a.SOPInstanceUID)])),
        item(WindowCenter=40, WindowWidth=400, ReferencedImageSequence=Sequence([ref(b.SOPClassUID,
                                                                                     b.SOPInstanceUID)]))])
    areas = Sequence([area([1, 1], [512, 512]),  # a only (below); the second has no references: every image
                      area([101, 51], [300, 250], "MAGNIFY", PresentationPixelMagnificationRatio=2.0)])
    areas[0].ReferencedImageSequence = Sequence([ref(a.SOPClassUID, a.SOPInstanceUID)])
    pr = read_presentation_state(gsps(ct, SoftcopyVOILUTSequence=vois, DisplayedAreaSelectionSequence=areas,
                                      RescaleSlope=1, RescaleIntercept=-1024, RescaleType="HU"))
    ea, eb = entry_for(pr, a.SOPInstanceUID), entry_for(pr, b.SOPInstanceUID)
    assert len(pr["applies"]) == 2 and ea is not eb
    assert ea["window"] == {"center": -600.0, "width": 1500.0, "function": "SIGMOID", "explanation": "LUNG"}
    assert eb["window"] == {"center": 40.0, "width": 400.0, "function": "LINEAR", "explanation": ""}
    assert ea["displayedArea"]["area"] == [0, 0, 512, 512] and ea["displayedArea"]["sizeMode"] == "SCALE TO FIT"
    db = eb["displayedArea"]
    assert db["tlhc"] == [101, 51] and db["brhc"] == [300, 250]
    assert db["area"] == [100, 50, 300, 250]  # columns 101…300 inclusive (1-based) = [100, 300) in VeNOS
    assert db["sizeMode"] == "MAGNIFY" and db["magnification"] == 2.0 and db["aspect"] == 1.0
    assert ea["modalityLut"] == {"slope": 1.0, "intercept": -1024.0, "type": "HU"}
    assert any("more than one displayed area item applies to image " + a.SOPInstanceUID in r
               for r in pr["unsupported"])  # the first that applies is used, and that is said


def test_frames_of_a_multiframe_reference_get_their_own_settings():
    sop, cls = "1.2.3.4", "1.2.840.10008.5.1.4.1.1.2.1"
    ds = Dataset()
    ds.SOPClassUID, ds.SOPInstanceUID, ds.Modality = GSPS, "1.2.3.9", "PR"
    ds.ReferencedSeriesSequence = Sequence([item(SeriesInstanceUID="1.2.3",
                                                 ReferencedImageSequence=Sequence([ref(cls, sop)]))])
    ds.SoftcopyVOILUTSequence = Sequence([
        item(WindowCenter=10, WindowWidth=20, ReferencedImageSequence=Sequence([ref(cls, sop, [2, 3])])),
        item(WindowCenter=50, WindowWidth=60)])
    pr = read_presentation_state(roundtrip(ds))
    assert pr["images"][0]["frames"] is None
    assert entry_for(pr, sop, 2)["window"]["center"] == 10.0 and entry_for(pr, sop, 3)["window"]["center"] == 10.0
    other = entry_for(pr, sop, None)  # every frame not named
    assert other["window"]["center"] == 50.0 and other["images"] == [[sop, None]]


def test_voi_lut_data_is_returned_as_a_table(ct):
    lut = item(LUTDescriptor=[4, 0, 12], LUTExplanation="CUSTOM")
    lut.add_new("LUTData", "US", [0, 100, 2000, 4095])
    ow = item(LUTDescriptor=[3, 65535, 16])  # first input value −1 written as US (PS3.3 C.11.2.1.1)
    ow.add_new("LUTData", "OW", np.array([7, 8, 65535], "<u2").tobytes())
    a, b = ct
    vois = Sequence([item(VOILUTSequence=Sequence([lut]), ReferencedImageSequence=Sequence([
        ref(a.SOPClassUID, a.SOPInstanceUID)])), item(VOILUTSequence=Sequence([ow]))])
    pr = read_presentation_state(gsps(ct, SoftcopyVOILUTSequence=vois))
    assert entry_for(pr, a.SOPInstanceUID)["window"] == {
        "lut": True, "explanation": "CUSTOM", "first": 0, "bits": 12, "entries": [0, 100, 2000, 4095]}
    assert entry_for(pr, b.SOPInstanceUID)["window"] == {
        "lut": True, "explanation": "", "first": -1, "bits": 16, "entries": [7, 8, 65535]}


def test_presentation_lut_inverse_and_venos_invert(ct):
    pr = read_presentation_state(gsps(ct, PresentationLUTShape="INVERSE"))
    assert pr["applies"][0]["presentationLut"] == {"shape": "INVERSE", "inverse": True}
    # VeNOS already inverts MONOCHROME1 (and an image's own INVERSE): the PR's shape replaces both
    assert venos_invert(True, photometric="MONOCHROME2") is True
    assert venos_invert(True, photometric="MONOCHROME1") is False
    assert venos_invert(False, photometric="MONOCHROME1") is True
    assert venos_invert(False, photometric="MONOCHROME2", image_shape="INVERSE") is True


# ------------------------------------------------------------------------------------------ rotation and flip

def standard_flip_then_rotate(a: np.ndarray, rotation: int, flip: bool) -> np.ndarray:
    """PS3.3 C.10.6: horizontal flip first, then the clockwise rotation, as array operations."""
    b = a[:, ::-1] if flip else a
    return np.rot90(b, k=-(rotation // 90))


def venos_canvas(a: np.ndarray, rotate: int, flip: bool) -> np.ndarray:
    """What app/js/canvas.js puts on screen, written from its ``_turn`` point mapping: an offset (u, v) from the
    image centre goes to screen offset turn(u, v). Each pixel centre is mapped and written at its screen place."""
    h, w = a.shape
    sh, sw = (w, h) if rotate % 180 else (h, w)
    out = np.full((sh, sw), -1)
    for r in range(h):
        for c in range(w):
            u, v = c + 0.5 - w / 2, r + 0.5 - h / 2
            if flip:
                u = -u
            x, y = {0: (u, v), 90: (-v, u), 180: (-u, -v), 270: (v, -u)}[rotate]
            out[int(y + sh / 2 - 0.5), int(x + sw / 2 - 0.5)] = a[r, c]
    return out


@pytest.mark.parametrize("rotation", [0, 90, 180, 270])
@pytest.mark.parametrize("flip", [False, True])
def test_rotation_and_flip_equal_the_venos_view(ct, rotation, flip):
    pr = read_presentation_state(gsps(ct, ImageRotation=rotation, ImageHorizontalFlip="Y" if flip else "N"))
    e = pr["applies"][0]
    assert (e["rotation"], e["flip"]) == (rotation, flip)
    a = np.arange(12).reshape(3, 4)
    shown = venos_canvas(a, e["view"]["rotate"], e["view"]["flip"])
    assert np.array_equal(shown, standard_flip_then_rotate(a, rotation, flip))


@pytest.mark.parametrize("rotation", [0, 90, 180, 270])
@pytest.mark.parametrize("flip", [False, True])
def test_display_fractions_map_back_to_the_pixel_shown_there(rotation, flip):
    """A DISPLAY point at the centre of a shown pixel lands, in image coordinates, at the centre of the image pixel
    that the standard's transformation puts there."""
    h, w = 3, 5
    a = np.arange(h * w).reshape(h, w)
    shown = standard_flip_then_rotate(a, rotation, flip)
    sh, sw = shown.shape
    for r in range(sh):
        for c in range(sw):
            (x, y), = from_display([[(c + 0.5) / sw, (r + 0.5) / sh]], [0, 0, w, h], rotation, flip)
            assert a[int(y), int(x)] == shown[r, c]
            assert (x % 1, y % 1) == pytest.approx((0.5, 0.5))


def test_bad_rotation_is_said(ct):
    pr = read_presentation_state(gsps(ct, ImageRotation=45))
    assert pr["applies"][0]["rotation"] == 0 and any("Image Rotation" in r for r in pr["unsupported"])
