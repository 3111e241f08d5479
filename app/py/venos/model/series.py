"""Instances → series (display sets) → ordered slices.

SEAM: two ordered lists of rules, each tried in order, the first that answers wins.

:data:`SPLIT_RULES` say which display set an object joins (a key: same key, same set): every multi-frame object is a
stack of its own; objects without a Series Instance UID (plain images) group by the load they came with and their
size; the rest by (StudyInstanceUID, SeriesInstanceUID, Rows, Columns, samples).

:data:`ORDER_RULES` order a set's slices: one object keeps its frame order; slices that all have geometry with a
common orientation go by their position along the slice normal (ImagePositionPatient · (row × column direction
cosines), PS3.3 C.7.6.2.1.1); else by InstanceNumber; else by source name. Add a rule with :func:`add_split_rule` or
:func:`add_order_rule` at the position it should be tried.
"""
from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any, Callable

from ..dicom.attrs import ImageInfo


@dataclass(eq=False)
class Instance:
    """One loaded object: its parsed dataset (pixels decoded lazily) and typed attributes."""

    key: int
    info: ImageInfo
    source: Any  # parse.Parsed (dataset + file bytes), a numpy array for plain images, None while only metadata
    order: int  # arrival order, the last tie-breaker
    error: str = ""  # why the bytes of a pending instance could not be had
    _geometry: list | None = None

    @property
    def pending(self) -> bool:
        return self.source is None

    def geometry(self, frame: int) -> tuple[tuple[float, ...], float] | None:
        """(rounded slice normal, position along it) of a frame, or None without geometry; computed once."""
        if self._geometry is None:
            out = []
            for f in range(self.info.frames):
                fi = self.info.frame(f)
                n = slice_normal(fi.orientation)
                out.append(None if n is None or fi.position is None else
                           (tuple(round(x, 3) for x in n), sum(p * q for p, q in zip(fi.position, n))))
            self._geometry = out
        return self._geometry[frame]


@dataclass(frozen=True)
class Slice:
    instance: Instance
    frame: int  # 0-based frame within the instance


def slice_normal(orientation: tuple[float, ...] | None) -> tuple[float, float, float] | None:
    if orientation is None:
        return None
    r, c = orientation[:3], orientation[3:]
    n = (r[1] * c[2] - r[2] * c[1], r[2] * c[0] - r[0] * c[2], r[0] * c[1] - r[1] * c[0])
    norm = math.sqrt(sum(x * x for x in n))
    if norm < 1e-6:
        return None
    return (n[0] / norm, n[1] / norm, n[2] / norm)


_NUM = re.compile(r"(\d+)")


def natural_key(name: str) -> tuple:
    return tuple(int(t) if t.isdigit() else t.lower() for t in _NUM.split(name))


@dataclass(eq=False)
class Series:
    id: str
    key: tuple
    instances: list[Instance] = field(default_factory=list)
    slices: list[Slice] = field(default_factory=list)
    sorted_by: str = "arrival"
    _dirty: bool = True

    @property
    def first(self) -> ImageInfo:
        return self.instances[0].info

    def add(self, inst: Instance) -> None:
        self.instances.append(inst)
        self._dirty = True

    def ordered(self) -> list[Slice]:
        if self._dirty:
            self.slices, self.sorted_by = order_slices(self.instances)
            self._dirty = False
        return self.slices

    def summary(self) -> dict:
        info = self.first
        slices = self.ordered()
        return {
            "id": self.id,
            "studyUid": info.study_uid, "seriesUid": info.series_uid,
            "modality": info.modality, "description": info.series_description,
            "seriesNumber": info.series_number,
            "patientName": info.patient_name, "patientId": info.patient_id,
            "studyDate": info.study_date, "studyDescription": info.study_description,
            "rows": info.rows, "columns": info.columns, "slices": len(slices), "instances": len(self.instances),
            "pending": sum(i.info.frames for i in self.instances if i.pending),
            "multiframe": info.frames > 1, "photometric": info.photometric,
            "transferSyntax": info.transfer_syntax, "sortedBy": self.sorted_by,
        }


