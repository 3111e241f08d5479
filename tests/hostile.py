"""Hostile inputs made on the fly from the shared set's real files, by a seeded generator (nothing binary is
committed; the same seed gives the same bytes on every machine).

Each case is a `Case(name, data, kind)`: `name` is the file name the viewer is given (some are hostile too),
`kind` the family it belongs to. The families are what a viewer that opens files from strangers meets:
truncations and byte-flipped mutants of real JPEG, JPEG-LS, JPEG 2000, RLE and native files, corrupted VR bytes,
absurd declared sizes (rows, columns, frames, bits, samples, element lengths), markup in every text attribute and
in file names, and plain garbage. Used by tests/unit/test_hostile_parse.py (every case, on CPython, through the
same `venos.api` the browser calls) and tests/browser/test_hostile_files.py (a mixed batch in Chromium).
"""
from __future__ import annotations

import io
import random
import struct
import warnings
from dataclasses import dataclass

import pydicom

from conftest import data_path

SEED = 20261128

# One CT image stored in every transfer syntax the hostile inputs exercise (the same source pixels, so a mutant's
# damage is the only difference between them), plus a plain native slice.
BASES = {
    "native": "pydicom-data/693_UNCI.dcm",
    "jpeg-baseline": "cornerstone3D/CTImage.dcm_JPEGProcess1TransferSyntax_1.2.840.10008.1.2.4.50.dcm",
    "jpeg-lossless": "cornerstone3D/CTImage.dcm_JPEGProcess14SV1TransferSyntax_1.2.840.10008.1.2.4.70.dcm",
    "jpeg-ls": "cornerstone3D/CTImage.dcm_JPEGLSLosslessTransferSyntax_1.2.840.10008.1.2.4.80.dcm",
    "j2k": "cornerstone3D/CTImage.dcm_JPEG2000LosslessOnlyTransferSyntax_1.2.840.10008.1.2.4.90.dcm",
    "rle": "cornerstone3D/CTImage.dcm_RLELosslessTransferSyntax_1.2.840.10008.1.2.5.dcm",
}

# Markup a viewer must show as text: if any of it ran, it would set window.__venosXss.
XSS = [
    '<img src=x onerror="window.__venosXss=1">',
    '<script>window.__venosXss=1</script>',
    '"><svg onload=window.__venosXss=1>',
    "javascript:window.__venosXss=1",
    "&lt;b&gt;&amp;&#x3C;",
    "{{constructor.constructor('window.__venosXss=1')()}}",
    "=HYPERLINK(\"http://example.invalid\")",
]
TEXT_KEYWORDS = ["PatientName", "PatientID", "StudyDescription", "SeriesDescription", "InstitutionName",
                 "ReferringPhysicianName", "BodyPartExamined", "ProtocolName", "Manufacturer", "StationName"]


@dataclass(frozen=True)
class Case:
    name: str
    data: bytes
    kind: str

    def __repr__(self) -> str:  # pytest ids: short, printable
        return f"{self.kind}:{self.name[:40]!r}"


def base_bytes(key: str) -> bytes:
    return data_path(BASES[key]).read_bytes()


def _pixel_data_offset(raw: bytes) -> int:
    """Offset of the (7FE0,0010) tag in an explicit VR little endian file (the last occurrence: icons come first)."""
    at = raw.rfind(b"\xe0\x7f\x10\x00")
    if at < 0:
        raise ValueError("no Pixel Data")
    return at


def truncations() -> list[Case]:
    out = []
    for key in BASES:
        raw = base_bytes(key)
        for frac in (0.01, 0.1, 0.3, 0.6, 0.9, 0.99):
            out.append(Case(f"{key}-cut{int(frac * 100)}.dcm", raw[: int(len(raw) * frac)], "truncated"))
        # cut inside the pixel data's element header, and one byte short of the end
        px = _pixel_data_offset(raw)
        out.append(Case(f"{key}-cut-in-pixel-header.dcm", raw[: px + 6], "truncated"))
        out.append(Case(f"{key}-one-byte-short.dcm", raw[:-1], "truncated"))
    return out


def cut_streams() -> list[Case]:
    """Well-formed files whose compressed frame is cut short (the item lengths say so): the codec meets the end of
    its stream, not the parser."""
    from pydicom.encaps import encapsulate, generate_frames

    out = []
    for key in ("jpeg-baseline", "jpeg-lossless", "jpeg-ls", "j2k", "rle"):
        ds = pydicom.dcmread(data_path(BASES[key]))
        frame = next(generate_frames(ds.PixelData, number_of_frames=1))
        for frac in (0.02, 0.1, 0.3, 0.6, 0.9):
            cut = frame[: max(2, int(len(frame) * frac))]
            ds.PixelData = encapsulate([cut + b"\0" * (len(cut) % 2)])
            buf = io.BytesIO()
            ds.save_as(buf, enforce_file_format=True)
            out.append(Case(f"{key}-stream-cut{int(frac * 100)}.dcm", buf.getvalue(), "stream-cut"))
    return out


