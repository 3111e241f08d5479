"""The part of the JavaScript-facing API that is about decoders (re-exported by :mod:`venos.api`).

* ``codecs_offer / codec_ready / codec_failed / codecs_wanted / codecs_status``: how ``app/js/codecs.js`` tells
  Python which browser codecs exist and are loaded, and learns which ones Python is waiting for;
  ``codecs_take_jobs / codec_deliver``: the frames its codec worker decodes off the Python thread, and its answers.
* ``decode_file``: decode every frame of one file through the viewer's own path (``decode_frame``) without adding it
  to the session — what tests and benchmarks compare with reference decoders, one page for many files.
"""
from __future__ import annotations

import hashlib
import time
from typing import Any

import numpy as np

from ._js import to_js, to_plain
from .dicom.attrs import image_info
from .dicom.parse import read_dataset
from .errors import VenosError
from .pixels import codecs as _codecs
from .pixels.store import PixelStore


def codecs_offer(names: Any) -> list[str]:
    return _codecs.offer(to_plain(names) or [])


def codec_ready(name: str, impl: Any) -> None:
    _codecs.ready(str(name), impl)


def codec_failed(name: str, reason: str) -> None:
    _codecs.failed(str(name), str(reason))


def codecs_wanted() -> list[str]:
    """Codecs Python raised :class:`CodecNotLoaded` for since the last call (then forgotten)."""
    return _codecs.take_wanted()


def codecs_take_jobs() -> list[dict]:
    """Encoded frames for the codec worker: ``{key, codec, src, params}`` each (``src`` as a Uint8Array)."""
    return [{**job, "src": to_js(job["src"])} for job in _codecs.take_jobs()]


def codec_deliver(key: str, data: Any = None, bits: int = 0, planar: int = 0, rgb: bool = False,
                  error: str = "") -> None:
    """A codec worker's answer to one job: the decoded frame (a JS buffer or bytes), or ``error``."""
    raw = None if data is None else (data.to_bytes() if hasattr(data, "to_bytes") else bytes(data))
    _codecs.deliver(str(key), raw, int(bits), int(planar), bool(rgb), error=str(error or ""))


def codecs_status() -> list[dict]:
    return _codecs.status()


_retry: tuple[str, PixelStore] | None = None  # (sha256 of a file, the frames decoded so far) between rounds


def decode_file(name: str, data: Any, *, want_pixels: bool = False, frames: int | None = None) -> dict:
    """Decode one file's frames (all, or the first ``frames``) as pydicom's ``pixel_array`` would stack them.

    Returns dtype (little-endian, as the manifest's hashes are taken), shape, sha256 of the C-ordered bytes, the
    transfer syntax, decode time, per-frame errors (file, frame, syntax, reason) and, if asked, the bytes.
    :class:`CodecNotLoaded` propagates so the worker can load the codec and call again."""
    name = str(name)
    buf = data.to_bytes() if hasattr(data, "to_bytes") else bytes(data)
    try:
        parsed = read_dataset(buf, source=name)
        info = image_info(parsed.dataset, source=name, pixels=parsed.pixels)
    except VenosError as exc:
        return {"ok": False, "error": exc.to_dict()}
    n = info.frames if frames is None else max(0, min(int(frames), info.frames))
    arrays, errors = [], []
    # the viewer's own path: in-place views for native data, the registry otherwise. A file whose frames the codec
    # worker decodes is called again until all are there: the frames of the earlier rounds are kept meanwhile.
    global _retry
    digest = hashlib.sha256(buf).hexdigest()
    store = _retry[1] if _retry is not None and _retry[0] == digest else PixelStore()
    _retry = None
    t0 = time.perf_counter()
    busy = None  # a frame the codec worker has yet to decode: every frame's job is queued, then the call retried
    for i in range(n):
        try:
            arrays.append(store.get(0, info, parsed, i).pixels)
        except _codecs.CodecBusy as exc:
            busy = exc
        except _codecs.CodecNotLoaded:
            raise
        except VenosError as exc:
            errors.append({**exc.to_dict(), "syntax": info.transfer_syntax})
    if busy is not None:
        _retry = (digest, store)
        raise busy
    ms = (time.perf_counter() - t0) * 1000.0
    out: dict = {"ok": not errors, "source": name, "syntax": info.transfer_syntax, "frames": n, "errors": errors,
                 "ms": ms, "photometric": info.photometric}
    if errors or not arrays:
        return out
    arr = arrays[0] if len(arrays) == 1 and info.frames == 1 else np.stack(arrays)
    if arr.dtype.kind == "u" and arr.dtype.itemsize == 1 and info.bits_allocated == 1:
        arr = arr.astype(np.uint8)
    arr = np.ascontiguousarray(arr.astype(arr.dtype.newbyteorder("<"), copy=False))
    raw = arr.tobytes()
    out.update(dtype=arr.dtype.str, shape=list(arr.shape), sha256=hashlib.sha256(raw).hexdigest(),
               nbytes=len(raw))
    if want_pixels:
        out["data"] = raw
    return out
