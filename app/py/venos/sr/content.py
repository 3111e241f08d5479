"""SR content items (PS3.3 C.17.3, Table C.17.3-2 value types), built as pydicom Datasets and read back."""
from __future__ import annotations

from pydicom.dataset import Dataset
from pydicom.sequence import Sequence

from .codes import Code

SR_CLASSES = {
    "1.2.840.10008.5.1.4.1.1.88.11": "Basic Text SR", "1.2.840.10008.5.1.4.1.1.88.22": "Enhanced SR",
    "1.2.840.10008.5.1.4.1.1.88.33": "Comprehensive SR", "1.2.840.10008.5.1.4.1.1.88.34": "Comprehensive 3D SR",
    "1.2.840.10008.5.1.4.1.1.88.35": "Extensible SR",
}
ENHANCED_SR = "1.2.840.10008.5.1.4.1.1.88.22"
COMPREHENSIVE_3D_SR = "1.2.840.10008.5.1.4.1.1.88.34"


def code_ds(code: Code) -> Dataset:
    ds = Dataset()
    ds.CodeValue, ds.CodingSchemeDesignator, ds.CodeMeaning = code.value, code.scheme, code.meaning[:64]
    return ds


def item(relationship: str | None, value_type: str, concept: Code | None = None, children=()) -> Dataset:
    ds = Dataset()
    if relationship:
        ds.RelationshipType = relationship
    ds.ValueType = value_type
    if concept is not None:
        ds.ConceptNameCodeSequence = Sequence([code_ds(concept)])
    if children:
        ds.ContentSequence = Sequence(list(children))
    return ds


def container(relationship: str | None, concept: Code, children=(), *, template: str = "") -> Dataset:
    ds = item(relationship, "CONTAINER", concept, children)
    ds.ContinuityOfContent = "SEPARATE"
    if template:
        t = Dataset()
        t.MappingResource, t.TemplateIdentifier = "DCMR", template
        ds.ContentTemplateSequence = Sequence([t])
    return ds


def add(parent: Dataset, child: Dataset) -> Dataset:
    if "ContentSequence" not in parent:
        parent.ContentSequence = Sequence()
    parent.ContentSequence.append(child)
    return child


def code_item(relationship: str, concept: Code, value: Code) -> Dataset:
    ds = item(relationship, "CODE", concept)
    ds.ConceptCodeSequence = Sequence([code_ds(value)])
    return ds


def text_item(relationship: str, concept: Code, text: str) -> Dataset:
    ds = item(relationship, "TEXT", concept)
    ds.TextValue = text
    return ds


def uid_item(relationship: str, concept: Code, uid: str) -> Dataset:
    ds = item(relationship, "UIDREF", concept)
    ds.UID = uid
    return ds


def num_item(relationship: str, concept: Code, value: float, units: Code, children=()) -> Dataset:
    """NUM (PS3.3 C.18.1): Numeric Value is a DS of at most 16 characters; when that rounds the value, the exact
    double also goes to Floating Point Value (Table C.18.1-1, Type 1C for just that case)."""
    ds = item(relationship, "NUM", concept, children)
    mv = Dataset()
    mv.MeasurementUnitsCodeSequence = Sequence([code_ds(units)])
    mv.NumericValue = text = _ds_text(value)
    if float(text) != float(value):
        mv.FloatingPointValue = float(value)
    ds.MeasuredValueSequence = Sequence([mv])
    return ds


def _ds_text(value: float) -> str:
    for digits in range(15, 0, -1):
        s = f"{float(value):.{digits}g}"
        if len(s) <= 16:
            return s
    return "0"


def scoord_item(relationship: str, graphic_type: str, data, image: Dataset | None, concept: Code | None = None
                ) -> Dataset:
    ds = item(relationship, "SCOORD", concept, [image] if image is not None else ())
    ds.GraphicType = graphic_type
    ds.GraphicData = [float(v) for v in data]
    return ds


def scoord3d_item(relationship: str, graphic_type: str, data, frame_of_reference: str,
                  concept: Code | None = None) -> Dataset:
    ds = item(relationship, "SCOORD3D", concept)
    ds.GraphicType = graphic_type
    ds.GraphicData = [float(v) for v in data]
    ds.ReferencedFrameOfReferenceUID = frame_of_reference
    return ds


def image_item(relationship: str, sop_class: str, sop_instance: str, frame_number: int | None = None) -> Dataset:
    """IMAGE; Referenced Frame Number (1-based) only for a frame of a multi-frame image (PS3.3 C.18.3)."""
    ds = item(relationship, "IMAGE")
    ref = Dataset()
    ref.ReferencedSOPClassUID, ref.ReferencedSOPInstanceUID = sop_class, sop_instance
    if frame_number is not None:
        ref.ReferencedFrameNumber = int(frame_number)
    ds.ReferencedSOPSequence = Sequence([ref])
    return ds


# ------------------------------------------------------------------------------------------------ reading

def concept(ds: Dataset) -> Code | None:
    seq = ds.get("ConceptNameCodeSequence")
    return to_code(seq[0]) if seq else None


def to_code(ds: Dataset) -> Code:
    value = ds.get("CodeValue") or ds.get("LongCodeValue") or ds.get("URNCodeValue") or ""
    return Code(str(value), str(ds.get("CodingSchemeDesignator", "")), str(ds.get("CodeMeaning", "")))


def is_code(code: Code | None, expected: Code) -> bool:
    return code is not None and code.value == expected.value and code.scheme == expected.scheme


def children(ds: Dataset) -> list[Dataset]:
    return list(ds.get("ContentSequence") or ())


def template_of(ds: Dataset) -> str:
    seq = ds.get("ContentTemplateSequence")
    return str(seq[0].get("TemplateIdentifier", "")) if seq else ""


def num_value(ds: Dataset) -> tuple[float | None, Code | None]:
    """(value, units) of a NUM; None when it holds no value (a NaN or missing value qualifier)."""
    seq = ds.get("MeasuredValueSequence")
    if not seq:
        return None, None
    mv = seq[0]
    units_seq = mv.get("MeasurementUnitsCodeSequence")
    units = to_code(units_seq[0]) if units_seq else None
    if mv.get("FloatingPointValue") is not None:
        return float(mv.FloatingPointValue), units
    try:
        return float(mv.NumericValue), units
    except (TypeError, ValueError, AttributeError):
        return None, units


def image_ref(ds: Dataset) -> dict | None:
    """{sopClassUid, sopInstanceUid, frame (0-based)} of an IMAGE item; frame 0 when the reference names no frame
    (PS3.3 C.18.3: it then applies to every frame), the first when it names several."""
    seq = ds.get("ReferencedSOPSequence")
    if not seq:
        return None
    ref = seq[0]
    frames = ref.get("ReferencedFrameNumber")
    if frames is not None and not isinstance(frames, (int, str)):
        frames = list(frames)
        frames = frames[0] if frames else None
    return {"sopClassUid": str(ref.get("ReferencedSOPClassUID", "")),
            "sopInstanceUid": str(ref.get("ReferencedSOPInstanceUID", "")),
            "frame": max(0, int(frames) - 1) if frames not in (None, "") else 0,
            "frameGiven": frames not in (None, "")}
