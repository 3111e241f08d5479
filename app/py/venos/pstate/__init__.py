"""Grayscale Softcopy Presentation State (PS3.3 A.33.1) → plain values the viewer applies.

``read_presentation_state(ds)`` returns::

    {"label", "description", "creator", "uid",                     # plain text
     "images": [{"sopInstanceUid", "sopClassUid", "frames": [1-based] or None}],
     "applies": [{"images": [[sop, frame or None], ...] or None (= every referenced image),
                  "window": {center, width, function, explanation} | {lut: True, explanation, first, bits, entries}
                            | None (no VOI for these images: PS3.4 N.2, the VOI stage is identity),
                  "modalityLut": {slope, intercept, type} | {lut: True, ...} | None,   # replaces the image's own
                  "presentationLut": {shape, inverse} | None,   # see venos_invert()
                  "displayedArea": {tlhc, brhc, area: [x0, y0, x1, y1], sizeMode, magnification, pixelSpacing,
                                    aspectRatio, aspect} | None,
                  "rotation", "flip", "view": {rotate, flip},   # VeNOS applies flip then rotate, as the standard
                  "shutters": {shapes: [...], value, color} | None}],
     "layers": [{name, order, color, description}],
     "graphics": [{kind, points, filled, closed, text, layer, layerColor, layerOrder, units, images, ...}],
     "unsupported": ["plain sentence", ...]}
"""
from .read import GSPS, is_presentation_state, not_handled_reason, read_presentation_state
from .settings import venos_invert

__all__ = ["GSPS", "is_presentation_state", "not_handled_reason", "read_presentation_state", "venos_invert"]
