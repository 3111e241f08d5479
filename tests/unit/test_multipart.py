"""multipart/related parsing (WADO-RS answers) on CPython: the shapes servers send, and broken ones."""
from __future__ import annotations

import pytest

from venos.errors import SourceError
from venos.sources.multipart import media_params, split

CT = 'multipart/related; type="application/dicom"; boundary=%s'


def body(boundary: str, payloads: list[bytes], *, nl: bytes = b"\r\n", length: bool = True, preamble: bytes = b"") -> bytes:
    out = preamble
    for p in payloads:
        out += b"--" + boundary.encode() + nl + b"Content-Type: application/dicom" + nl
        if length:
            out += b"Content-Length: %d" % len(p) + nl
        out += nl + p + nl
    return out + b"--" + boundary.encode() + b"--" + nl


def test_media_params_with_quoted_semicolons():
    mtype, params = media_params('multipart/related; type="application/octet-stream; transfer-syntax=1.2.840.10008.1.2.1"; boundary=ad56-30')
    assert mtype == "multipart/related"
    assert params["type"] == "application/octet-stream; transfer-syntax=1.2.840.10008.1.2.1"
    assert params["boundary"] == "ad56-30"
    assert media_params('multipart/related;boundary="a b"')[1]["boundary"] == "a b"


@pytest.mark.parametrize("nl", [b"\r\n", b"\n"])
@pytest.mark.parametrize("length", [True, False])
def test_parts_come_back_byte_for_byte(nl, length):
    payloads = [bytes(range(256)) * 40, b"\r\n--not-the-boundary\r\n" + b"\x00" * 10, b""]
    parts = split(body("b0undary", payloads, nl=nl, length=length, preamble=b"preamble" + nl), CT % "b0undary")
    assert [p.body for p in parts] == payloads
    assert parts[0].content_type == "application/dicom"


def test_declared_length_protects_a_payload_holding_the_delimiter():
    evil = b"abc\r\n--XYZ\r\nfake part\r\n\r\nmore"
    parts = split(body("XYZ", [evil, b"second"]), CT % "XYZ")
    assert [p.body for p in parts] == [evil, b"second"]


def test_orthanc_style_single_instance():
    dcm = b"\x00" * 128 + b"DICM" + b"\x02\x00" * 100
    raw = (b"--fb45-d5fd\r\nContent-Type: application/dicom\r\nContent-Length: %d\r\nMIME-Version: 1.0\r\n\r\n" % len(dcm)
           + dcm + b"\r\n--fb45-d5fd--")
    parts = split(raw, 'multipart/related; type="application/dicom"; boundary=fb45-d5fd')
    assert len(parts) == 1 and parts[0].body == dcm and parts[0].headers["mime-version"] == "1.0"


@pytest.mark.parametrize("content_type,raw,message", [
    ("application/dicom", b"DICM", "expected a multipart"),
    ("multipart/related", b"--x\r\n\r\nabc\r\n--x--", "boundary"),
    (CT % "x", b"no delimiter here", "no '--x' delimiter"),
    (CT % "x", b"--x\r\nContent-Type: a\r\n\r\nabc", "not closed"),
    (CT % "x", b"--x\r\nContent-Type: a", "blank line"),
])
def test_broken_bodies_are_named(content_type, raw, message):
    with pytest.raises(SourceError, match=message):
        split(raw, content_type, source="http://pacs/x")
