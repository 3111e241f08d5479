"""Graphic annotations, layers, shutters, unsupported parts and hostile sizes of a Grayscale Softcopy Presentation
State (PS3.3 C.10.5, C.10.7, C.7.6.11), built around the real CT slices of the development set."""
from __future__ import annotations

import io
import json

import pydicom
import pytest
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence

from test_pstate import GE, area, gsps, item, ref, roundtrip
from venos.pstate import GSPS, read_presentation_state
from venos.pstate.colour import cielab_css, lab_to_srgb, pcs_to_lab


@pytest.fixture(scope="module")
def ct():
    return [pydicom.dcmread(f, stop_before_pixels=True) for f in GE[:2]]


def graphic(kind, data, units="PIXEL", filled="N") -> Dataset:
    return item(GraphicAnnotationUnits=units, GraphicDimensions=2, NumberOfGraphicPoints=len(data) // 2,
                GraphicData=[float(v) for v in data], GraphicType=kind, GraphicFilled=filled)


def layer(name="MEASURE", order=1, **kw) -> Dataset:
    return item(GraphicLayer=name, GraphicLayerOrder=order, **kw)


def annotation(objs=(), texts=(), refs=None, layer_name="MEASURE") -> Dataset:
    a = item(GraphicLayer=layer_name)
    if objs:
        a.GraphicObjectSequence = Sequence(list(objs))
    if texts:
        a.TextObjectSequence = Sequence(list(texts))
    if refs:
        a.ReferencedImageSequence = Sequence(refs)
    return a


def test_each_graphic_type_in_pixel_units_is_returned_as_stored(ct):
    objs = [graphic("POINT", [10.5, 20.5]), graphic("POLYLINE", [0, 0, 512, 0, 512, 512, 0, 0], filled="Y"),
            graphic("INTERPOLATED", [1, 1, 5, 9, 12, 3]), graphic("CIRCLE", [100, 100, 100, 150]),
            graphic("ELLIPSE", [50, 100, 150, 100, 100, 80, 100, 120])]
    pr = read_presentation_state(gsps(ct, GraphicLayerSequence=Sequence([layer()]),
                                      GraphicAnnotationSequence=Sequence([annotation(objs)])))
    g = pr["graphics"]
    assert [r["kind"] for r in g] == ["point", "polyline", "interpolated", "circle", "ellipse"]
    assert g[0]["points"] == [[10.5, 20.5]]  # PIXEL: 0.0\0.0 is the top-left corner of the top-left pixel
    assert g[1]["points"][1] == [512.0, 0.0] and g[1]["filled"] and g[1]["closed"]
    assert g[3]["points"] == [[100.0, 100.0], [100.0, 150.0]] and g[3]["closed"]
    assert len(g[4]["points"]) == 4
    assert all(r["units"] == "pixel" and r["images"] is None and r["layer"] == "MEASURE" and r["text"] == ""
               for r in g)
    assert json.loads(json.dumps(pr, allow_nan=False)) == pr


def test_text_with_box_and_anchor_in_pixel_and_display_units(ct):
    box_px = item(UnformattedTextValue="Nodule\r\n<script>x</script>\x00", BoundingBoxAnnotationUnits="PIXEL",
                  BoundingBoxTopLeftHandCorner=[10.0, 20.0], BoundingBoxBottomRightHandCorner=[110.0, 60.0],
                  BoundingBoxTextHorizontalJustification="CENTER")
    anchor_px = item(UnformattedTextValue="here", AnchorPointAnnotationUnits="PIXEL", AnchorPoint=[30.0, 40.0],
                     AnchorPointVisibility="Y")
    disp = item(UnformattedTextValue="corner note", BoundingBoxAnnotationUnits="DISPLAY",
                BoundingBoxTopLeftHandCorner=[0.0, 0.0], BoundingBoxBottomRightHandCorner=[0.5, 0.25],
                AnchorPointAnnotationUnits="DISPLAY", AnchorPoint=[1.0, 1.0], AnchorPointVisibility="N")
    pr = read_presentation_state(gsps(
        ct, DisplayedAreaSelectionSequence=Sequence([area([101, 201], [300, 400])]),
        GraphicLayerSequence=Sequence([layer()]),
        GraphicAnnotationSequence=Sequence([annotation(texts=[box_px, anchor_px, disp])])))
    t1, t2, t3 = pr["graphics"]
    assert t1["kind"] == "text" and t1["text"] == "Nodule\n<script>x</script>"  # plain text, no control chars
    assert t1["box"] == [10.0, 20.0, 110.0, 60.0] and t1["anchor"] is None and t1["justify"] == "CENTER"
    assert t1["points"] == [[10.0, 20.0], [110.0, 60.0]]
    assert t2["anchor"] == [30.0, 40.0] and t2["box"] is None and t2["anchorVisible"] and t2["points"] == [[30, 40]]
    # DISPLAY: fractions of the displayed area [100, 200, 300, 400) (columns 101…300, rows 201…400)
    assert t3["units"] == "pixel" and t3["box"] == [100.0, 200.0, 200.0, 250.0] and t3["anchor"] == [300.0, 400.0]
    assert not t3["anchorVisible"]


