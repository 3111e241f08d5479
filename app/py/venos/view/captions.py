"""What the corners of the viewport say about the slice on screen: patient, study, series, slice and frame, window
with its units, pixel spacing and where it came from, orientation letters, lossy compression, presets. Plain text
values only (JavaScript sets them as text)."""
from __future__ import annotations

from .orientation import edge_labels
from .overlays import planes_of
from .presets import presets_for
from .state import ViewState


def units_of(info) -> str:
    """Units of the modality values (PS3.3 C.11.1.1.2 Rescale Type; CT rescaled values are HU)."""
    if info.rescale_type:
        return info.rescale_type
    if info.modality == "CT" and not info.is_color:
        return "HU"
    return ""


def format_da(da: str) -> str:
    return f"{da[:4]}-{da[4:6]}-{da[6:8]}" if len(da) == 8 and da.isdigit() else da


def captions(series, sl, state: ViewState) -> dict:
    """The corner texts and what the page needs to label the slice ``sl`` of ``series`` under ``state``."""
    info = sl.instance.info
    units = units_of(info)
    fi = info.frame(sl.frame)
    return {
        "patientName": info.patient_name.replace("^", " ").strip(), "patientId": info.patient_id,
        "studyDate": format_da(info.study_date), "studyDescription": info.study_description,
        "seriesDescription": info.series_description, "modality": info.modality,
        "seriesNumber": info.series_number, "instanceNumber": info.instance_number,
        "sopInstanceUid": info.sop_instance_uid,
        "slice": state.slice + 1, "slices": len(series.ordered()), "frame": sl.frame + 1, "frames": info.frames,
        "frameTimeMs": info.frame_time_ms,
        "center": state.center, "width": state.width, "units": units,
        "photometric": info.photometric, "transferSyntax": info.transfer_syntax, "source": info.source,
        "pixelSpacing": list(info.pixel_spacing) if info.pixel_spacing else None,
        "usCalibration": next(([abs(r.delta_y) * 10.0, abs(r.delta_x) * 10.0] for r in info.us_regions
                               if r.is_2d_cm), None) if not info.pixel_spacing else None,
        "spacingSource": info.spacing_source,
        "position": list(fi.position) if fi.position else None, "sortedBy": series.sorted_by,
        "orientation": edge_labels(fi.orientation, info.patient_orientation),
        "lossy": info.lossy,
        "presets": [{"center": w.center, "width": w.width, "name": w.explanation or f"File window {i + 1}",
                     "from": "file"} for i, w in enumerate(fi.windows)]
        + [{"voiLut": i, "name": t.explanation or f"VOI LUT {i + 1}", "from": "file"}
           for i, t in enumerate(fi.voi_luts)] + presets_for(info.modality, units),
        "voiLut": fi.voi_luts[state.voi_lut].explanation or f"VOI LUT {state.voi_lut + 1}"
        if 0 <= state.voi_lut < len(fi.voi_luts) else None,
        "overlayPlanes": len(planes_of(sl.instance)), "overlays": state.overlays,
    }
