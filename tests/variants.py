"""Compressed variants of one real image, made by independent tools, for codec tests and benchmarks.

dcmtk (``dcmconv``, ``dcmcjpeg``, ``dcmcjpls``, ``dcmcrle``; Debian package ``dcmtk``) and GDCM (``gdcmconv``;
``libgdcm-tools``) encode; HTJ2K has no Debian encoder, so OpenJPH's encoder from the vendored npm tarball
(``@cornerstonejs/codec-openjph``) runs under Node. Encapsulated-uncompressed and Deflated Image Frame Compression
are written with pydicom + zlib. Lossless variants must decode to the source pixels exactly.
"""
from __future__ import annotations

import io
import json
import shutil
import subprocess
import sys
import tarfile
import tempfile
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pydicom
from pydicom.encaps import encapsulate
from pydicom.uid import UID

ROOT = Path(__file__).resolve().parents[1]


@dataclass(frozen=True)
class Variant:
    name: str
    syntax: str
    path: Path
    lossless: bool
    source: Path  # the native file it was made from (same pixels if lossless)
    tool: str


def _run(cmd: list[str]) -> None:
    r = subprocess.run(cmd, capture_output=True, text=True)
    if r.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd)} failed: {r.stderr.strip()[-400:]}")


def tools_missing() -> list[str]:
    need = ["dcmconv", "dcmcjpeg", "dcmcjpls", "dcmcrle", "gdcmconv", "node"]
    return [t for t in need if shutil.which(t) is None]


def native_versions(src: Path, out: Path) -> dict[str, Path]:
    """The source as explicit VR LE, plus 12-bit unsigned and 8-bit versions (what lossy JPEG can encode)."""
    ds = pydicom.dcmread(src)
    ds.decompress() if ds.file_meta.TransferSyntaxUID.is_compressed else None
    arr = ds.pixel_array.astype(np.int32)
    slope, icpt = float(ds.get("RescaleSlope", 1)), float(ds.get("RescaleIntercept", 0))
    hu = arr * slope + icpt
    paths = {"16": out / "native16.dcm"}
    ds.save_as(paths["16"], enforce_file_format=True)
    for bits, name in ((12, "12"), (8, "8")):
        d = ds.copy()
        if bits == 12:
            v = np.clip(np.rint(hu + 1024), 0, 4095).astype(np.uint16)
            d.RescaleIntercept, d.RescaleSlope = -1024, 1
            d.BitsAllocated, d.BitsStored, d.HighBit = 16, 12, 11
        else:  # a soft-tissue window into 8 bits
            v = np.clip(np.rint((hu + 160) / 400 * 255), 0, 255).astype(np.uint8)
            d.RescaleIntercept, d.RescaleSlope = 0, 1
            d.BitsAllocated, d.BitsStored, d.HighBit = 8, 8, 7
            for kw in ("WindowCenter", "WindowWidth"):
                if kw in d:
                    del d[kw]
        d.PixelRepresentation = 0
        d.PixelData = v.tobytes()
        d["PixelData"].VR = "OB" if bits == 8 else "OW"
        paths[name] = out / f"native{name}.dcm"
        d.save_as(paths[name], enforce_file_format=True)
    return paths


def _encapsulated(src: Path, dst: Path, syntax: str, pack) -> None:
    sys.path.insert(0, str(ROOT / "app/py"))
    from venos.pixels import syntaxes  # pydicom 3.0.2 does not know 1.2.840.10008.1.2.8.1 yet

    syntaxes.install()
    ds = pydicom.dcmread(src)
    frames = int(ds.get("NumberOfFrames", 1))
    raw = ds.PixelData
    size = len(raw) // frames
    ds.file_meta.TransferSyntaxUID = UID(syntax)
    ds.PixelData = encapsulate([pack(raw[i * size:(i + 1) * size]) for i in range(frames)])
    ds["PixelData"].VR = "OB"
    ds["PixelData"].is_undefined_length = True
    ds.save_as(dst, enforce_file_format=True)


def _raw_deflate(data: bytes) -> bytes:
    c = zlib.compressobj(6, zlib.DEFLATED, -15)
    return c.compress(data) + c.flush()


