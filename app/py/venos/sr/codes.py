"""The coded concepts and UCUM units of a Measurement Report (PS3.16 TID 1500), each checked against the
standard's context groups as pydicom 3.0.2 generates them from PS3.16 (``pydicom.sr._concepts_dict``) and against
what dcmjs 0.49 (src/utilities/TID300, MeasurementBuilder.js) and highdicom 0.28 write.

Built here as small tuples rather than through ``pydicom.sr.codedict``: that module loads every DICOM context
group (several MB) on first use, which the browser would pay for one report.
"""
from __future__ import annotations

from typing import NamedTuple


class Code(NamedTuple):
    value: str
    scheme: str
    meaning: str


# ---------------------------------------------------------------- report structure (TID 1500, 1600, 1001, 1501/1410)
REPORT = Code("126000", "DCM", "Imaging Measurement Report")  # CID 7021
LANGUAGE = Code("121049", "DCM", "Language of Content Item and Descendants")  # TID 1204
COUNTRY = Code("121046", "DCM", "Country of Language")
ENGLISH = Code("en", "RFC5646", "English")
USA = Code("US", "ISO3166_1", "United States")
OBSERVER_TYPE = Code("121005", "DCM", "Observer Type")  # TID 1002
DEVICE = Code("121007", "DCM", "Device")  # CID 270
DEVICE_UID = Code("121012", "DCM", "Device Observer UID")  # TID 1004
DEVICE_NAME = Code("121013", "DCM", "Device Observer Name")
DEVICE_MANUFACTURER = Code("121014", "DCM", "Device Observer Manufacturer")
DEVICE_MODEL = Code("121015", "DCM", "Device Observer Model Name")
PROCEDURE_REPORTED = Code("121058", "DCM", "Procedure reported")
IMAGING_PROCEDURE = Code("363679005", "SCT", "Imaging procedure")  # CID 100; what dcmjs reports by default
IMAGE_LIBRARY = Code("111028", "DCM", "Image Library")  # TID 1600
IMAGE_LIBRARY_GROUP = Code("126200", "DCM", "Image Library Group")
IMAGING_MEASUREMENTS = Code("126010", "DCM", "Imaging Measurements")
MEASUREMENT_GROUP = Code("125007", "DCM", "Measurement Group")
TRACKING_ID = Code("112039", "DCM", "Tracking Identifier")  # TID 4108
TRACKING_UID = Code("112040", "DCM", "Tracking Unique Identifier")
FINDING = Code("121071", "DCM", "Finding")
FINDING_SITE = Code("363698007", "SCT", "Finding Site")
IMAGE_REGION = Code("111030", "DCM", "Image Region")  # TID 1410 row 7
COMMENT = Code("121106", "DCM", "Comment")

# ---------------------------------------------------------------- measurements
LENGTH = Code("410668003", "SCT", "Length")  # CID 7469, 7470
LONG_AXIS = Code("103339001", "SCT", "Long Axis")  # CID 7470
SHORT_AXIS = Code("103340004", "SCT", "Short Axis")  # CID 7470
AREA = Code("42798000", "SCT", "Area")  # CID 7469, 7471
MEAN = Code("373098007", "SCT", "Mean")  # CID 7464 (used as the concept name, as dcmjs does)
SD = Code("386136009", "SCT", "Standard Deviation")  # CID 7464
MINIMUM = Code("255605001", "SCT", "Minimum")  # CID 7464
MAXIMUM = Code("56851009", "SCT", "Maximum")  # CID 7464
ANGLE = Code("1483009", "SCT", "Angle")  # CID 12304; CID 7550 has only Cobb and acetabular angles
COBB_ANGLE = Code("285285000", "SCT", "Cobb angle")  # CID 7550; dcmjs writes its plain Angle tool with it

LINEAR = {LENGTH.value, "81827009", "121206", "103355008", "131197000", "121207", "121211"}  # CID 7470 et al.
ANGLES = {ANGLE.value, COBB_ANGLE.value, "110859", "121224"}
STATS = {MEAN.value: "mean", SD.value: "sd", MINIMUM.value: "min", MAXIMUM.value: "max"}

# ---------------------------------------------------------------- units (UCUM, CID 7181 / 83)
UNITS = {  # the viewer's unit text → UCUM
    "mm": Code("mm", "UCUM", "millimeter"),
    "mm²": Code("mm2", "UCUM", "square millimeter"),
    "°": Code("deg", "UCUM", "degree"),
    "HU": Code("[hnsf'U]", "UCUM", "Hounsfield unit"),
    # No standard code counts pixels: a UCUM annotation is dimensionless (unity), so a reader that does not know it
    # sees a number without a physical unit, never millimetres.
    "px": Code("{pixels}", "UCUM", "pixels"),
    "px²": Code("{pixels^2}", "UCUM", "square pixels"),
    "": Code("1", "UCUM", "no units"),
    # Rescale Type values (PS3.3 C.11.1.1.2) that have a UCUM spelling
    "US": Code("1", "UCUM", "no units"),
    "NONE": Code("1", "UCUM", "no units"),
    "PCT": Code("%", "UCUM", "percent"),
    "MGML": Code("mg/mL", "UCUM", "milligram per milliliter"),
    "CPS": Code("{counts}/s", "UCUM", "counts per second"),
    "BQML": Code("Bq/mL", "UCUM", "becquerels per milliliter"),
    "CNTS": Code("{counts}", "UCUM", "counts"),
}
_FROM_UCUM = {"mm": "mm", "mm2": "mm²", "deg": "°", "[hnsf'U]": "HU", "{pixels}": "px", "{pixels^2}": "px²",
              "1": "", "%": "%", "cm": "cm", "cm2": "cm²", "mm3": "mm³", "um": "µm"}


def ucum(units: str) -> Code:
    """The UCUM code of one of the viewer's unit texts; an unknown text becomes a UCUM annotation (unity)."""
    if units in UNITS:
        return UNITS[units]
    text = "".join(ch for ch in units if 33 <= ord(ch) <= 126 and ch not in "{}") or "unknown"
    return Code("{" + text + "}", "UCUM", units)


def units_text(code: Code | None) -> str:
    """The viewer's text for a units code read from a report (its code meaning when we have no spelling)."""
    if code is None:
        return ""
    if code.scheme == "UCUM":
        if code.value in _FROM_UCUM:
            if code.value == "1" and code.meaning in ("px", "px²"):
                return code.meaning  # dcmjs writes pixels as unity with meaning "px"
            return _FROM_UCUM[code.value]
        if code.value.startswith("{") and code.value.endswith("}"):
            return code.meaning or code.value[1:-1]
    return code.meaning or code.value
