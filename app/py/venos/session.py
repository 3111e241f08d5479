"""What this page has loaded, and a view state resolved against it.

One :class:`Session` per page (the worker's Python): the series index, the decoded-frame store, the one volume
built for reformatting, what was skipped and why. :func:`resolve` turns a view state from JavaScript into the
slice, frame and display it names — or, for a reformatted plane, the image of the volume it names — with the
defaults (slice clamped, the file's or the data's window) filled in.
"""
from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Callable

import numpy as np

from ._js import to_plain
from .errors import NotAVolume, PendingPixels, SourceError, UnknownSeries, VenosError
from .model.series import Series, SeriesIndex, Slice
from .model.volume import Survey, Volume, survey
from .pixels.codecs import CodecNotLoaded
from .pixels.store import Frame, PixelStore
from .view import mpr
from .view.captions import captions
from .view.display import default_window, display_for
from .view.render import Display
from .view.state import ViewState


class Volumes:
    """The volumes built for reformatting — at most ``KEEP`` (a current and a prior study side by side; a 512×512×300
    CT is 150 MB each), the least recently used given up first — the surveys asked for, and the last few
    reformatted images (window drags and other viewports redraw them). A series that changed (a file added or
    removed: its ordered slices are a new list) is surveyed and built again."""

    IMAGES = 6
    KEEP = 2

    def __init__(self) -> None:
        self._surveys: dict[str, tuple[list, Survey | str]] = {}
        self._built: OrderedDict[str, tuple[Series, list, Volume]] = OrderedDict()
        self._images: OrderedDict[tuple, Frame] = OrderedDict()

    def survey(self, series: Series) -> Survey:
        slices = series.ordered()
        hit = self._surveys.get(series.id)
        if hit is None or hit[0] is not slices:
            try:
                hit = (slices, survey(slices))
            except NotAVolume as exc:
                hit = (slices, exc.message)
            self._surveys[series.id] = hit
        if isinstance(hit[1], str):
            raise NotAVolume(hit[1])
        return hit[1]

    def volume(self, series: Series, frame_of: Callable[[int, Slice], np.ndarray | None]) -> Volume | None:
        """The series' volume, filled from ``frame_of`` as far as it can be: None while frames are missing."""
        held = self._built.get(series.id)
        if held is None or held[0] is not series or held[1] is not series.ordered():
            self.drop(series.id)
            while len(self._built) >= self.KEEP:
                self.drop(next(iter(self._built)))
            held = self._built[series.id] = (series, series.ordered(), Volume(self.survey(series)))
        self._built.move_to_end(series.id)
        vol = held[2]
        try:
            return vol if vol.fill(frame_of) == 0 else None
        except NotAVolume:
            self.drop(series.id)  # a slice that cannot be decoded: what was filled is of no use
            raise

    def built(self, series_id: str) -> Volume | None:
        """The volume held for a series, if any (nothing is built until a plane is asked for)."""
        held = self._built.get(series_id)
        return held[2] if held else None

    def image(self, key: tuple, make: Callable[[], np.ndarray]) -> Frame:
        frame = self._images.get(key)
        if frame is None:
            frame = self._images[key] = Frame(make())
            if len(self._images) > self.IMAGES:
                self._images.popitem(last=False)
        self._images.move_to_end(key)
        return frame

    def drop(self, series_id: str) -> None:
        held = self._built.pop(series_id, None)
        if held is not None:  # its images go with it (the keys start with the volume's id)
            for key in [k for k in self._images if k[0] == id(held[2])]:
                del self._images[key]

    def nbytes(self, index: SeriesIndex) -> int:
        """Bytes held; a volume whose series changed or went is dropped first."""
        for sid, (series, slices, _) in list(self._built.items()):
            if index.get(sid) is not series or series.ordered() is not slices:
                self.drop(sid)
        return sum(v.nbytes for _, _, v in self._built.values()) + sum(f.nbytes for f in self._images.values())


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
        self.volumes = Volumes()
        self.reports: list[dict] = []  # measurement reports loaded (venos.reports)
        self.presentations: list[dict] = []  # presentation states loaded (venos.presentations)

    def clear(self) -> None:
        self.__init__()

    def get_series(self, series_id: str) -> Series:
        s = self.series.get(str(series_id))
        if s is None:
            raise UnknownSeries(f"no series {series_id!r} is loaded")
        return s


session = Session()


@dataclass(frozen=True)
class Reformatted:
    """What a reformatted image is besides its pixels: the plane, the image's attributes (one frame, see
    ``mpr.image_info``), its corner texts, and while slices are still arriving the one to fetch first."""

    plane: mpr.Plane
    info: Any  # dicom.info.ImageInfo of the reformatted image
    overlay: dict
    waiting_for: str = ""


@dataclass(frozen=True)
class Resolved:
    state: ViewState  # defaults resolved (slice clamped, window filled in)
    series: Series
    slice: Any  # model.series.Slice: instance + frame (a reformatted image: the series' middle slice)
    frame: Frame | None  # None while a remote slice's bytes are on their way
    display: Display | None
    reformatted: Reformatted | None = None

    @property
    def info(self):
        return self.reformatted.info if self.reformatted else self.slice.instance.info

    @property
    def frame_info(self):
        return self.info.frame(0 if self.reformatted else self.slice.frame)

    @property
    def anchor(self) -> str:
        if self.reformatted:
            return f"{self.state.plane}:{self.state.slice}"
        return f"{self.slice.instance.key}:{self.slice.frame}"

    @property
    def slices(self) -> int:
        """Images along the current plane (the series' slices when as acquired)."""
        return self.reformatted.plane.count if self.reformatted else len(self.series.ordered())

    @property
    def source(self) -> str:
        """The file to fetch first while this is pending."""
        return self.reformatted.waiting_for if self.reformatted else self.info.source


