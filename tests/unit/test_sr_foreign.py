"""Reading Measurement Reports written by other software.

The development set holds no TID 1500 report, and the tools' own sample files live only in their repositories, so
these tests build reports the way each tool structures them, item by item, with plain pydicom:

* dcmjs 0.49.2 (src/utilities/TID1500/TID1500MeasurementReport.js, TID1501MeasurementGroup.js, TID300/*.js,
  MeasurementBuilder.js, unit2CodingValue.js; the Cornerstone3D adapters' tracking identifiers) — what OHIF saves;
* highdicom 0.28.1 (the structure of its data/test_files/sr_document_with_multiple_groups.dcm: TID 1501, 1410 and
  1411 groups with template identifiers).
"""
from __future__ import annotations

import io

import pydicom
from pydicom.dataset import Dataset
from pydicom.sequence import Sequence

from venos.sr import is_measurement_report, read_measurement_report

CT_CLASS = "1.2.840.10008.5.1.4.1.1.2"
ENHANCED_CT_CLASS = "1.2.840.10008.5.1.4.1.1.2.1"
IMG1, IMG2 = "1.2.826.0.1.3680043.8.498.1", "1.2.826.0.1.3680043.8.498.2"


def cd(value, scheme, meaning):
    c = Dataset()
    c.CodeValue, c.CodingSchemeDesignator, c.CodeMeaning = value, scheme, meaning
    return c


def it(rel, vt, name=None, kids=None, **attrs):
    d = Dataset()
    if rel:
        d.RelationshipType = rel
    d.ValueType = vt
    if name:
        d.ConceptNameCodeSequence = Sequence([cd(*name)])
    for k, v in attrs.items():
        setattr(d, k, v)
    if kids:
        d.ContentSequence = Sequence(kids)
    return d


def image(rel, uid, cls=CT_CLASS, frame=None, name=None):
    ref = Dataset()
    ref.ReferencedSOPClassUID, ref.ReferencedSOPInstanceUID = cls, uid
    if frame is not None:
        ref.ReferencedFrameNumber = frame
    return it(rel, "IMAGE", name, ReferencedSOPSequence=Sequence([ref]))


def num(name, value, units, kids=None, rel="CONTAINS"):
    mv = Dataset()
    mv.MeasurementUnitsCodeSequence = Sequence([cd(*units)])
    mv.NumericValue = value
    return it(rel, "NUM", name, kids, MeasuredValueSequence=Sequence([mv]))


def scoord(gtype, data, uid=IMG1, cls=CT_CLASS, frame=None, rel="INFERRED FROM", name=None, select_name=None):
    kids = [image("SELECTED FROM", uid, cls, frame, select_name)] if uid else None
    return it(rel, "SCOORD", name, kids, GraphicType=gtype, GraphicData=list(map(float, data)))


def report(groups, sop_class, template=True, lang=("en", "RFC5646", "English")):
    ds = Dataset()
    ds.SOPClassUID, ds.SOPInstanceUID, ds.Modality = sop_class, "1.2.826.0.1.3680043.8.498.99", "SR"
    ds.ValueType, ds.ContinuityOfContent = "CONTAINER", "SEPARATE"
    ds.ConceptNameCodeSequence = Sequence([cd("126000", "DCM", "Imaging Measurement Report")])
    if template:
        t = Dataset()
        t.MappingResource, t.TemplateIdentifier = "DCMR", "1500"
        ds.ContentTemplateSequence = Sequence([t])
    library = it("CONTAINS", "CONTAINER", ("111028", "DCM", "Image Library"),
                 [it("CONTAINS", "CONTAINER", ("126200", "DCM", "Image Library Group"),
                     [image("CONTAINS", IMG1), image("CONTAINS", IMG2, ENHANCED_CT_CLASS)])])
    ds.ContentSequence = Sequence([
        it("HAS CONCEPT MOD", "CODE", ("121049", "DCM", "Language of Content Item and Descendants"),
           ConceptCodeSequence=Sequence([cd(*lang)])),
        it("HAS OBS CONTEXT", "PNAME", ("121008", "DCM", "Person Observer Name"), PersonName="unknown^unknown"),
        it("HAS CONCEPT MOD", "CODE", ("121058", "DCM", "Procedure reported"),
           ConceptCodeSequence=Sequence([cd("363679005", "SCT", "Imaging procedure")])),
        library,
        it("CONTAINS", "CONTAINER", ("126010", "DCM", "Imaging Measurements"), groups)])
    buf = io.BytesIO()
    pydicom.dcmwrite(buf, ds, implicit_vr=False, little_endian=True)
    return pydicom.dcmread(io.BytesIO(buf.getvalue()), force=True)


