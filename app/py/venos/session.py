"""What this page has loaded, and a view state resolved against it.

One :class:`Session` per page (the worker's Python): the series index, the decoded-frame store, what was skipped and
why. :func:`resolve` turns a view state from JavaScript into the slice, frame and display it names, with the
defaults (slice clamped, the file's or the data's window) filled in.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np

from ._js import to_plain
from .errors import SourceError, UnknownSeries
from .model.series import Series, SeriesIndex
from .pixels.store import Frame, PixelStore
from .view.display import display_for
from .view.render import Display
from .view.state import ViewState


class Session:
    """Everything loaded in this page: series, decoded pixels, and what was skipped and why."""

    def __init__(self) -> None:
        self.series = SeriesIndex()
        self.pixels = PixelStore()
        self.skipped: list[dict] = []
        self.palettes: dict[int, np.ndarray] = {}
        self.loaded = 0
        # compressed files added before their first frame could be decoded (codec loading, or decoding in the codec
        # worker): instance key → (instance, series); load.verify() decodes it, then keeps or removes the file
        self.unverified: dict[int, tuple[Any, Series]] = {}

    def clear(self) -> None:
        self.__init__()

    def get_series(self, series_id: str) -> Series:
        s = self.series.get(str(series_id))
        if s is None:
            raise UnknownSeries(f"no series {series_id!r} is loaded")
        return s


session = Session()


@dataclass(frozen=True)
class Resolved:
    state: ViewState  # defaults resolved (slice clamped, window filled in)
    series: Series
    slice: Any  # model.series.Slice: instance + frame
    frame: Frame | None  # None while a remote slice's bytes are on their way
    display: Display | None

    @property
    def info(self):
        return self.slice.instance.info

    @property
    def frame_info(self):
        return self.info.frame(self.slice.frame)

    @property
    def anchor(self) -> str:
        return f"{self.slice.instance.key}:{self.slice.frame}"


def resolve(state_in: Any, *, need_pixels: bool = True) -> Resolved:
    """The slice, frame and display a view state names.

    With ``need_pixels=False`` a slice known from metadata whose bytes have not arrived gives frame = display =
    None instead of raising :class:`PendingPixels`; one whose bytes failed raises :class:`SourceError`. An
    ``anchor`` (instance:frame) in the state keeps the same image shown when loading re-sorts the series."""
    raw = to_plain(state_in) or {}
    state = ViewState.from_dict(raw)
    s = session.get_series(state.series)
    slices = s.ordered()
    idx = min(state.slice, len(slices) - 1)
    anchor = raw.get("anchor")
    if anchor and f"{slices[idx].instance.key}:{slices[idx].frame}" != anchor:
        idx = next((i for i, x in enumerate(slices) if f"{x.instance.key}:{x.frame}" == anchor), idx)
    sl = slices[idx]
    inst = sl.instance
    if inst.pending and not need_pixels and not session.pixels.has(inst.key, sl.frame):
        if inst.error:
            raise SourceError(inst.error, source=inst.info.source, frame=sl.frame)
        return Resolved(state.with_(slice=idx) if idx != state.slice else state, s, sl, None, None)
    frame = session.pixels.get(inst.key, inst.info, inst.source, sl.frame)
    fi = inst.info.frame(sl.frame)
    if state.center is None and state.voi_lut < 0 and fi.voi_luts and not fi.windows and not inst.info.is_color:
        state = state.with_(voi_lut=0)  # no window in the file: its first VOI LUT is the default VOI
    disp = display_for(inst.info, fi, frame, state)
    if state.center is None or state.width is None or idx != state.slice:
        state = state.with_(slice=idx, center=disp.center, width=disp.width)
    return Resolved(state, s, sl, frame, disp)