HTJ2K_NODE = r"""
const [glue, rawPath, w, h, bits, signed, lossless, order, outPath] = process.argv.slice(2);
const fs = require("fs");
require(glue)().then((m) => {
  const enc = new m.HTJ2KEncoder();
  const raw = fs.readFileSync(rawPath);
  const info = { width: +w, height: +h, bitsPerSample: +bits, componentCount: 1, isSigned: signed === "1",
                 isUsingColorTransform: false };
  enc.getDecodedBuffer(info).set(raw);
  enc.setQuality(lossless === "1", lossless === "1" ? 0 : 0.002);
  enc.setProgressionOrder(+order);
  enc.encode();
  fs.writeFileSync(outPath, enc.getEncodedBuffer());
});
"""


def _openjph_glue(tmp: Path) -> Path:
    sys.path.insert(0, str(ROOT))
    import build  # the build's npm cache holds the pinned tarball

    entry = next(c for c in build.CODECS if c[0] == "openjph")
    tgz = build.npm_pack(entry[1], entry[2], entry[3])
    with tarfile.open(tgz) as tf:
        data = tf.extractfile("package/dist/openjphjs.js").read()
        wasm = tf.extractfile("package/dist/openjphjs.wasm").read()
    (tmp / "openjphjs.js").write_bytes(data)
    (tmp / "openjphjs.wasm").write_bytes(wasm)
    return tmp / "openjphjs.js"


def _htj2k(src: Path, dst: Path, syntax: str, *, lossless: bool, rpcl: bool, tmp: Path) -> None:
    ds = pydicom.dcmread(src)
    arr = ds.pixel_array
    raw = tmp / "frame.raw"
    raw.write_bytes(np.ascontiguousarray(arr).astype(arr.dtype.newbyteorder("<")).tobytes())
    script = tmp / "htj2k.cjs"
    script.write_text(HTJ2K_NODE)
    glue = _openjph_glue(tmp)
    out = tmp / "frame.j2c"
    _run(["node", str(script), str(glue), str(raw), str(ds.Columns), str(ds.Rows), str(ds.BitsStored),
          str(int(ds.PixelRepresentation)), "1" if lossless else "0", "2" if rpcl else "0", str(out)])
    ds.file_meta.TransferSyntaxUID = UID(syntax)
    ds.PixelData = encapsulate([out.read_bytes()])
    ds["PixelData"].VR = "OB"
    ds["PixelData"].is_undefined_length = True
    ds.save_as(dst, enforce_file_format=True)


