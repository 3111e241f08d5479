"""multipart/related bodies (RFC 2046 §5.1, RFC 2387) as DICOMweb WADO-RS sends them (PS3.18 8.6.1.2).

A body is ``--boundary CRLF headers CRLF CRLF payload CRLF --boundary … --boundary--``. Payloads are binary (DICOM
files, frames); only the delimiter lines are searched, with ``bytes.find``, so a 500 MB study costs one pass.
"""
from __future__ import annotations

from dataclasses import dataclass

from ..errors import SourceError

MAX_PARTS = 100_000


@dataclass(frozen=True)
class Part:
    headers: dict[str, str]  # lower-case names
    body: bytes

    @property
    def content_type(self) -> str:
        return self.headers.get("content-type", "")


def media_params(content_type: str) -> tuple[str, dict[str, str]]:
    """``'multipart/related; type="application/dicom"; boundary=x'`` → ('multipart/related', {type:…, boundary:…}).

    Quoted values may hold ``;`` (the ``type`` parameter often carries its own parameters)."""
    text = content_type or ""
    head, _, rest = text.partition(";")
    params: dict[str, str] = {}
    i, n = 0, len(rest)
    while i < n:
        while i < n and rest[i] in " \t;":
            i += 1
        eq = rest.find("=", i)
        if eq < 0:
            break
        name = rest[i:eq].strip().lower()
        i = eq + 1
        if i < n and rest[i] == '"':
            j, buf = i + 1, []
            while j < n and rest[j] != '"':
                if rest[j] == "\\" and j + 1 < n:
                    j += 1
                buf.append(rest[j])
                j += 1
            value, i = "".join(buf), j + 1
        else:
            j = rest.find(";", i)
            j = n if j < 0 else j
            value, i = rest[i:j].strip(), j
        if name:
            params[name] = value
    return head.strip().lower(), params


def split(body: bytes, content_type: str, *, source: str = "") -> list[Part]:
    """The parts of a multipart body. Raises :class:`SourceError` naming what is wrong when it is not one."""
    mtype, params = media_params(content_type)
    if not mtype.startswith("multipart/"):
        raise SourceError(f"expected a multipart response, got Content-Type {content_type!r}", source=source)
    boundary = params.get("boundary", "")
    if not boundary or len(boundary) > 200:
        raise SourceError(f"multipart response without a usable boundary (Content-Type {content_type!r})",
                          source=source)
    data = bytes(body)
    delim = b"--" + boundary.encode("latin-1")
    # The first delimiter may open the body or follow a preamble line.
    pos = data.find(delim)
    if pos < 0 or (pos > 0 and data[pos - 1:pos] != b"\n"):
        raise SourceError(f"multipart body has no '--{boundary}' delimiter: not the response announced",
                          source=source)
    parts: list[Part] = []
    while True:
        pos += len(delim)
        if data[pos:pos + 2] == b"--":  # closing delimiter
            return parts
        line_end = data.find(b"\n", pos)
        if line_end < 0:
            raise SourceError("multipart body ends inside a delimiter line (truncated?)", source=source)
        start = line_end + 1
        head_end, sep = _header_end(data, start)
        if head_end < 0:
            raise SourceError("multipart part without the blank line that ends its headers (truncated?)",
                              source=source)
        headers = _headers(data[start:head_end])
        payload_start = head_end + sep
        nxt = -1
        length = headers.get("content-length", "")
        if length.isdigit():  # trust a declared length when a delimiter follows it: binary may hold "--boundary"
            end = payload_start + int(length)
            for lead in (b"\r\n", b"\n"):
                if data.startswith(lead + delim, end):
                    payload_end, nxt = end, end + len(lead) - 1
                    break
        if nxt < 0:
            nxt = data.find(b"\n" + delim, payload_start)
            if nxt < 0:
                raise SourceError(f"multipart part {len(parts) + 1} is not closed by '--{boundary}' (truncated?)",
                                  source=source)
            payload_end = nxt - 1 if nxt > payload_start and data[nxt - 1:nxt] == b"\r" else nxt
        parts.append(Part(headers, data[payload_start:payload_end]))
        if len(parts) > MAX_PARTS:
            raise SourceError(f"multipart body has more than {MAX_PARTS} parts", source=source)
        pos = nxt + 1


def _header_end(data: bytes, start: int) -> tuple[int, int]:
    """Index where a part's header block ends and the length of the blank-line separator."""
    if data[start:start + 2] == b"\r\n":
        return start, 2  # no headers at all
    if data[start:start + 1] == b"\n":
        return start, 1
    crlf = data.find(b"\r\n\r\n", start)
    lf = data.find(b"\n\n", start)
    if crlf >= 0 and (lf < 0 or crlf <= lf):
        return crlf, 4
    return lf, 2 if lf >= 0 else 0


def _headers(block: bytes) -> dict[str, str]:
    out: dict[str, str] = {}
    for line in block.decode("latin-1").replace("\r\n", "\n").split("\n"):
        name, colon, value = line.partition(":")
        if colon:
            out[name.strip().lower()] = value.strip()
    return out


def dicom_parts(name: str, data, content_type: str) -> list[tuple[str, bytes]]:
    """The DICOM files in a WADO-RS multipart answer, named ``name`` (one part) or ``name#n``."""
    from .case import as_bytes

    found = split(as_bytes(data), content_type, source=name)
    if not found:
        raise SourceError("the multipart answer holds no part", source=name)
    if len(found) == 1:
        return [(name, found[0].body)]
    return [(f"{name}#{i + 1}", p.body) for i, p in enumerate(found)]