def mutants(rng: random.Random, per_base: int = 10) -> list[Case]:
    """Random byte flips: anywhere, and only inside the pixel data (where the codecs meet them)."""
    out = []
    for key in BASES:
        raw = base_bytes(key)
        px = _pixel_data_offset(raw)
        for i in range(per_base):
            b = bytearray(raw)
            inside = i % 2 == 1
            lo = px + 12 if inside else 132
            for _ in range(rng.choice((1, 4, 16, 64))):
                at = rng.randrange(lo, len(b))
                b[at] = rng.randrange(256)
            out.append(Case(f"{key}-flip{i}{'-pixels' if inside else ''}.dcm", bytes(b), "mutant"))
    return out


def bad_vrs(rng: random.Random) -> list[Case]:
    """The two VR bytes of an element replaced by bytes that are no VR (4C 80, as an outside test found)."""
    out = []
    tags = [(0x0008, 0x103E), (0x0008, 0x0060), (0x0010, 0x0010), (0x0028, 0x0010), (0x0028, 0x0100),
            (0x0020, 0x0013), (0x0028, 0x1052)]
    for key in ("native", "jpeg-baseline", "jpeg-ls"):
        raw = base_bytes(key)
        for group, elem in tags:
            at = raw.find(struct.pack("<HH", group, elem))
            if at < 0:
                continue
            for vr in (b"\x4c\x80", bytes([rng.randrange(256), rng.randrange(256)])):
                b = bytearray(raw)
                b[at + 4: at + 6] = vr
                out.append(Case(f"{key}-vr-{group:04x}{elem:04x}-{vr.hex()}.dcm", bytes(b), "bad-vr"))
    return out


def _rewrite(key: str, **changes) -> bytes:
    ds = pydicom.dcmread(data_path(BASES[key]))
    for keyword, value in changes.items():
        if value is None:
            delattr(ds, keyword) if keyword in ds else None
        else:
            setattr(ds, keyword, value)
    buf = io.BytesIO()
    ds.save_as(buf, enforce_file_format=True)
    return buf.getvalue()


def declared_sizes() -> list[Case]:
    """Attributes that declare what is not there: absurd dimensions, frame counts, bit depths, sample counts."""
    out = []
    variants = {
        "rows-65535": dict(Rows=65535, Columns=65535),
        "rows-0": dict(Rows=0),
        "columns-1": dict(Columns=1),
        "frames-1000000": dict(NumberOfFrames=1_000_000),
        "frames-minus5": dict(NumberOfFrames=-5),
        "frames-0": dict(NumberOfFrames=0),
        "frames-2": dict(NumberOfFrames=2),
        "bits-12": dict(BitsAllocated=12),
        "bits-64": dict(BitsAllocated=64),
        "bits-0": dict(BitsAllocated=0),
        "stored-40": dict(BitsStored=40, HighBit=39),
        "samples-0": dict(SamplesPerPixel=0),
        "samples-9": dict(SamplesPerPixel=9),
        "samples-3-mono": dict(SamplesPerPixel=3),
        "palette-without-lut": dict(PhotometricInterpretation="PALETTE COLOR"),
        "ybr-one-sample": dict(PhotometricInterpretation="YBR_FULL"),
        "photometric-unknown": dict(PhotometricInterpretation="HOLOGRAM"),
        "representation-2": dict(PixelRepresentation=2),
        "no-rows": dict(Rows=None),
        "no-photometric": dict(PhotometricInterpretation=None),
        "slope-0": dict(RescaleSlope="0"),
        "slope-huge": dict(RescaleSlope="1e308", RescaleIntercept="-1e308"),
        "window-width-0": dict(WindowCenter="40", WindowWidth="0"),
        "spacing-negative": dict(PixelSpacing=["-1", "0"]),
    }
    for key in ("native", "jpeg-baseline", "rle"):
        for label, changes in variants.items():
            try:
                data = _rewrite(key, **changes)
            except Exception:  # pydicom refuses to write it: not a case a file can carry
                continue
            out.append(Case(f"{key}-{label}.dcm", data, "declared"))
    # element lengths past the end of the file, as raw bytes (pydicom would not write them)
    for key in ("native", "jpeg-baseline", "jpeg-ls", "rle"):
        raw = base_bytes(key)
        px = _pixel_data_offset(raw)
        for length in (0x80000000, 0x7FFFFFF0, len(raw)):
            b = bytearray(raw)
            b[px + 8: px + 12] = struct.pack("<I", length)
            out.append(Case(f"{key}-pixel-length-{length:x}.dcm", bytes(b), "declared"))
        if key != "native":  # the first fragment's item length
            item = raw.find(b"\xfe\xff\x00\xe0", px + 12)
            b = bytearray(raw)
            b[item + 4: item + 8] = struct.pack("<I", 0x7FFFFFF0)
            out.append(Case(f"{key}-item-length-huge.dcm", bytes(b), "declared"))
    return out


