"""Common window presets for modalities whose values have absolute meaning (CT in HU)."""
from __future__ import annotations

# (name, center, width) in HU; the usual radiology set, as offered by most PACS viewers.
CT_PRESETS = (
    ("Brain", 40.0, 80.0),
    ("Subdural", 75.0, 215.0),
    ("Soft tissue", 40.0, 400.0),
    ("Liver", 60.0, 160.0),
    ("Lung", -600.0, 1500.0),
    ("Bone", 400.0, 1800.0),
)


def presets_for(modality: str, units: str) -> list[dict]:
    if modality == "CT" and units == "HU":
        return [{"name": n, "center": c, "width": w, "from": "preset"} for n, c, w in CT_PRESETS]
    return []
