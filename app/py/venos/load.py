"""Files into the session: one file's bytes (wherever they are held) → parsed header → its series; a plain image
the browser decoded; a file that could not be read. Every problem becomes a skip naming the file and the reason, so
one bad file never stops the rest."""
from __future__ import annotations

import pickle
import time
from typing import Any

import numpy as np

from .blob import Blob
from .dicom.attrs import FrameInfo, ImageInfo, image_info, is_encapsulated
from .dicom.parse import LazyParsed, Parsed, read_dataset, sniff
from .errors import DecodeError, Duplicate, InvalidDataset, NotAnImage, VenosError
from .pixels.codecs import CodecNotLoaded
from .session import session


def add(name: str, blob: Blob, group: str = "") -> dict:
    """Parse one file and add it to its series. Only the header is read now; uncompressed frames are read when
    shown, a compressed file's first frame is decoded now so that decode errors surface per file. A PNG or JPEG
    answers ``{"ok": False, "plain": "png" | "jpeg"}`` (the browser decodes those)."""
    try:
        kind = sniff(blob.read(0, 136))
        if kind in ("png", "jpeg"):
            return {"ok": False, "plain": kind}
        parsed = read_dataset(blob, source=name)
        try:
            info = image_info(parsed.dataset, source=name, pixels=parsed.pixels)
        except RecursionError:
            raise InvalidDataset("sequences are nested too deeply to read", source=name) from None
        except NotAnImage as exc:  # a measurement report or a presentation state is kept for the images it names
            return _not_an_image(parsed.dataset, name, exc)
    except Exception as exc:  # whatever pydicom raised: this file is skipped, saying why
        return skip_error(exc if isinstance(exc, VenosError) else unexpected(exc, name))
    return _keep(name, info, parsed, group)


def add_parsed(name: str, blob: Blob, parsed_elsewhere: bytes, group: str = "") -> dict:
    """:func:`add` for a file a parsing helper worker read (``venos.parse_api.parse_head``: its ImageInfo and
    where its pixels are, pickled by venos's own code in that worker): only what follows the parse happens here.
    Anything unexpected in it, and the file is parsed here after all."""
    try:
        info, pixels = pickle.loads(parsed_elsewhere)
        if not isinstance(info, ImageInfo) or info.source != name:
            raise TypeError("not a parsed header of this file")
    except Exception:
        return add(name, blob, group)
    out = _keep(name, info, LazyParsed(blob, pixels, name), group)
    out["helped"] = True  # (the load's summary counts the files whose parse was the helper's)
    return out


def _keep(name: str, info: ImageInfo, parsed: Parsed, group: str) -> dict:
    """A parsed image into its series (the same image twice is shown once)."""
    inst = None
    try:
        check_bounds(info, parsed.pixels)
        same = session.series.loaded_as(info)
        if same is not None:  # the same image twice (a folder dropped again, a copy): shown once
            raise Duplicate(f"the same image (SOP Instance UID {info.sop_instance_uid}) is already loaded from "
                            f"{same.info.source}: not added again", source=name)
        series, inst = session.series.add(info, parsed, group=group)
        if info.photometric == "PALETTE COLOR":  # its lookup table is read now: one that cannot be used is a skip
            from .view.palette import palette_table
            session.palettes[inst.key] = palette_table(parsed.dataset, info)
        if is_encapsulated(info.transfer_syntax):
            try:
                session.pixels.get(inst.key, info, parsed, 0)
            except CodecNotLoaded as exc:  # the codec loads, or decodes off this thread: verify() follows
                session.unverified[inst.key] = (inst, series)
                return {"ok": None, "pending": exc.codec, "key": inst.key, "series": series.id, "source": name}
    except Exception as exc:  # whatever pydicom, numpy or a codec raised: this file is skipped, never half-added
        if inst is not None:
            session.series.remove(inst)
        return skip_error(exc if isinstance(exc, VenosError) else unexpected(exc, name))
    session.loaded += 1
    return {"ok": True, "series": series.id, "frames": info.frames, "new": len(series.instances) == 1}


def _not_an_image(ds: Any, name: str, exc: NotAnImage) -> dict:
    from . import presentations, reports

    report = reports.take(ds, name)
    if report is not None:
        return {"ok": False, "report": report}
    pr = presentations.take(ds, name)
    if pr is None:
        raise exc
    if "refused" in pr:
        raise NotAnImage(f"{pr['refused']}: not applied", source=name)
    return {"ok": False, "presentation": pr}


