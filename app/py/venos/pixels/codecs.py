"""Browser codecs behind pydicom's decoder plugin registry.

SEAM :func:`register_codec`: a codec is a named decoder (WebAssembly or JS, loaded by ``app/js/codecs.js``) for a
list of transfer syntaxes. Each codec becomes one pydicom decoding plugin (label ``venos-<name>``) on every
:class:`pydicom.pixels.decoders.base.Decoder` it serves, so ``ds.pixel_array`` and
:func:`venos.pixels.decode.decode_frame` go through the same ``get_decoder(ts).as_array(...)`` mechanism.

pydicom plugins are synchronous; loading a WebAssembly module is not. So a codec has a state:

``absent``    not part of this build (no plugin is registered for it);
``loadable``  shipped, not loaded yet: using it raises :class:`CodecNotLoaded`, which the worker catches, loads the
              codec (once), and retries the call;
``ready``     loaded: ``impl.decode(...)`` is a synchronous JS call;
``failed``    loading failed: using it raises :class:`UnsupportedTransferSyntax` with the reason (reported once by
              the worker when the load failed, then per file as a plain error, never as a retry loop).

A codec the worker loaded into its codec worker (``impl`` is :data:`IN_CODEC_WORKER`) decodes off the Python
thread, under a time budget: the plugin queues the encoded frame as a job and raises :class:`CodecBusy` (a kind of
:class:`CodecNotLoaded`, so every caller retries the same way); the worker takes the jobs, has them decoded (a
decode past its budget is abandoned and its worker replaced), hands the results back with :func:`deliver`, and
calls again: the plugin then returns the delivered frame.

Which codec serves which syntax, in which order, is declared in ``codecs.json`` beside this module: the build's one
codec table, read by build.py and (through runtime.json) by the worker's JavaScript too.
"""
from __future__ import annotations

import json
import os
import sys
from dataclasses import dataclass, field
from typing import Any

from ..errors import VenosError

# Transfer syntax UIDs (PS3.5 Annex A / PS3.6 Table A-1).
JPEG_BASELINE = "1.2.840.10008.1.2.4.50"
JPEG_EXTENDED = "1.2.840.10008.1.2.4.51"
JPEG_SPECTRAL = "1.2.840.10008.1.2.4.53"  # retired: processes 6 and 8
JPEG_PROGRESSIVE = "1.2.840.10008.1.2.4.55"  # retired: processes 10 and 12
JPEG_LOSSLESS = "1.2.840.10008.1.2.4.57"
JPEG_LOSSLESS_SV1 = "1.2.840.10008.1.2.4.70"
JPEG_LS_LOSSLESS = "1.2.840.10008.1.2.4.80"
JPEG_LS_NEAR = "1.2.840.10008.1.2.4.81"
J2K_LOSSLESS = "1.2.840.10008.1.2.4.90"
J2K = "1.2.840.10008.1.2.4.91"
HTJ2K_LOSSLESS = "1.2.840.10008.1.2.4.201"
HTJ2K_LOSSLESS_RPCL = "1.2.840.10008.1.2.4.202"
HTJ2K = "1.2.840.10008.1.2.4.203"
RLE = "1.2.840.10008.1.2.5"

JPEG_PROCESSES = (JPEG_BASELINE, JPEG_EXTENDED, JPEG_SPECTRAL, JPEG_PROGRESSIVE, JPEG_LOSSLESS, JPEG_LOSSLESS_SV1)
JPEG_LS = (JPEG_LS_LOSSLESS, JPEG_LS_NEAR)
JPEG_2000 = (J2K_LOSSLESS, J2K)
HTJ2K_ALL = (HTJ2K_LOSSLESS, HTJ2K_LOSSLESS_RPCL, HTJ2K)


IN_CODEC_WORKER = "codec-worker"  # ready()'s impl for a codec that decodes in the worker's codec worker


class CodecNotLoaded(VenosError):
    """A codec this build ships is needed but not loaded yet. The worker loads it and retries the call."""

    code = "codec-not-loaded"

    def __init__(self, codec: str, *, source: str = "", frame: int | None = None) -> None:
        super().__init__(f"the {codec} decoder is loading", source=source, frame=frame)
        self.codec = codec
        _wanted.append(codec)

    def to_dict(self) -> dict:
        return {**super().to_dict(), "codec": self.codec}