def group(tracking, items, template=None):
    kids = [it("HAS OBS CONTEXT", "TEXT", ("112039", "DCM", "Tracking Identifier"), TextValue=tracking),
            it("HAS OBS CONTEXT", "UIDREF", ("112040", "DCM", "Tracking Unique Identifier"),
               UID="1.2.826.0.1.3680043.8.498.7")] + items
    g = it("CONTAINS", "CONTAINER", ("125007", "DCM", "Measurement Group"), kids, ContinuityOfContent="SEPARATE")
    if template:
        t = Dataset()
        t.MappingResource, t.TemplateIdentifier = "DCMR", template
        g.ContentTemplateSequence = Sequence([t])
    return g


MM = ("mm", "UCUM", "mm")
HU = ("[hnsf'U]", "UCUM", "Hounsfield unit")
CS3D = "Cornerstone3DTools@^0.1.0"


def dcmjs_report():
    """An OHIF/dcmjs save: Enhanced SR, groups without template identifiers, every NUM INFERRED FROM its SCOORD."""
    ellipse = [num(("42798000", "SCT", "Area"), 314.5, ("mm2", "UCUM", "mm2"),
                   [scoord("ELLIPSE", [10, 50, 90, 50, 50, 30, 50, 70])]),
               num(("56851009", "SCT", "Maximum"), 90, HU), num(("255605001", "SCT", "Minimum"), -5, HU),
               num(("373098007", "SCT", "Mean"), 41.25, HU), num(("386136009", "SCT", "Standard Deviation"), 7.5, HU)]
    return report([
        group(f"{CS3D}:Length", [
            it("CONTAINS", "CODE", ("121071", "DCM", "Finding"),
               ConceptCodeSequence=Sequence([cd("CS3DTEXT", "99dcmjs", "my label")])),
            num(("410668003", "SCT", "Length"), 25.5, MM, [scoord("POLYLINE", [1.5, 2.5, 20.25, 30.75])])]),
        group(f"{CS3D}:Bidirectional", [
            num(("103339001", "SCT", "Long Axis"), 40, MM, [scoord("POLYLINE", [10, 10, 50, 10])]),
            num(("103340004", "SCT", "Short Axis"), 20, MM, [scoord("POLYLINE", [30, 0, 30, 20])])]),
        group(f"{CS3D}:EllipticalROI", ellipse),
        group("cornerstoneTools@^4.0.0:Angle", [
            num(("285285000", "SCT", "Cobb angle"), 90, ("deg", "UCUM", "\u00b0"),
                [scoord("POLYLINE", [0, 10, 10, 10, 10, 10, 10, 0])])]),
        group(f"{CS3D}:Probe", [
            num(("111010", "DCM", "Center"), 0, ("1", "UCUM", "no units"), [scoord("POINT", [7.5, 8.5])])]),
        group(f"{CS3D}:CircleROI", [
            num(("42798000", "SCT", "Area"), 78.5, ("mm2", "UCUM", "mm2"), [scoord("CIRCLE", [20, 20, 25, 20])])]),
        group(f"{CS3D}:Length", [  # on a frame of a multi-frame image, without pixel spacing
            num(("410668003", "SCT", "Length"), 5, ("1", "UCUM", "px"),
                [scoord("POLYLINE", [0, 0, 3, 4], uid=IMG2, cls=ENHANCED_CT_CLASS, frame=2)])]),
        group(f"{CS3D}:PlanarFreehandROI", [
            num(("42798000", "SCT", "Area"), 10, ("mm2", "UCUM", "mm2"),
                [scoord("POLYLINE", [0, 0, 4, 1, 3, 5, 0, 0])])]),
        group(f"{CS3D}:Length", [
            num(("410668003", "SCT", "Length"), 9, MM,
                [it("INFERRED FROM", "SCOORD3D", None, GraphicType="POLYLINE", GraphicData=[0.0, 0, 0, 9, 0, 0],
                    ReferencedFrameOfReferenceUID="1.2.826.0.1.3680043.8.498.5")])]),
    ], "1.2.840.10008.5.1.4.1.1.88.22")