def test_display_units_follow_each_images_displayed_area_and_the_rotation(ct):
    a, b = ct
    areas = Sequence([area([1, 1], [100, 100], refs=[ref(a.SOPClassUID, a.SOPInstanceUID)]),
                      area([201, 301], [400, 500], refs=[ref(b.SOPClassUID, b.SOPInstanceUID)])])
    line = graphic("POLYLINE", [0.0, 0.0, 0.5, 0.25], units="DISPLAY")
    pr = read_presentation_state(gsps(ct, DisplayedAreaSelectionSequence=areas,
                                      GraphicLayerSequence=Sequence([layer()]),
                                      GraphicAnnotationSequence=Sequence([annotation([line])])))
    ga, gb = pr["graphics"]
    assert ga["images"] == [[a.SOPInstanceUID, None]] and ga["points"] == [[0.0, 0.0], [50.0, 25.0]]
    assert gb["images"] == [[b.SOPInstanceUID, None]] and gb["points"] == [[200.0, 300.0], [300.0, 350.0]]
    # turned 90° clockwise: the shown top-left corner is the area's bottom-left corner
    pr = read_presentation_state(gsps(ct, ImageRotation=90, DisplayedAreaSelectionSequence=Sequence([
        area([1, 100], [100, 1])]), GraphicLayerSequence=Sequence([layer()]),
        GraphicAnnotationSequence=Sequence([annotation([line])])))
    g, = pr["graphics"]
    assert g["points"] == [[0.0, 100.0], [25.0, 50.0]] and g["images"] is None


def test_display_units_without_a_displayed_area_stay_fractions_and_say_so(ct):
    pr = read_presentation_state(gsps(ct, GraphicLayerSequence=Sequence([layer()]), GraphicAnnotationSequence=Sequence(
        [annotation([graphic("POINT", [0.5, 0.5], units="DISPLAY")])])))
    g, = pr["graphics"]
    assert g["units"] == "display" and g["points"] == [[0.5, 0.5]]
    assert any("DISPLAY coordinates" in r for r in pr["unsupported"])


def test_annotation_applicability_and_layer_colours(ct):
    a, b = ct
    layers = Sequence([layer("RED", 2, GraphicLayerRecommendedDisplayCIELabValue=[34885, 53485, 50171]),
                       layer("GREY", 1, GraphicLayerRecommendedDisplayGrayscaleValue=65535)])
    anns = Sequence([annotation([graphic("POINT", [1, 1])], refs=[ref(a.SOPClassUID, a.SOPInstanceUID)],
                                layer_name="RED"), annotation([graphic("POINT", [2, 2])], layer_name="GREY")])
    pr = read_presentation_state(gsps(ct, GraphicLayerSequence=layers, GraphicAnnotationSequence=anns))
    red, grey = pr["graphics"]
    assert red["images"] == [[a.SOPInstanceUID, None]] and grey["images"] is None
    assert grey["layerColor"] == "#ffffff" and red["layerOrder"] == 2
    r, g, b_ = (int(red["layerColor"][i:i + 2], 16) for i in (1, 3, 5))
    assert r > 240 and g < 20 and b_ < 20  # L*a*b* of sRGB red (D50): 54.29, 80.80, 69.89
    assert [l["name"] for l in pr["layers"]] == ["GREY", "RED"]