class CodecBusy(CodecNotLoaded):
    """The codec worker has this frame to decode: the worker runs the queued jobs and calls again."""

    def __init__(self, codec: str, *, source: str = "", frame: int | None = None) -> None:
        super().__init__(codec, source=source, frame=frame)
        self.message = f"the {codec} decoder is decoding this frame"
        self.args = (self.message,)


@dataclass
class Codec:
    name: str
    syntaxes: tuple[str, ...]
    title: str  # what it is, for messages and docs
    state: str = "absent"
    reason: str = ""  # why it failed to load
    impl: Any = field(default=None, repr=False)  # JS object: decode(src, params) -> result

    @property
    def label(self) -> str:
        return f"venos-{self.name}"


# The codecs and the syntaxes each decodes, in order of preference per syntax: the build's one codec table
# (codecs.json beside this module; build.py ships what it names, app/js/codecs.js loads it by its adapter).
TABLE = os.path.join(os.path.dirname(__file__), "codecs.json")
# Preference per syntax, when it is not the table's order: filled by register_codec(prefer=True).
PREFER: dict[str, tuple[str, ...]] = {}


def table() -> list[dict]:
    with open(TABLE, encoding="utf-8") as f:
        return json.load(f)["codecs"]


_codecs: dict[str, Codec] = {}  # filled by register_codec, the table first (at the end of this module)
_installed: set[tuple[str, str]] = set()  # (transfer syntax, codec) plugins added to pydicom
_wanted: list[str] = []  # codecs CodecNotLoaded was raised for, until the worker takes them


def take_wanted() -> list[str]:
    names = list(dict.fromkeys(_wanted))
    _wanted.clear()
    return names


# Frames decoded off the Python thread (IN_CODEC_WORKER): jobs waiting for the worker, results waiting for the retry.
MAX_JOBS = 32  # encoded frames queued at once (each holds its bytes until the worker takes it)
MAX_RESULTS = 256  # decoded frames delivered and not taken yet (a cleared viewer may never take them)
_jobs: dict[str, tuple[str, bytes, dict]] = {}  # key → (codec, encoded frame, params)
_results: dict[str, tuple | str] = {}  # key → (data, bits, planar, rgb), or why it failed
# Said when a decode was abandoned; decode.py stops at it instead of trying the next codec on the same bytes.
ABANDONED = "decoding was abandoned"


def _job_key(name: str, src: bytes) -> str:
    import hashlib

    return f"{name}:{len(src)}:{hashlib.blake2b(src, digest_size=16).hexdigest()}"


_busy: list[str] = []  # codecs that raised CodecBusy since the last take_busy()


def take_busy() -> list[str]:
    names = list(_busy)
    _busy.clear()
    return names


def take_jobs() -> list[dict]:
    """The encoded frames waiting for the codec worker, oldest first (then forgotten here)."""
    out = [{"key": k, "codec": c, "src": src, "params": params} for k, (c, src, params) in _jobs.items()]
    _jobs.clear()
    return out


def deliver(key: str, data: bytes | None, bits: int = 0, planar: int = 0, rgb: bool = False, *,
            error: str = "") -> None:
    """A job's outcome: the decoded frame, or ``error`` (why it failed, or that it was abandoned)."""
    _results[str(key)] = str(error) if error else (data, int(bits), int(planar), bool(rgb))
    while len(_results) > MAX_RESULTS:
        _results.pop(next(iter(_results)))


def forget_jobs() -> None:
    """The viewer was cleared: queued frames and delivered results are of files no longer loaded."""
    _jobs.clear()
    _results.clear()
    _busy.clear()


def register_codec(name: str, syntaxes: tuple[str, ...], title: str, *, prefer: bool = False) -> Codec:
    """Declare a codec: its pydicom plugin function exists from now on; its state is ``absent`` until
    :func:`offer` says the build ships it (or :func:`ready` hands over a loaded one). ``prefer``: try it before
    the codecs already declared for its syntaxes."""
    codec = _codecs.get(name)
    if codec is None:
        codec = _codecs[name] = Codec(name, tuple(syntaxes), title)
        setattr(sys.modules[__name__], _function_name(name), _plugin(name))
        for uid in codec.syntaxes:
            DECODER_DEPENDENCIES[uid] = tuple(f"the {c.name} browser codec" for c in _codecs.values()
                                              if uid in c.syntaxes)
            if prefer:
                PREFER[uid] = (name,) + tuple(c.name for c in for_syntax(uid) if c.name != name)
    return codec


def codecs() -> list[Codec]:
    return list(_codecs.values())


