"""Which images a presentation-state item applies to (PS3.3 C.11.11 Presentation State Relationship; the
Referenced Image Sequence of the items of C.10.4, C.11.8 and C.10.5).

A reference is ``(SOP Instance UID, frame)`` with ``frame`` the 1-based Referenced Frame Number as in the standard,
or None for every frame. An item without a Referenced Image Sequence applies to every image the presentation state
references (``None`` below).
"""
from __future__ import annotations

from .values import MAX_REFS, Notes, get, items, uid

Ref = tuple[str, "int | None"]
MAX_VISITS = 1_000_000  # cell look-ups in all (hostile files: many items × many frames)


def _frames(im, notes: Notes, what: str) -> list[int] | None:
    v = get(im, "ReferencedFrameNumber")
    if v is None:
        return None
    vals = [v] if isinstance(v, (str, int, float)) else list(v)[:MAX_REFS + 1]
    out = []
    for x in vals:
        try:
            f = int(x)
        except (TypeError, ValueError):
            f = 0
        if f < 1:
            notes.add(f"{what}: a Referenced Frame Number is not a positive integer ({str(x)[:20]!r}): ignored")
            continue
        out.append(f)
    if len(vals) > MAX_REFS:
        notes.add(f"{what}: more than {MAX_REFS} frames referenced: the rest are ignored")
        out = out[:MAX_REFS]
    if not out:
        notes.add(f"{what}: no valid Referenced Frame Number: taken as every frame")
        return None
    return sorted(set(out))


def referenced_images(ds, notes: Notes) -> list[dict]:
    """The images the presentation state applies to: ``[{sopInstanceUid, sopClassUid, frames}]`` (frames 1-based,
    None = every frame), from Referenced Series Sequence > Referenced Image Sequence."""
    out: list[dict] = []
    seen: set[str] = set()
    for s in items(ds, "ReferencedSeriesSequence", notes, "Referenced Series Sequence"):
        for im in items(s, "ReferencedImageSequence", notes, "Referenced Series Sequence"):
            sop = uid(get(im, "ReferencedSOPInstanceUID"))
            if not sop:
                notes.add("a referenced image has no valid Referenced SOP Instance UID: left out")
                continue
            frames = _frames(im, notes, f"referenced image {sop}")
            if sop in seen:  # listed twice: merge the frames
                prev = next(r for r in out if r["sopInstanceUid"] == sop)
                prev["frames"] = None if prev["frames"] is None or frames is None else sorted(
                    set(prev["frames"]) | set(frames))
                continue
            if len(out) >= MAX_REFS:
                notes.add(f"more than {MAX_REFS} images referenced: the rest are left out")
                return out
            seen.add(sop)
            out.append({"sopInstanceUid": sop, "sopClassUid": uid(get(im, "ReferencedSOPClassUID")),
                        "frames": frames})
    return out


def applicability(item, notes: Notes, what: str) -> list[Ref] | None:
    """The item's own references, or None when it applies to every referenced image."""
    if get(item, "ReferencedImageSequence") is None:
        return None
    refs: list[Ref] = []
    for im in items(item, "ReferencedImageSequence", notes, what):
        sop = uid(get(im, "ReferencedSOPInstanceUID"))
        if not sop:
            notes.add(f"{what}: a reference without a valid SOP Instance UID is ignored")
            continue
        frames = _frames(im, notes, what)
        refs.extend([(sop, None)] if frames is None else [(sop, f) for f in frames])
        if len(refs) > MAX_REFS:
            notes.add(f"{what}: more than {MAX_REFS} image references: the rest are ignored")
            return refs[:MAX_REFS]
    return refs


def as_json(refs: list[Ref] | None) -> list[list] | None:
    return None if refs is None else [[s, f] for s, f in refs]


class Cells:
    """The referenced images cut into the pieces that items may treat differently: one cell per referenced
    frame, and for an image referenced as a whole, one cell per frame some item names plus ``(sop, None)`` for
    its other frames."""

    def __init__(self, images: list[dict], apps: list[list[Ref] | None], notes: Notes) -> None:
        named: dict[str, set[int]] = {}
        for app in apps:
            for s, f in app or ():
                if f is not None:
                    named.setdefault(s, set()).add(f)
        cells: list[Ref] = []
        for im in images:
            sop = im["sopInstanceUid"]
            if im["frames"] is not None:
                cells += [(sop, f) for f in im["frames"]]
            else:
                cells += [(sop, f) for f in sorted(named.get(sop, ()))] + [(sop, None)]
        if len(cells) > MAX_REFS:
            notes.add(f"the references cut into more than {MAX_REFS} image/frame cells: the rest get no settings")
            cells = cells[:MAX_REFS]
        self.cells = cells
        self.index = {c: i for i, c in enumerate(cells)}
        self.by_sop: dict[str, list[int]] = {}
        for i, (s, _) in enumerate(cells):
            self.by_sop.setdefault(s, []).append(i)
        self.notes = notes
        self.visits = 0
        self.known = set(self.by_sop)

    def matching(self, app: list[Ref] | None, what: str) -> list[int]:
        """Indices of the cells an applicability covers, in cell order."""
        if app is None:
            return list(range(len(self.cells)))
        got: set[int] = set()
        for s, f in app:
            if s not in self.known:
                self.notes.add(f"{what}: refers to image {s}, which the presentation state does not reference "
                               "(ignored for that image)")
                continue
            hits = self.by_sop[s] if f is None else [i for i in (self.index.get((s, f)),) if i is not None]
            self.visits += len(hits) + 1
            if self.visits > MAX_VISITS:
                self.notes.add(f"too many image references in all (more than {MAX_VISITS} look-ups): later items "
                               "apply to no image")
                return sorted(got)
            got.update(hits)
        return sorted(got)

    def ref(self, i: int) -> list:
        s, f = self.cells[i]
        return [s, f]