def test_cielab_conversion_against_known_values():
    assert cielab_css([65535, 0x8080, 0x8080]) == "#ffffff" and cielab_css([0, 0x8080, 0x8080]) == "#000000"
    l, a, b = pcs_to_lab([65535 * 0.5, 0x8080, 0x8080])
    assert (l, a, b) == pytest.approx((50.0, 0.0, 0.0), abs=0.01)
    assert lab_to_srgb((50.0, 0.0, 0.0)) == (119, 119, 119)  # mid grey: L* 50 is sRGB 119
    assert lab_to_srgb((54.29, 80.80, 69.89)) == pytest.approx((255, 0, 0), abs=2)
    assert lab_to_srgb((87.82, -79.29, 80.99)) == pytest.approx((0, 255, 0), abs=2)
    assert cielab_css(["x", 1, 2]) is None


def test_shutters_are_returned_in_image_coordinates(ct):
    pr = read_presentation_state(gsps(
        ct, ShutterShape=["RECTANGULAR", "CIRCULAR", "POLYGONAL"], ShutterLeftVerticalEdge=11,
        ShutterRightVerticalEdge=500, ShutterUpperHorizontalEdge=21, ShutterLowerHorizontalEdge=490,
        CenterOfCircularShutter=[256, 128], RadiusOfCircularShutter=200,
        VerticesOfThePolygonalShutter=[1, 1, 1, 512, 512, 256], ShutterPresentationValue=0))
    s = pr["applies"][0]["shutters"]
    rect, circle, poly = s["shapes"]
    assert rect == {"kind": "rectangle", "area": [10, 20, 500, 490]}
    assert circle == {"kind": "circle", "center": [127.5, 255.5], "radius": 200.0}  # centre given as row\column
    assert poly["points"] == [[0.5, 0.5], [511.5, 0.5], [255.5, 511.5]]
    assert s["value"] == 0 and s["color"] == "#000000"


def test_what_is_not_represented_is_said(ct):
    ds = gsps(ct, ShutterShape="BITMAP", ShutterOverlayGroup=0x6000, GraphicLayerSequence=Sequence([layer()]),
              PresentationLUTSequence=Sequence([item(LUTDescriptor=[2, 0, 8], LUTData=b"\x00\xff")]),
              GraphicAnnotationSequence=Sequence([
                  item(GraphicLayer="MEASURE", CompoundGraphicSequence=Sequence([item(CompoundGraphicType="RULER")])),
                  annotation([graphic("SPLINE", [1, 2, 3, 4]), graphic("POINT", [1, 2], units="MATRIX"),
                              graphic("CIRCLE", [1, 2, 3])], layer_name="UNDEFINED")]))
    ds.add_new(0x60001001, "CS", "MEASURE")  # overlay activation
    pr = read_presentation_state(roundtrip(ds))
    text = "\n".join(pr["unsupported"])
    for phrase in ("bitmap display shutter", "compound graphics", "Graphic Type 'SPLINE'", "'MATRIX'",
                   "CIRCLE Graphic Data malformed", "'UNDEFINED' is not defined", "overlay activation",
                   "Presentation LUT Sequence"):
        assert phrase in text
    assert pr["graphics"] == [] and pr["applies"][0]["presentationLut"]["entries"] == [0, 255]


def test_malformed_values_give_reasons_not_exceptions(ct):
    ds = gsps(ct, SoftcopyVOILUTSequence=Sequence([item(WindowCenter=40, WindowWidth=0)]),
              DisplayedAreaSelectionSequence=Sequence([item(DisplayedAreaTopLeftHandCorner=[1, 1],
                                                            PresentationSizeMode="TRUE SIZE")]),
              ShutterShape="CIRCULAR", ImageHorizontalFlip="X")
    ds.ReferencedSeriesSequence[0].ReferencedImageSequence[0].ReferencedFrameNumber = [0, -3]
    pr = read_presentation_state(roundtrip(ds))
    e = pr["applies"][0]
    assert e["window"] is None and e["displayedArea"] is None and e["shutters"] is None and not e["flip"]
    text = "\n".join(pr["unsupported"])
    assert "Window Width 0" in text and "Displayed Area corners" in text and "circular display shutter" in text
    assert "Referenced Frame Number" in text and "Image Horizontal Flip 'X'" in text