def get(name: str) -> Codec:
    try:
        return _codecs[name]
    except KeyError:
        raise ValueError(f"unknown codec {name!r}; known: {', '.join(_codecs)}") from None


def for_syntax(uid: str) -> list[Codec]:
    """Codecs that decode ``uid`` and are in this build, in order of preference."""
    found = [c for c in _codecs.values() if uid in c.syntaxes and c.state != "absent"]
    order = PREFER.get(uid, ())
    return sorted(found, key=lambda c: order.index(c.name) if c.name in order else len(order))


# ------------------------------------------------------------------------------------------------ state changes
# Called by app/js/codecs.js through the API: offer() at start-up, ready()/failed() after a load attempt.

def offer(names: Any) -> list[str]:
    """The build ships these codecs: mark them loadable and add their pydicom plugins. Returns unknown names."""
    unknown = []
    for name in list(names):
        codec = _codecs.get(str(name))
        if codec is None:
            unknown.append(str(name))
            continue
        if codec.state == "absent":
            codec.state = "loadable"
    install_plugins()
    return unknown


def ready(name: str, impl: Any) -> None:
    """The codec is loaded: ``impl`` decodes synchronously (``impl.decode(src, params)``), or is
    :data:`IN_CODEC_WORKER` when the worker decodes for it off the Python thread."""
    codec = get(name)
    codec.impl, codec.state, codec.reason = impl, "ready", ""


def failed(name: str, reason: str) -> None:
    codec = get(name)
    codec.impl, codec.state, codec.reason = None, "failed", str(reason)


def reset(name: str) -> None:
    """Back to ``absent`` and out of pydicom's registry (tests)."""
    from pydicom.pixels import get_decoder

    codec = get(name)
    codec.impl, codec.state, codec.reason = None, "absent", ""
    for uid in codec.syntaxes:
        if (uid, name) in _installed:
            get_decoder(uid).remove_plugin(codec.label)
            _installed.discard((uid, name))


def status() -> list[dict]:
    return [{"name": c.name, "title": c.title, "state": c.state, "reason": c.reason, "syntaxes": list(c.syntaxes)}
            for c in _codecs.values()]


def missing_for(uid: str) -> str | None:
    """Name of the codec to load before decoding ``uid``: the preferred one (first in the table's order that has not
    failed) when it is not loaded yet; None when it is ready or no browser codec can help."""
    for c in for_syntax(uid):
        if c.state == "loadable":
            return c.name
        if c.state == "ready":
            return None
    return None


def unavailable_reason(uid: str) -> str:
    """Why no browser codec can decode ``uid`` (for error messages)."""
    known = [c for c in _codecs.values() if uid in c.syntaxes]
    if not known:
        return "no decoder for it is known to VeNOS"
    failed_ = [c for c in known if c.state == "failed"]
    if failed_:
        return "; ".join(f"the {c.name} decoder failed to load ({c.reason})" for c in failed_)
    return f"this build does not include {' or '.join(c.name for c in known)}"


# ------------------------------------------------------------------------------------------------ pydicom plugins

def install_plugins() -> None:
    """Add a pydicom decoding plugin for every (syntax, codec) whose codec is in this build. Which plugin decodes a
    frame is chosen per call (``decoding_plugin=``, see :func:`labels_for`), not by the registry's order."""
    from pydicom.pixels import get_decoder

    from . import syntaxes

    syntaxes.install()
    for codec in _codecs.values():
        if codec.state == "absent":
            continue
        for uid in codec.syntaxes:
            if (uid, codec.name) in _installed:
                continue
            try:
                decoder = get_decoder(uid)
            except NotImplementedError:  # pydicom has no decoder for this syntax at all
                continue
            if codec.label not in decoder.available_plugins:
                decoder.add_plugin(codec.label, (__name__, _function_name(codec.name)))
            _installed.add((uid, codec.name))


def labels_for(uid: str, available: tuple[str, ...]) -> list[str]:
    """The pydicom plugin labels to try for ``uid``, in order: VeNOS's pure-Python plugins (pixels.syntaxes: each
    serves exactly the case pydicom and the codecs get wrong, and declines the rest), this build's codecs that are
    loaded, by preference, then pydicom's own plugins in its order."""
    from .syntaxes import python_plugin_labels

    mine = {c.label for c in _codecs.values()}
    python = [label for label in python_plugin_labels() if label in available]
    ours = [c.label for c in for_syntax(uid) if c.state == "ready" and c.label in available]
    return python + ours + [label for label in available if label not in mine and label not in python]