def test_dcmjs_report():
    ds = dcmjs_report()
    assert is_measurement_report(ds)
    records, unshown = read_measurement_report(ds)
    got = [(r["kind"], r["points"]) for r in records]
    assert got[:7] == [
        ("length", [[1.5, 2.5], [20.25, 30.75]]),
        ("bidirectional", [[10, 10], [50, 10], [30, 0], [30, 20]]),
        ("ellipse", [[10, 30], [90, 70]]),
        ("angle", [[0, 10], [10, 10], [10, 0]]),
        ("point", [[7.5, 8.5]]),
        ("ellipse", [[15, 15], [25, 25]]),
        ("length", [[0, 0], [3, 4]])]
    assert records[7]["kind"] == "annotation" and records[7]["graphicType"] == "POLYLINE"
    assert records[8]["kind"] == "length" and records[8]["points"] is None
    assert records[8]["patientPoints"] == [[0, 0, 0], [9, 0, 0]]
    assert records[0]["result"] == {"value": 25.5, "units": "mm"}
    assert records[0]["finding"]["meaning"] == "my label" and records[0]["label"] == f"{CS3D}:Length"
    assert records[1]["result"] == {"value": 40.0, "long": 40.0, "short": 20.0, "units": "mm"}
    assert records[2]["result"] == {"shape": "ellipse", "area": 314.5, "areaUnits": "mm²", "mean": 41.25, "sd": 7.5,
                                    "min": -5.0, "max": 90.0, "units": "HU"}
    assert records[3]["result"] == {"value": 90.0, "units": "°"}
    assert records[6]["result"] == {"value": 5.0, "units": "px"}  # dcmjs writes pixels as unity meaning "px"
    assert (records[6]["sopInstanceUid"], records[6]["frame"]) == (IMG2, 1)
    assert all(r["sopInstanceUid"] == IMG1 and r["frame"] == 0 for r in records[:6])
    assert len(unshown) == 1 and "SCOORD3D" in unshown[0]


def test_highdicom_report():
    """Comprehensive 3D SR with template identifiers on every group, as highdicom 0.28.1 writes them."""
    hd = [
        group("Image0001", [
            num(("X6K6", "IBSI", "Intensity Histogram Mean"), -119.07, HU),
            image("CONTAINS", IMG1, name=("260753009", "SCT", "Source"))], "1501"),
        group("LungNodule0001", [
            it("CONTAINS", "CODE", ("121071", "DCM", "Finding"),
               ConceptCodeSequence=Sequence([cd("27925004", "SCT", "Nodule")])),
            it("HAS CONCEPT MOD", "CODE", ("363698007", "SCT", "Finding Site"),
               ConceptCodeSequence=Sequence([cd("39607008", "SCT", "Lung")])),
            num(("81827009", "SCT", "Diameter"), 10, MM),
            scoord("CIRCLE", [45, 55, 45, 65], rel="CONTAINS", name=("111030", "DCM", "Image Region"),
                   select_name=("111040", "DCM", "Original Source"))], "1410"),
        group("Aorta0001", [
            num(("81827009", "SCT", "Diameter"), 20, MM),
            scoord("POLYLINE", [25, 45, 45, 45, 45, 65, 25, 65], rel="CONTAINS",
                   name=("111030", "DCM", "Image Region"), select_name=("111040", "DCM", "Original Source"))],
              "1410"),
        group("Vertebra0001", [
            num(("118565006", "SCT", "Volume"), 200, ("mm3", "UCUM", "cubic millimeter")),
            it("CONTAINS", "SCOORD3D", ("121231", "DCM", "Volume Surface"), GraphicType="POINT",
               GraphicData=[123.5, 234.1, -23.7], ReferencedFrameOfReferenceUID="1.2.826.0.1.3680043.8.498.5")],
              "1411"),
        group("Loose0001", [scoord("POLYLINE", [0, 0, 5, 5], uid=None, rel="CONTAINS",
                                   name=("111030", "DCM", "Image Region"))], "1410"),
    ]
    ds = report(hd, "1.2.840.10008.5.1.4.1.1.88.34", lang=("en-US", "RFC5646", "English (United States)"))
    assert is_measurement_report(ds)
    records, unshown = read_measurement_report(ds)
    assert [(r["kind"], r["label"]) for r in records] == [
        ("ellipse", "LungNodule0001"), ("rectangle", "Aorta0001"), ("point", "Vertebra0001")]
    nodule, aorta, vertebra = records
    assert nodule["points"] == [[35, 45], [55, 65]] and nodule["graphicType"] == "CIRCLE"
    assert nodule["finding"]["meaning"] == "Nodule" and nodule["findingSites"][0]["meaning"] == "Lung"
    assert nodule["values"][0]["name"] == "Diameter" and nodule["values"][0]["units"] == "mm"
    assert aorta["points"] == [[25, 45], [45, 65]] and aorta["template"] == "1410"
    assert vertebra["points"] is None and vertebra["frameOfReference"] == "1.2.826.0.1.3680043.8.498.5"
    assert all(abs(a - b) < 1e-4 for a, b in zip(vertebra["patientPoints"][0], [123.5, 234.1, -23.7]))  # FL
    assert len(unshown) == 3
    assert "measurement group 1" in unshown[0] and "no spatial coordinates" in unshown[0] and "-119.07" in unshown[0]
    assert "SCOORD3D POINT" in unshown[1]
    assert "Loose0001" in unshown[2] and "names no image" in unshown[2]


def test_report_identified_by_its_title_alone():
    ds = dcmjs_report()
    del ds.ContentTemplateSequence
    assert is_measurement_report(ds)
    ds.ConceptNameCodeSequence[0].CodeValue = "18748-4"
    assert not is_measurement_report(ds)