def make_variants(src: Path, out: Path) -> list[Variant]:
    """Every transfer syntax VeNOS decodes, made from ``src`` (a native single-frame monochrome image)."""
    out.mkdir(parents=True, exist_ok=True)
    n = native_versions(src, out)
    v: list[Variant] = []

    def add(name, syntax, path, lossless, source, tool):
        v.append(Variant(name, syntax, path, lossless, source, tool))

    add("explicit-vr-le", "1.2.840.10008.1.2.1", n["16"], True, n["16"], "pydicom")
    for flag, name, ts in (("+ti", "implicit-vr-le", "1.2.840.10008.1.2"), ("+tb", "explicit-vr-be", "1.2.840.10008.1.2.2"),
                           ("+td", "deflated-explicit-vr-le", "1.2.840.10008.1.2.1.99")):
        p = out / f"{name}.dcm"
        _run(["dcmconv", flag, str(n["16"]), str(p)])
        add(name, ts, p, True, n["16"], f"dcmconv {flag}")
    for flag, name, ts, base, lossless in (
            ("+eb", "jpeg-baseline", "1.2.840.10008.1.2.4.50", "8", False),
            ("+ee", "jpeg-extended-12bit", "1.2.840.10008.1.2.4.51", "12", False),
            ("+es", "jpeg-spectral-selection", "1.2.840.10008.1.2.4.53", "12", False),
            ("+ep", "jpeg-progressive", "1.2.840.10008.1.2.4.55", "12", False),
            ("+el", "jpeg-lossless", "1.2.840.10008.1.2.4.57", "16", True),
            ("+e1", "jpeg-lossless-sv1", "1.2.840.10008.1.2.4.70", "16", True)):
        p = out / f"{name}.dcm"
        _run(["dcmcjpeg", flag, str(n[base]), str(p)])
        add(name, ts, p, lossless, n[base], f"dcmcjpeg {flag}")
    for flag, name, ts, base, lossless in (("+el", "jpeg-ls-lossless", "1.2.840.10008.1.2.4.80", "16", True),
                                           ("+en", "jpeg-ls-near-lossless", "1.2.840.10008.1.2.4.81", "12", False)):
        p = out / f"{name}.dcm"  # dcmtk refuses near-lossless for signed pixels: use the 12-bit unsigned version
        _run(["dcmcjpls", flag, str(n[base]), str(p)])
        add(name, ts, p, lossless, n[base], f"dcmcjpls {flag}")
    p = out / "j2k-lossless.dcm"
    _run(["gdcmconv", "--j2k", str(n["16"]), str(p)])
    add("j2k-lossless", "1.2.840.10008.1.2.4.90", p, True, n["16"], "gdcmconv --j2k")
    p = out / "j2k.dcm"
    _run(["gdcmconv", "--j2k", "--lossy", "-q", "50", str(n["16"]), str(p)])
    add("j2k-lossy", "1.2.840.10008.1.2.4.91", p, False, n["16"], "gdcmconv --j2k --lossy -q 50")
    p = out / "rle.dcm"
    _run(["dcmcrle", str(n["16"]), str(p)])
    add("rle", "1.2.840.10008.1.2.5", p, True, n["16"], "dcmcrle")
    with tempfile.TemporaryDirectory() as tmp:
        for name, ts, lossless, rpcl in (("htj2k-lossless", "1.2.840.10008.1.2.4.201", True, False),
                                         ("htj2k-lossless-rpcl", "1.2.840.10008.1.2.4.202", True, True),
                                         ("htj2k-lossy", "1.2.840.10008.1.2.4.203", False, False)):
            p = out / f"{name}.dcm"
            _htj2k(n["16"], p, ts, lossless=lossless, rpcl=rpcl, tmp=Path(tmp))
            add(name, ts, p, lossless, n["16"], "OpenJPH encoder (npm) under Node")
    p = out / "encapsulated-uncompressed.dcm"
    _encapsulated(n["16"], p, "1.2.840.10008.1.2.1.98", lambda b: b)
    add("encapsulated-uncompressed", "1.2.840.10008.1.2.1.98", p, True, n["16"], "pydicom encapsulate")
    p = out / "deflated-image-frame.dcm"
    _encapsulated(n["16"], p, "1.2.840.10008.1.2.8.1", _raw_deflate)
    add("deflated-image-frame", "1.2.840.10008.1.2.8.1", p, True, n["16"], "pydicom + zlib (raw Deflate)")
    return v


def reference_pixels(variant: Variant) -> np.ndarray:
    """Lossless: the source's pixels. Lossy: the encoding tool family's own decode (dcmtk for JPEG/JPEG-LS, GDCM
    for JPEG 2000), for HTJ2K the source (compared within a tolerance)."""
    src = pydicom.dcmread(variant.source).pixel_array
    if variant.lossless or variant.name.startswith("htj2k"):
        return src
    with tempfile.TemporaryDirectory() as tmp:
        out = Path(tmp) / "raw.dcm"
        if variant.name.startswith("jpeg-ls"):
            _run(["dcmdjpls", str(variant.path), str(out)])
        elif variant.name.startswith("jpeg"):
            _run(["dcmdjpeg", str(variant.path), str(out)])
        else:
            _run(["gdcmconv", "--raw", str(variant.path), str(out)])
        return pydicom.dcmread(out).pixel_array


if __name__ == "__main__":  # python tests/variants.py SRC OUTDIR: make them and print a table
    made = make_variants(Path(sys.argv[1]), Path(sys.argv[2]))
    print(json.dumps([{"name": x.name, "syntax": x.syntax, "bytes": x.path.stat().st_size, "tool": x.tool}
                      for x in made], indent=1))
    del io