def _function_name(name: str) -> str:
    return "decode_" + name.replace("-", "_")


# pydicom's plugin contract: a module with is_available(uid), DECODER_DEPENDENCIES (what a syntax's plugin here
# needs, named in pydicom's messages when it is missing) and one function per plugin (made by register_codec).
DECODER_DEPENDENCIES: dict[str, tuple[str, ...]] = {}


def is_available(uid: str) -> bool:
    return any(uid in c.syntaxes and c.state != "absent" for c in _codecs.values())


def _plugin(name: str):
    def decode(src: bytes, runner: Any) -> bytes | bytearray:
        codec = _codecs[name]
        if codec.state != "ready":
            if codec.state == "loadable":
                raise CodecNotLoaded(name)
            raise RuntimeError(f"the {name} decoder is unavailable: {codec.reason or codec.state}")
        return run(codec, src, runner)

    decode.__name__ = _function_name(name)
    return decode


# Said by check_stream; decode.py stops at it instead of trying the next codec on the same bytes.
CUT_SHORT = "stream is cut short"


def check_stream(ts: str, src: bytes) -> None:
    """Refuse a JPEG-LS frame whose end-of-image marker is missing before a codec sees it. CharLS (in both browser
    codecs) takes 5–30 s to give up on a stream cut short, blocking the viewer meanwhile; a truncated stream cannot
    be shown correctly anyway. FFD9 cannot occur inside JPEG-LS scan data (a byte after FF there is below 80), so it
    must be in the last bytes: encoders pad after it (zeros, or FF as in some real files)."""
    if ts not in JPEG_LS:
        return
    if src[:2] != b"\xff\xd8":
        raise ValueError(f"the JPEG-LS {CUT_SHORT} or damaged: it does not start with the start-of-image marker "
                         "(FFD8); the file is truncated or damaged")
    if src.rfind(b"\xff\xd9", max(0, len(src) - 64)) < 0:
        raise ValueError(f"the JPEG-LS {CUT_SHORT}: it does not end with the end-of-image marker (FFD9); the "
                         "file is truncated or damaged")


def run(codec: Codec, src: bytes, runner: Any) -> bytes | bytearray:
    """Decode one encoded frame with a loaded codec and tell pydicom's runner what the output holds."""
    from .._js import js_to_bytes, to_js

    ts = str(runner.transfer_syntax)
    check_stream(ts, src)
    params = {
        "syntax": ts, "rows": runner.rows, "columns": runner.columns, "samples": runner.samples_per_pixel,
        "bitsAllocated": runner.bits_allocated, "bitsStored": runner.bits_stored,
        "signed": int(runner.pixel_representation), "photometric": str(runner.photometric_interpretation),
        "planar": int(runner.get_option("planar_configuration", 0) or 0),
    }
    if isinstance(codec.impl, str) and codec.impl == IN_CODEC_WORKER:
        key = _job_key(codec.name, src)
        done = _results.pop(key, None)
        if done is None:
            if len(_jobs) < MAX_JOBS:
                _jobs[key] = (codec.name, bytes(src), params)
            _busy.append(codec.name)  # pydicom wraps what a plugin raises: decode.py asks take_busy() instead
            raise CodecBusy(codec.name)
        if isinstance(done, str):
            raise RuntimeError(done)
        data, bits, planar, rgb = done
        conform(runner, bits=bits, planar=planar, rgb=rgb)
        return data
    out = codec.impl.decode(to_js(src), to_js(params))
    data = js_to_bytes(out.data)
    conform(runner, bits=int(out.bits), planar=int(out.planar), rgb=bool(out.rgb))
    return data


def conform(runner: Any, *, bits: int, planar: int, rgb: bool) -> None:
    """Record the decoded frame's layout on the runner, as pydicom's own plugins do (see its pylibjpeg plugin)."""
    from pydicom.pixels.common import PhotometricInterpretation as PI

    if bits in (8, 16, 32) and bits != runner.bits_allocated and runner.bits_allocated != 1:
        runner.set_option("bits_allocated", bits)
    if runner.samples_per_pixel > 1:
        runner.set_option("planar_configuration", planar)
    if rgb and runner.photometric_interpretation != PI.RGB and runner.samples_per_pixel == 3:
        runner.set_option("photometric_interpretation", PI.RGB)


_codecs.clear()
for _entry in table():
    register_codec(_entry["name"], tuple(_entry["syntaxes"]), _entry["title"], prefer=bool(_entry.get("preferred")))
