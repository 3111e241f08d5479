"""From what the file says and what the user chose to what is drawn: the display parameters of a frame (PS3.3
C.11: Modality LUT → VOI → Presentation LUT) and the drawing, dispatched on the photometric interpretation."""
from __future__ import annotations

import numpy as np

from .lut import modality_values
from .overlays import burn, planes_of
from .render import Display, render_color, render_mono, render_palette
from .state import ViewState

VOI_FUNCTIONS = ("LINEAR", "LINEAR_EXACT", "SIGMOID")


def display_for(info, fi, frame, state: ViewState) -> Display:
    """The display parameters of one frame (``info``: ImageInfo, ``fi``: its FrameInfo) under a view state."""
    center, width = state.center, state.width
    if center is None or width is None:
        center, width = default_window(info, fi, frame)
    function = state.voi_function or (info.voi_lut_function if info.voi_lut_function in VOI_FUNCTIONS else "LINEAR")
    if function == "LINEAR" and float(width) < 1.0:
        function = "LINEAR_EXACT"  # LINEAR needs width >= 1 (PS3.3 C.11.2.1.2.1); small-valued data needs EXACT
    invert = (info.photometric == "MONOCHROME1") ^ (info.presentation_lut_shape == "INVERSE") ^ state.invert
    voi_lut = fi.voi_luts[state.voi_lut] if 0 <= state.voi_lut < len(fi.voi_luts) and not info.is_color else None
    return Display(info.photometric, fi.slope, fi.intercept, float(center), float(width), function, invert,
                   modality_lut=None if info.is_color else fi.modality_lut, voi_lut=voi_lut)


def default_window(info, fi, frame) -> tuple[float, float]:
    """The file's first window for this frame; else one spanning the frame's data (modality units)."""
    if fi.windows and not info.is_color:
        return fi.windows[0].center, fi.windows[0].width
    if info.is_color:
        top = float(1 << min(info.bits_stored, 16))
        return top / 2, top
    if info.photometric == "PALETTE COLOR":
        return 0.0, 0.0
    data_lo, data_hi = frame.image_range(info.padding)  # padding pixels (e.g. outside a CT's field) left out
    if fi.modality_lut is not None:  # the LUT's outputs over the stored values present
        vals = modality_values(np.arange(int(data_lo), int(data_hi) + 1), slope=1.0, intercept=0.0,
                               modality_lut=fi.modality_lut)
        a, b = float(vals.min()), float(vals.max())
    else:
        a, b = (float(v) for v in modality_values(np.array([data_lo, data_hi], dtype=np.float64),
                                                   slope=fi.slope, intercept=fi.intercept))
    lo, hi = min(a, b), max(a, b)
    step = abs(fi.slope) if fi.modality_lut is None else 1.0  # one stored value, in modality units
    if frame.pixels.dtype.kind == "f" or step < 1.0:
        return (lo + hi) / 2, max(hi - lo, 1e-6)
    return (lo + hi + step) / 2, max(hi - lo + step, 1.0)


def draw(info, instance, index: int, frame, disp: Display, state: ViewState, palette) -> np.ndarray:
    """Frame ``index`` of ``instance`` as RGBA (rows × columns × 4): grey levels through the display LUT
    (MONOCHROME1/2), colour converted to display (RGB, YBR), or a palette applied (``palette()`` gives the table);
    overlay planes burnt in when shown."""
    if info.photometric == "PALETTE COLOR" and not isinstance(instance.source, np.ndarray):
        rgba = render_palette(frame.pixels, palette(), state.invert)
    elif info.is_color:
        rgba = render_color(frame.pixels, disp, bits_stored=info.bits_stored)
    else:
        rgba = render_mono(frame.pixels, frame.lo, frame.hi, disp)
    planes = planes_of(instance)
    if planes and state.overlays:
        rgba = burn(rgba, planes, index)
    return rgba