def resolve(state_in: Any, *, need_pixels: bool = True) -> Resolved:
    """The slice, frame and display a view state names.

    With ``need_pixels=False`` a slice known from metadata whose bytes have not arrived gives frame = display =
    None instead of raising :class:`PendingPixels`; one whose bytes failed raises :class:`SourceError`. An
    ``anchor`` (instance:frame) in the state keeps the same image shown when loading re-sorts the series."""
    raw = to_plain(state_in) or {}
    state = ViewState.from_dict(raw)
    s = session.get_series(state.series)
    if state.plane:
        return resolve_plane(state, s, need_pixels=need_pixels)
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


def resolve_plane(state: ViewState, s: Series, *, need_pixels: bool = True) -> Resolved:
    """A state with a ``plane``: image ``slice`` of that plane through the series' volume (built on first use).
    Raises :class:`NotAVolume` with the reason when the series is none; while slices are still arriving, frame
    and display are None (``need_pixels`` False) or :class:`PendingPixels` names the first one missing."""
    slices = s.ordered()
    failed = next((i for i, sl in enumerate(slices) if sl.instance.pending and sl.instance.error), None)
    if failed is not None:
        inst = slices[failed].instance
        raise NotAVolume(f"slice {failed + 1} ({inst.info.source}) could not be loaded: {inst.error}")
    waiting = next((sl for sl in slices if sl.instance.pending), None)
    try:
        sv = session.volumes.survey(s)
    except NotAVolume:
        if waiting is None:
            raise
        raise PendingPixels("the slices have not all arrived", source=waiting.instance.info.source,
                            frame=waiting.frame) from None
    plane = mpr.plane_of(sv.grid, state.plane, state.angle)
    state = state.with_(slice=min(state.slice, plane.count - 1))
    mid = slices[len(slices) // 2]
    mid_info = mid.instance.info
    mid_fi = mid_info.frame(mid.frame)
    lossy = next((sl.instance.info.lossy for sl in sv.slices if sl.instance.info.lossy), "")
    info = mpr.image_info(mid_info, mid_fi, plane, state.slice, stored=sv.stored, slope=sv.slope,
                          intercept=sv.intercept, modality_lut=sv.modality_lut, slab=state.slab, lossy=lossy)
    if state.center is None and state.voi_lut < 0 and mid_fi.voi_luts and not mid_fi.windows:
        state = state.with_(voi_lut=0)  # as for the slices: no window in the file, its first VOI LUT
    frame = None
    if waiting is None:
        vol = _volume(s)
        key = (id(vol), plane.name, state.angle if plane.name == "oblique" else 0.0, state.slice, state.slab,
               state.slab_mode)
        frame = session.volumes.image(key, lambda: mpr.image(vol, plane, state.slice, slab=state.slab,
                                                             mode=state.slab_mode))
    elif need_pixels:
        raise PendingPixels("this plane needs every slice; some have not arrived yet",
                            source=waiting.instance.info.source, frame=waiting.frame)
    disp = None
    if frame is not None:
        if state.center is None or state.width is None:
            mid_frame = session.pixels.get(mid.instance.key, mid_info, mid.instance.source, mid.frame)
            center, width = default_window(mid_info, mid_fi, mid_frame)
            state = state.with_(center=center, width=width)
        disp = display_for(info, info.frame(0), frame, state)
    caption = mpr.caption(plane, state.slab, state.slab_mode, state.angle)
    overlay = mpr.captions(captions(s, mid, state), plane, state.slice, info, caption, sv.notes)
    view = Reformatted(plane, info, overlay, waiting.instance.info.source if waiting is not None else "")
    return Resolved(state, s, mid, frame, disp, view)


def plane_for(state: ViewState) -> mpr.Plane:
    """The plane a state names, from its series' metadata alone (nothing decoded): what the crosshair needs.
    Raises :class:`NotAVolume` with the reason."""
    s = session.get_series(state.series)
    return mpr.plane_of(session.volumes.survey(s).grid, state.plane, state.angle)


def _volume(s: Series) -> Volume:
    """The series' volume from its decoded frames. A frame whose codec is loading, or decoding in the codec
    worker, raises :class:`CodecNotLoaded` once every other frame was tried (so all of them are queued before the
    worker retries); one that cannot be decoded refuses the volume, naming it."""
    waits: list[CodecNotLoaded] = []

    def frame_of(k: int, sl: Slice) -> np.ndarray | None:
        inst = sl.instance
        try:
            return session.pixels.get(inst.key, inst.info, inst.source, sl.frame).pixels
        except CodecNotLoaded as exc:
            waits.append(exc)
            return None
        except VenosError as exc:
            raise NotAVolume(f"{inst.info.source} cannot be decoded, so the volume cannot be built: "
                             f"{exc.message}") from None

    vol = session.volumes.volume(s, frame_of)
    if vol is None:
        raise waits[0]
    return vol