def markup(rng: random.Random) -> list[Case]:
    """Markup and formula text in every text attribute, and in file names; the files themselves are good."""
    out = []
    for i, payload in enumerate(XSS):
        changes = {k: payload[:64] if k in ("PatientID", "BodyPartExamined", "StationName") else payload
                   for k in TEXT_KEYWORDS}
        changes["SeriesInstanceUID"] = pydicom.uid.generate_uid(entropy_srcs=[str(SEED), str(i)])
        try:
            data = _rewrite("native", **changes)
        except Exception:
            continue
        safe = payload.replace("/", "∕")  # a file name cannot hold "/"
        out.append(Case(f"{safe}.dcm", data, "markup"))
    return out


def garbage(rng: random.Random) -> list[Case]:
    return [
        Case("empty.dcm", b"", "garbage"),
        Case("preamble-only.dcm", b"\0" * 128 + b"DICM", "garbage"),
        Case("random.dcm", bytes(rng.randrange(256) for _ in range(4096)), "garbage"),
        Case("dicm-then-random.dcm", b"\0" * 128 + b"DICM" + bytes(rng.randrange(256) for _ in range(4096)),
             "garbage"),
        Case("html.dcm", b"<!doctype html><script>window.__venosXss=1</script>", "garbage"),
        Case("png-header-only.png", b"\x89PNG\r\n\x1a\n" + b"\0" * 20, "garbage"),
        Case("jpeg-header-only.jpg", b"\xff\xd8\xff\xe0" + b"\0" * 20, "garbage"),
    ]


def all_cases(seed: int = SEED) -> list[Case]:
    rng = random.Random(seed)
    with warnings.catch_warnings():  # pydicom warns about every value it is asked to write wrongly: that is the point
        warnings.simplefilter("ignore")
        return (truncations() + cut_streams() + mutants(rng) + bad_vrs(rng) + declared_sizes() + markup(rng) + garbage(rng))


def good_slices(n: int = 10) -> dict[str, bytes]:
    """Good files to mix with the hostile ones: every one of them must load whatever lies beside it."""
    folder = data_path("dcm_qa_ct/GE")
    return {f"good-{p.name}": p.read_bytes() for p in sorted(folder.glob("*.dcm"))[:n]}



def _zip(members: dict[str, bytes], *, compress: bool = True) -> bytearray:
    import zipfile

    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w", zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED) as z:
        for name, data in members.items():
            z.writestr(name, data)
    return bytearray(buf.getvalue())


def _central(b: bytearray, k: int = 0) -> int:
    """Offset of the k-th central directory record."""
    at = -1
    for _ in range(k + 1):
        at = b.index(b"PK\x01\x02", at + 1)
    return at


def archives() -> list[tuple[Case, str]]:
    """Zip archives that lie, are damaged or use what the viewer does not read, each with the member expected to
    be named in its skip ("" when the whole archive is refused). Each also carries a good slice that must load
    when the archive is readable."""
    good = base_bytes("native")
    out = []
    z = _zip({"ok.dcm": good})
    c = _central(z)
    z[c + 24: c + 28] = struct.pack("<I", 0xFFFFFFFF - 1)  # declares 4 GB for one member
    out.append((Case("declares-4gb.zip", bytes(z), "archive"), ""))
    z = _zip({"ok.dcm": good, "bomb.dcm": b"\0" * (64 * 2**20)})
    c = _central(z, 1)
    z[c + 24: c + 28] = struct.pack("<I", 1000)  # inflates past what it declares
    out.append((Case("lies-about-size.zip", bytes(z), "archive"), "bomb.dcm"))
    z = _zip({"ok.dcm": good, "secret.dcm": good})
    c = _central(z, 1)
    z[c + 8] |= 1  # encrypted flag
    out.append((Case("encrypted-member.zip", bytes(z), "archive"), "secret.dcm"))
    z = _zip({"ok.dcm": good, "bz.dcm": good})
    c = _central(z, 1)
    z[c + 10: c + 12] = struct.pack("<H", 12)  # bzip2
    out.append((Case("bzip2-member.zip", bytes(z), "archive"), "bz.dcm"))
    z = _zip({"ok.dcm": good})
    out.append((Case("truncated.zip", bytes(z[: len(z) // 2]), "archive"), ""))
    z = _zip({"ok.dcm": good})
    eocd = z.rindex(b"PK\x05\x06")
    z[eocd + 16: eocd + 20] = struct.pack("<I", 0xFFFFFFFF)  # zip64 marker with no zip64 records
    out.append((Case("zip64-damaged.zip", bytes(z), "archive"), ""))
    z = _zip({f"e{i}.txt": b"" for i in range(20001)}, compress=False)
    out.append((Case("too-many-entries.zip", bytes(z), "archive"), ""))
    z = _zip({"../../../etc/passwd.dcm": good, "<img src=x onerror=window.__venosXss=1>.dcm": b"not dicom"})
    out.append((Case("traversal-and-markup.zip", bytes(z), "archive"), "<img src=x onerror=window.__venosXss=1>.dcm"))
    return out
