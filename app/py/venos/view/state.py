"""View state: immutable values that say what is shown. Tools return new states; nothing mutates one.

The camera (zoom, pan, fit) is also part of the state so it can be saved, shared and restored, but changing only
the camera never needs Python: JavaScript redraws the cached bitmap with the new transform.
"""
from __future__ import annotations

import math
from dataclasses import dataclass, replace

VOI_FUNCTIONS = ("LINEAR", "LINEAR_EXACT", "SIGMOID")
PLANES = ("axial", "coronal", "sagittal", "oblique")  # reformatted from the volume; "" = as acquired
SLAB_MODES = ("mip", "minip", "avg")


@dataclass(frozen=True)
class ViewState:
    series: str = ""
    slice: int = 0            # 0-based index into the series' ordered slices
    center: float | None = None  # None: take the default (file's first window, else the data range)
    width: float | None = None
    invert: bool = False      # user inversion, on top of MONOCHROME1 / Presentation LUT Shape
    voi_function: str = ""    # "" = as the file says (default LINEAR)
    voi_lut: int = -1         # index into the file's VOI LUT Sequence (replaces the window); -1 = window
    overlays: bool = True     # draw overlay planes (60xx)
    zoom: float = 0.0         # 0 = fit to the viewport; else screen pixels per image pixel
    pan: tuple[float, float] = (0.0, 0.0)  # image-pixel offset of the view centre from the image centre
    plane: str = ""           # "" = the slices as acquired; else one of PLANES, reformatted from the volume
    slab: float = 0.0         # slab thickness in mm projected by slab_mode (0 = one plane); reformatted planes only
    slab_mode: str = "mip"    # one of SLAB_MODES: maximum, minimum or average intensity along the plane's normal
    angle: float = 0.0        # plane "oblique": degrees from the coronal towards the sagittal (view/mpr.py)

    def with_(self, **changes) -> "ViewState":
        return replace(self, **changes)

    def to_dict(self) -> dict:
        """The state as JavaScript names it (camelCase, as every key of the JS API)."""
        # by hand: dataclasses.asdict deep-copies field by field and cost ~0.07 ms of every render
        return {"series": self.series, "slice": self.slice, "center": self.center, "width": self.width,
                "invert": self.invert, "voiFunction": self.voi_function, "voiLut": self.voi_lut,
                "overlays": self.overlays, "zoom": self.zoom, "pan": list(self.pan), "plane": self.plane,
                "slab": self.slab, "slabMode": self.slab_mode, "angle": self.angle}

    @classmethod
    def from_dict(cls, d: dict | None) -> "ViewState":
        """Build from a plain mapping from JavaScript (camelCase keys, as :meth:`to_dict` writes them), ignoring
        unknown keys and sanitizing values."""
        d = dict(d or {})
        out: dict = {}
        if "series" in d and d["series"] is not None:
            out["series"] = str(d["series"])
        if d.get("slice") is not None:
            out["slice"] = max(0, int(d["slice"]))
        for k in ("center", "width"):
            v = d.get(k)
            if v is not None:
                v = float(v)
                if math.isfinite(v):
                    out[k] = v
        if out.get("width") is not None and out["width"] <= 0:
            out["width"] = 1.0
        if d.get("invert") is not None:
            out["invert"] = bool(d["invert"])
        if d.get("voiLut") is not None:
            out["voi_lut"] = max(-1, int(d["voiLut"]))
        if d.get("overlays") is not None:
            out["overlays"] = bool(d["overlays"])
        f = str(d.get("voiFunction") or "").upper()
        if f in VOI_FUNCTIONS:
            out["voi_function"] = f
        if d.get("zoom") is not None:
            z = float(d["zoom"])
            out["zoom"] = z if math.isfinite(z) and z > 0 else 0.0
        pan = d.get("pan")
        if pan is not None and len(pan) == 2:
            px, py = float(pan[0]), float(pan[1])
            if math.isfinite(px) and math.isfinite(py):
                out["pan"] = (px, py)
        plane = str(d.get("plane") or "").lower()
        if plane in PLANES:
            out["plane"] = plane
        for k in ("slab", "angle"):
            if d.get(k) is not None:
                v = float(d[k])
                if math.isfinite(v):
                    out[k] = max(v, 0.0) if k == "slab" else v
        mode = str(d.get("slabMode") or "").lower()
        if mode in SLAB_MODES:
            out["slab_mode"] = mode
        return cls(**out)