OrderRule = Callable[[list[Slice]], "list[Slice] | None"]
SplitRule = Callable[[ImageInfo, int, str], "tuple | None"]


def by_frame_order(slices: list[Slice]) -> list[Slice] | None:
    instances = {id(s.instance) for s in slices}
    return slices if len(instances) == 1 else None


def by_position(slices: list[Slice]) -> list[Slice] | None:
    normals, positions = set(), []
    for s in slices:
        g = s.instance.geometry(s.frame)
        if g is None:
            return None
        normals.add(g[0])
        positions.append(g[1])
    if len(normals) != 1:
        return None
    keyed = sorted(zip(positions, range(len(slices)), slices),
                   key=lambda t: (t[0], _inst_no(t[2].instance), t[2].frame, t[1]))
    return [s for _, _, s in keyed]


def by_instance_number(slices: list[Slice]) -> list[Slice] | None:
    if not all(s.instance.info.instance_number is not None for s in slices):
        return None
    return sorted(slices, key=lambda s: (s.instance.info.instance_number, s.frame, s.instance.order))


def by_name(slices: list[Slice]) -> list[Slice]:
    return sorted(slices, key=lambda s: (natural_key(s.instance.info.source), s.frame, s.instance.order))


ORDER_RULES: list[tuple[str, OrderRule]] = [("frame order", by_frame_order), ("position", by_position),
                                            ("instance number", by_instance_number), ("name", by_name)]


def add_order_rule(name: str, rule: OrderRule, *, position: int = 0) -> None:
    """Try ``rule`` at ``position`` of :data:`ORDER_RULES` (0 = first); it returns the ordered slices or None."""
    ORDER_RULES.insert(position, (name, rule))


def order_slices(instances: list[Instance]) -> tuple[list[Slice], str]:
    """The slices of these instances in display order, and the name of the rule that ordered them."""
    slices = [Slice(inst, f) for inst in instances for f in range(inst.info.frames)]
    for name, rule in ORDER_RULES:
        ordered = rule(slices)
        if ordered is not None:
            return ordered, name
    return slices, "arrival"


def _inst_no(inst: Instance) -> int:
    n = inst.info.instance_number
    return n if n is not None else 0