def test_hostile_sizes_are_bounded(ct):
    many = [graphic("POINT", [i, i]) for i in range(10_050)]
    long = graphic("POLYLINE", [float(i % 500) for i in range(2 * 60_000)])
    ds = gsps(ct, GraphicLayerSequence=Sequence([layer()]), GraphicAnnotationSequence=Sequence([
        annotation([long, long]), annotation(many)]))
    pr = read_presentation_state(ds)
    assert sum(len(g["points"]) for g in pr["graphics"]) <= 100_000 and len(pr["graphics"]) <= 10_000
    assert len(pr["graphics"]) >= 9_999  # the first polyline and then points up to the object budget
    assert any("not shown" in r and "100000" in r for r in pr["unsupported"])
    assert json.loads(json.dumps(pr, allow_nan=False)) == pr


def test_a_gsps_with_nothing_readable_still_answers():
    ds = Dataset()
    ds.SOPClassUID, ds.Modality = GSPS, "PR"
    bad_ref = item(ReferencedSOPInstanceUID="x")
    ds.ReferencedSeriesSequence = Sequence([item(ReferencedImageSequence=Sequence([bad_ref]))])
    ds.GraphicAnnotationSequence = Sequence([item(TextObjectSequence=Sequence([item(UnformattedTextValue="t")]))])
    pr = read_presentation_state(ds)
    assert pr["images"] == [] and pr["applies"] == [] and pr["graphics"] == [] and pr["uid"] == ""
    assert any("references no image" in r for r in pr["unsupported"])


def rich_gsps_bytes(ct) -> bytes:
    a, b = ct
    ds = gsps(ct, SoftcopyVOILUTSequence=Sequence([item(WindowCenter="40", WindowWidth="400")]),
              DisplayedAreaSelectionSequence=Sequence([area([1, 1], [512, 512])]), ImageRotation=90,
              GraphicLayerSequence=Sequence([layer(GraphicLayerRecommendedDisplayCIELabValue=[1, 2, 3])]),
              ShutterShape="CIRCULAR", CenterOfCircularShutter=[256, 256], RadiusOfCircularShutter=250,
              GraphicAnnotationSequence=Sequence([annotation(
                  [graphic("POLYLINE", [1, 2, 3, 4, 5, 6]), graphic("CIRCLE", [0.5, 0.5, 0.6, 0.5], units="DISPLAY")],
                  [item(UnformattedTextValue="abc", AnchorPointAnnotationUnits="PIXEL", AnchorPoint=[1.0, 2.0])],
                  refs=[ref(a.SOPClassUID, a.SOPInstanceUID, [1])])]))
    buf = io.BytesIO()
    ds.save_as(buf, enforce_file_format=True)
    return buf.getvalue()


def test_malformed_bytes_in_values_give_reasons(ct):
    raw = rich_gsps_bytes(ct)
    bad = raw.replace(b"400 ", b"4x0 ").replace(b"SCALE TO FIT", b"SCALE\x00TO\x01IT")
    assert bad != raw
    pr = read_presentation_state(pydicom.dcmread(io.BytesIO(bad)))
    e = pr["applies"][0]
    assert e["window"] is None and e["displayedArea"]["sizeMode"] == "SCALE TO FIT"
    assert any("Window" in r for r in pr["unsupported"]) and any("Size Mode" in r for r in pr["unsupported"])


@pytest.mark.filterwarnings("ignore")
def test_byte_mutants_never_raise_anything_but_venos_errors(ct):
    import random

    from venos.errors import VenosError

    raw = rich_gsps_bytes(ct)
    rng = random.Random(20261128)
    read = 0
    for n in range(150):
        data = bytearray(raw)
        for _ in range(rng.randint(1, 12)):
            data[rng.randrange(132, len(data))] = rng.randrange(256)
        if n % 5 == 0:
            data = data[: rng.randrange(132, len(data))]
        try:
            ds = pydicom.dcmread(io.BytesIO(bytes(data)))
        except Exception:
            continue  # not this module's concern: dicom/parse.py refuses what pydicom cannot read
        try:
            pr = read_presentation_state(ds)
        except VenosError:
            continue
        read += 1
        assert json.loads(json.dumps(pr, allow_nan=False)) == pr
    assert read > 50
