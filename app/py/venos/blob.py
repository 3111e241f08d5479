"""A file's bytes, wherever they are held.

In the browser the bytes of a file stay outside the WebAssembly heap, in the worker's JavaScript: a dropped or picked
``File`` (read from disk on demand, so a 1 GB series costs no memory until its frames are shown) or the
``ArrayBuffer`` a download gave. Python reads the parts it needs — the header to parse, one frame's pixels to show —
through :class:`JsBlob`; everything held in Python counts against one byte budget (``pixels.store``). Tests and
plain CPython use :class:`BytesBlob`.
"""
from __future__ import annotations

from typing import Protocol


class Blob(Protocol):
    size: int

    def read(self, offset: int, length: int) -> bytes:
        """``length`` bytes from ``offset`` (fewer at the end of the file)."""


class BytesBlob:
    """Bytes already in Python."""

    __slots__ = ("data",)

    def __init__(self, data: bytes | bytearray | memoryview) -> None:
        self.data = data

    @property
    def size(self) -> int:
        return len(self.data)

    def read(self, offset: int, length: int) -> bytes:
        if offset == 0 and length >= len(self.data) and isinstance(self.data, bytes):
            return self.data
        return bytes(self.data[offset:offset + length])


class JsBlob:
    """Bytes held by the worker's JavaScript under ``key`` (app/js/blobs.js), read on demand. ``head``: the file's
    first bytes when the worker read them ahead (asynchronously, while Python was busy with the previous file), so
    parsing a header needs no synchronous read at all."""

    __slots__ = ("key", "size", "head")

    def __init__(self, key: int, size: int, head: bytes = b"") -> None:
        self.key = int(key)
        self.size = int(size)
        self.head = head

    def read(self, offset: int, length: int) -> bytes:
        if offset >= self.size or length <= 0:
            return b""
        length = min(length, self.size - offset)
        if offset + length <= len(self.head):
            return self.head[offset:offset + length] if offset or length < len(self.head) else self.head
        import venos_blobs  # registered by the worker (pyodide.registerJsModule)

        return venos_blobs.read(self.key, offset, length).to_bytes()

    def release(self) -> None:
        import venos_blobs

        venos_blobs.release(self.key)