class SeriesIndex:
    """All loaded series, with stable short ids ("1", "2", …) in order of first appearance."""

    def __init__(self) -> None:
        self._by_key: dict[tuple, Series] = {}
        self._by_id: dict[str, Series] = {}
        self._next = 1
        self._instances = 0
        self._owner: dict[int, Series] = {}  # instance key → its series
        self._pending: dict[str, Instance] = {}  # source (URL) → instance known from metadata only
        self._pending_uid: dict[str, Instance] = {}  # SOP Instance UID → the same
        self._loaded_uid: dict[str, Instance] = {}  # SOP Instance UID → the instance whose bytes are loaded

    def __len__(self) -> int:
        return len(self._by_id)

    def __iter__(self):
        return iter(self._by_id.values())

    def get(self, series_id: str) -> Series | None:
        return self._by_id.get(series_id)

    def loaded_as(self, info: ImageInfo) -> Instance | None:
        """The instance already loaded with this SOP Instance UID (the same image again), if any."""
        return self._loaded_uid.get(info.sop_instance_uid) if info.sop_instance_uid else None

    def add(self, info: ImageInfo, source: Any, *, group: str = "") -> tuple[Series, Instance]:
        series, inst = self._add(info, source, group=group)
        if source is not None and info.sop_instance_uid:
            self._loaded_uid.setdefault(info.sop_instance_uid, inst)
        return series, inst

    def _add(self, info: ImageInfo, source: Any, *, group: str = "") -> tuple[Series, Instance]:
        placeholder = self._take_pending(info)
        if placeholder is not None:
            series = self._series_of(placeholder)
            if series is not None and split_key(info, placeholder.key, group) == series.key:
                placeholder.info, placeholder.source, placeholder.error = info, source, ""
                placeholder._geometry = None
                series._dirty = True  # the file's own geometry wins over the manifest's
                return series, placeholder
            self._remove(placeholder)  # the metadata described it wrongly: file it where it belongs
        self._instances += 1
        inst = Instance(self._instances, info, source, self._instances)
        key = split_key(info, inst.key, group)
        series = self._by_key.get(key)
        if series is None:
            series = Series(str(self._next), key)
            self._next += 1
            self._by_key[key] = series
            self._by_id[series.id] = series
        series.add(inst)
        self._owner[inst.key] = series
        return series, inst

    def clear(self) -> None:
        self.__init__()

    # -------------------------------------------------------------------------------- placeholders (remote cases)
    def add_pending(self, info: ImageInfo, *, group: str = "") -> tuple[Series, Instance]:
        """An instance known from metadata (manifest, DICOMweb) before its bytes: a slice that shows as loading.

        ``info.source`` is the address its bytes will come from; :meth:`add` with the same source (or SOP Instance
        UID) fills it in place, so slice numbers do not move when pixels arrive."""
        series, inst = self.add(info, None, group=group)
        self._pending[info.source] = inst
        if info.sop_instance_uid:
            self._pending_uid[info.sop_instance_uid] = inst
        return series, inst

    def fail_pending(self, source: str, message: str) -> bool:
        inst = self._pending.get(source)
        if inst is None:
            return False
        inst.error = message
        return True

    def _take_pending(self, info: ImageInfo) -> Instance | None:
        inst = self._pending.pop(info.source, None)
        if inst is None and info.sop_instance_uid:
            inst = self._pending_uid.get(info.sop_instance_uid)
            if inst is not None:
                self._pending.pop(inst.info.source, None)
        if inst is not None and inst.info.sop_instance_uid:
            self._pending_uid.pop(inst.info.sop_instance_uid, None)
        return inst

    def _series_of(self, inst: Instance) -> Series | None:
        return self._owner.get(inst.key)

    def remove(self, inst: Instance) -> None:
        """Take an instance out again (a file that failed after it was filed); an emptied series goes too."""
        self._remove(inst)

    def _remove(self, inst: Instance) -> None:
        series = self._series_of(inst)
        if series is None:
            return
        series.instances.remove(inst)
        del self._owner[inst.key]
        if self._loaded_uid.get(inst.info.sop_instance_uid) is inst:
            del self._loaded_uid[inst.info.sop_instance_uid]
        series._dirty = True
        if not series.instances:
            del self._by_id[series.id]
            self._by_key.pop(series.key, None)


def multiframe_alone(info: ImageInfo, instance_key: int, group: str) -> tuple | None:
    return ("multiframe", instance_key) if info.frames > 1 else None


def loose_by_load(info: ImageInfo, instance_key: int, group: str) -> tuple | None:
    return None if info.series_uid else ("loose", group, info.rows, info.columns, info.samples_per_pixel)


def by_series(info: ImageInfo, instance_key: int, group: str) -> tuple:
    return ("series", info.study_uid, info.series_uid, info.rows, info.columns, info.samples_per_pixel)


SPLIT_RULES: list[tuple[str, SplitRule]] = [("multi-frame", multiframe_alone), ("no series UID", loose_by_load),
                                            ("series", by_series)]


def add_split_rule(name: str, rule: SplitRule, *, position: int = 0) -> None:
    """Try ``rule`` at ``position`` of :data:`SPLIT_RULES`; it returns a display-set key or None (not mine)."""
    SPLIT_RULES.insert(position, (name, rule))


def split_key(info: ImageInfo, instance_key: int, group: str) -> tuple:
    for _name, rule in SPLIT_RULES:
        key = rule(info, instance_key, group)
        if key is not None:
            return key
    raise AssertionError("the last split rule answers for every object")
