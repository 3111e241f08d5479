"""The fast raw-element reader in dicom.attrs gives the values pydicom gives, for every file in the shared set."""
import json
import warnings

import pydicom
import pytest

from conftest import DATA
from venos.dicom import attrs

KEYWORDS = ["Rows", "Columns", "BitsAllocated", "BitsStored", "PixelRepresentation", "SamplesPerPixel",
            "NumberOfFrames", "PhotometricInterpretation", "Modality", "SOPClassUID", "SOPInstanceUID",
            "SeriesInstanceUID", "StudyInstanceUID", "StudyDate", "InstanceNumber", "SeriesNumber",
            "RescaleSlope", "RescaleIntercept", "WindowCenter", "WindowWidth", "ImagePositionPatient",
            "ImageOrientationPatient", "PixelSpacing", "SliceThickness", "PlanarConfiguration"]
MANIFEST = json.loads((DATA / "manifest.json").read_text()) if (DATA / "manifest.json").exists() else {"files": []}


def norm(v):
    if v is None or v == "":
        return None
    if isinstance(v, (list, tuple)) or type(v).__name__ == "MultiValue":
        return [norm(x) for x in v]
    if isinstance(v, (int, float)) or type(v).__name__ in ("DSfloat", "IS", "DSdecimal"):
        return float(v)
    s = str(v).strip(" \x00")
    try:
        return float(s)
    except ValueError:
        return s


@pytest.mark.parametrize("entry", [pytest.param(f, id=f["path"]) for f in MANIFEST["files"]
                                   if f.get("readable_by_pydicom")])
def test_fast_reader_matches_pydicom(entry):
    path = DATA / entry["path"]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            fast = pydicom.dcmread(path, stop_before_pixels=True, force=True)
            slow = pydicom.dcmread(path, stop_before_pixels=True, force=True)
        except Exception:
            pytest.skip("pydicom cannot read it")
        for kw in KEYWORDS:
            try:
                expected = norm(slow.get(kw))
            except Exception:
                continue  # pydicom itself cannot convert this value; we must not crash either
            assert norm(attrs._get(fast, kw)) == expected, kw