def verify(key: int, give_up: bool = False) -> dict:
    """Decode the first frame of a compressed file that :func:`add` could not decode yet (``ok: None`` with the
    codec it waits for): the file stays (``ok: True``) or is removed again and skipped with the reason, so a file
    that cannot be shown never stays a series. ``ok: None`` again while its frame still waits; ``gone`` when the
    viewer was cleared meanwhile. ``give_up``: the worker waited long enough; a frame still waiting is a skip."""
    entry = session.unverified.get(int(key))
    if entry is None:
        return {"ok": False, "gone": True}
    inst, series = entry
    try:
        session.pixels.get(inst.key, inst.info, inst.source, 0)
    except CodecNotLoaded as exc:
        if not give_up:
            return {"ok": None, "pending": exc.codec, "key": inst.key, "series": series.id, "source": inst.info.source}
        del session.unverified[inst.key]
        session.series.remove(inst)
        return skip_error(DecodeError("its first frame was not decoded: the decoder did not answer in time",
                                      source=inst.info.source, frame=0))
    except Exception as exc:
        del session.unverified[inst.key]
        session.series.remove(inst)
        return skip_error(exc if isinstance(exc, VenosError) else unexpected(exc, inst.info.source))
    del session.unverified[inst.key]
    session.loaded += 1
    return {"ok": True, "series": series.id, "frames": inst.info.frames, "new": len(series.instances) == 1,
            "source": inst.info.source}


# Limits on what one file may declare before anything is allocated (docs/api.md "Limits").
MAX_FRAMES = 20_000  # frames in one object (a 10-minute ultrasound cine at 30 frames/s is 18,000)
MAX_FRAME_BYTES = 512 * 1024 * 1024  # one decoded frame (a 16-bit 16384 × 16384 image is 512 MB)


def check_bounds(info: ImageInfo, pixels) -> None:
    """Refuse what cannot be shown before allocating for it: frame counts and frame sizes past the limits, or more
    frames than the pixel bytes present can hold (a 2 KB file declaring a million frames)."""
    if not 1 <= info.frames <= MAX_FRAMES:
        raise InvalidDataset(f"Number of Frames (0028,0008) is {info.frames}: at least 1 and at most {MAX_FRAMES} "
                             "frames are shown", source=info.source)
    frame_bytes = info.rows * info.columns * info.samples_per_pixel * max(info.bits_allocated, 8) // 8
    if frame_bytes > MAX_FRAME_BYTES:
        raise InvalidDataset(f"one frame of {info.rows}×{info.columns}×{info.samples_per_pixel} samples of "
                             f"{info.bits_allocated} bits needs {frame_bytes / 2**20:.0f} MB; at most "
                             f"{MAX_FRAME_BYTES / 2**20:.0f} MB are decoded", source=info.source)
    room = session.pixels.cache.budget  # the memory budget's share for decoded frames (app/js/memory.js)
    if frame_bytes > room:
        raise InvalidDataset(f"one frame of {info.rows}×{info.columns}×{info.samples_per_pixel} samples of "
                             f"{info.bits_allocated} bits needs {frame_bytes / 2**20:.0f} MB; the memory budget "
                             f"leaves {room / 2**20:.0f} MB for decoded frames (venos.setMemoryBudget)",
                             source=info.source)
    if pixels is not None and pixels.encapsulated and info.frames > max(pixels.available // 8, 1):
        raise InvalidDataset(f"{info.frames} frames are declared but the encapsulated pixel data holds "
                             f"{pixels.available} bytes (each frame needs an item of at least 8)", source=info.source)


def unexpected(exc: BaseException, name: str) -> VenosError:
    """An exception nothing anticipated, as a skip that names the file and what broke (never a stuck load)."""
    if isinstance(exc, (MemoryError, OverflowError)):
        return InvalidDataset(f"declares sizes that cannot be allocated ({type(exc).__name__})", source=name)
    if isinstance(exc, RecursionError):
        return InvalidDataset("is nested too deeply to read", source=name)
    return InvalidDataset(f"cannot be read: {type(exc).__name__}: {str(exc)[:200]}", source=name)


def add_image(name: str, width: int, height: int, raw: bytes, group: str = "") -> dict:
    """A plain (JPEG/PNG) image the browser decoded to RGBA, shown as an RGB secondary capture."""
    if len(raw) != width * height * 4:
        return skip_error(InvalidDataset(f"decoded image has {len(raw)} bytes, expected {width}×{height}×4",
                                         source=name))
    arr = np.frombuffer(raw, dtype=np.uint8).reshape(height, width, 4)[..., :3].copy()
    info = ImageInfo(
        source=name, sop_class_uid="", sop_instance_uid="", study_uid="", series_uid="", transfer_syntax="",
        modality="OT", patient_name="", patient_id="", study_date="", study_description="",
        series_description="Images", series_number=None, instance_number=None, rows=height, columns=width,
        frames=1, samples_per_pixel=3, photometric="RGB", bits_allocated=8, bits_stored=8, pixel_representation=0,
        planar_configuration=0,
        pixel_keyword="", rescale_type="", voi_lut_function="LINEAR", presentation_lut_shape="",
        pixel_spacing=None, spacing_source="", slice_thickness=None, frame_time_ms=None,
        frame_info=(FrameInfo(None, None, 1.0, 0.0, ()),))
    series, _ = session.series.add(info, arr, group=group or "images")
    session.loaded += 1
    return {"ok": True, "series": series.id, "frames": 1, "new": len(series.instances) == 1}


def skip(name: str, code: str, message: str) -> dict:
    """Record a file that could not be read or decoded before it reached Python (a broken PNG, a failed fetch)."""
    exc = VenosError(message, source=name)
    exc.code = code
    session.series.fail_pending(name, message)  # a slice known from metadata shows why it is missing
    return skip_error(exc)


def skip_error(exc: VenosError) -> dict:
    entry = exc.to_dict()
    session.skipped.append(entry)
    return {"ok": False, "error": entry}


def decode_pending(budget_ms: float = 8.0) -> int:
    """Background work when idle, for up to ``budget_ms``: decode frames not decoded yet and compute value ranges
    (needed to render), so scrolling later costs only the render. Returns how much work remains."""
    deadline = time.perf_counter() + budget_ms / 1000.0
    remaining = 0
    for s in session.series:
        for sl in s.ordered():
            inst = sl.instance
            if inst.pending:
                continue
            if time.perf_counter() > deadline:
                remaining += 1
                continue
            if not session.pixels.has(inst.key, sl.frame) and session.pixels.cache_is_full():
                continue  # decoding more now would only evict frames decoded earlier
            try:
                session.pixels.get(inst.key, inst.info, inst.source, sl.frame).range()
            except VenosError:
                pass  # reported when that frame is shown
    return remaining


def register_case(case) -> dict:
    """A remote case into the session: a placeholder for every instance whose metadata describes an image (its
    series and slice count appear at once), and the loader's plan — one entry per instance: the address, how to ask
    for it, and where it will sit (series id, index of its first slice), so the loader fetches what is shown
    first."""
    index = session.series
    keys: dict[str, int] = {}
    for planned in case.instances:
        if planned.metadata is None:
            continue
        try:
            info = image_info(planned.metadata, source=planned.url, header_only=True)
        except VenosError:
            continue  # not enough metadata to place it: it is simply fetched and placed when it arrives
        _, inst = index.add_pending(info)
        keys[planned.url] = inst.key
    where: dict[int, tuple[str, int]] = {}
    for s in index:
        for i, sl in enumerate(s.ordered()):
            where.setdefault(sl.instance.key, (s.id, i))
    plan = []
    for n, planned in enumerate(case.instances):
        series_id, slice_index = where.get(keys.get(planned.url, -1), ("", n))
        plan.append({"url": planned.url, "accept": planned.accept, "multipart": planned.multipart,
                     "series": series_id, "slice": slice_index, "order": n})
    return {"kind": case.kind, "plan": plan, "warnings": list(case.warnings), "placeholders": len(keys),
            "series": [s.summary() for s in index]}


_warm = False


def warm_up() -> None:
    """Run the parse → attributes → decode path once on a tiny in-memory image, so the first real slice of a
    remote case does not pay for pydicom's lazy imports. Called while the first bytes are still on the network."""
    global _warm
    if _warm:
        return
    _warm = True
    from .dicom.write import file_bytes, greyscale_sc
    from .pixels.store import PixelStore

    data = file_bytes(greyscale_sc(np.arange(16, dtype=np.int16).reshape(4, 4)))
    parsed = read_dataset(data, source="warm-up")
    info = image_info(parsed.dataset, source="warm-up", pixels=parsed.pixels)
    PixelStore().get(0, info, parsed, 0).range()
