"""The runtime diet: ship eagerly only the Python modules the viewer imports, the rest as bundles fetched on the
first import that needs them, and nothing that never runs in a browser.

1. The site (numpy, pydicom, venos) is byte-compiled by Pyodide's CPython under Node: numpy and pydicom as
   sourceless ``.pyc``, venos with its sources (``compile_site.py``).
2. The viewer is driven under Node on pydicom's test files and every module file it loads is recorded
   (``trace_imports.py``).
3. Pyodide's standard library, numpy and pydicom are split: loaded modules go into ``python_stdlib.zip`` and
   ``py/site.zip``; every other module into a lazy bundle ``py/lazy/<name>.zip``, listed in
   ``venos/_lazy_index.json`` with its sha256. ``venos._lazy`` fetches a bundle when an import asks for one of its
   modules. Files no browser uses (C headers, static libraries, type stubs, test data) are dropped.
The report says what went where, in bytes; build.py prints it and writes it to ``dist/py/diet.json``.
"""
from __future__ import annotations

import io
import json
import os
import re
import shutil
import subprocess
import tempfile
import zipfile
from dataclasses import dataclass, field
from pathlib import Path

from fetchers import BuildError, log, sha256_bytes

HERE = Path(__file__).resolve().parent
SITE = "/lib/python3.12/site-packages/"
STDLIB = "/lib/python312.zip/"
LAZY_ROOT = "/lib/venos-lazy/"
# Never shipped: files that only a compiler, a type checker or a test run reads.
DROP = re.compile(r"(^|/)(tests?|include|lib/npy-pkg-config)/|\.(pyi|pxd|h|c|a|lib|pc|cfg)$|(^|/)py\.typed$"
                  r"|^numpy/_core/lib/|^numpy/_core/include/|\.dist-info/(?!METADATA$|entry_points\.txt$)"
                  r"|^pydicom/data/test_files/")
# Modules the lazy loader itself runs on: always eager, or the first lazy import would recurse.
ALWAYS = ["hashlib", "zipfile", "io", "json", "importlib.util", "importlib.machinery", "importlib.abc",
          "venos.parse_api"]  # (what the parsing helper worker imports at its start: app/js/parseworker.js)
EXT = ".cpython-312-wasm32-emscripten.so"
# Imported at start-up, used only inside functions the viewer never calls: shipped lazily, and a stand-in module
# takes each one's place until one of its attributes is read (venos._lazy). numpy.linalg's LAPACK gufuncs (inv,
# solve, svd, eig …: 0.42 MB); urllib.request, which pydicom imports to download its test data (it pulls in
# http.client and most of the email package); pydicom.examples, which pydicom imports to list the paths of its
# documentation's example files: it looks for each (the build ships none) in pydicom's folder, then among the
# installed packages' entry points, which imports importlib.metadata, the email package and csv (~60 ms at start
# under Node, ~0.1 MB of the eager standard library). numpy's ``_add_newdocs`` and ``_add_newdocs_scalars`` only
# attach docstrings to numpy's C functions and scalar types (the first imports numpy's C test module to document one
# of its functions): a fifth of numpy's import under Node (22 of 121 ms), every start. numpy works the same
# without them; only help() on those functions and types has no text.
DEFER = ["numpy.linalg._umath_linalg", "urllib.request", "pydicom.examples",
         "numpy._core._add_newdocs", "numpy._core._add_newdocs_scalars"]
# venos's own modules that only a feature the user asks for imports: sharing a case (de-identification, the zip),
# measurement reports, presentation states. They arrive on first use like the rest of the lazy bundles.
VENOS_LAZY = ("venos.deid", "venos.sr", "venos.export", "venos.reports", "venos.pstate", "venos.presentations")
MIN_GROUP = 40_000
FEATURES = "features"  # modules the viewer's features import after start-up: fetched once the first image is up  # a top-level package smaller than this (compressed) shares its bundle with others


@dataclass
class Diet:
    stdlib: bytes  # the eager python_stdlib.zip
    site: bytes  # the eager site.zip (pydicom, venos + the lazy index)
    numpy: bytes  # the eager numpy.zip: fetched after site.zip, imported after pydicom and venos (see worker.js)
    bundles: dict[str, bytes]  # name → lazy bundle zip
    report: dict = field(default_factory=dict)


def source_of(rel: str) -> str | None:
    """The source of a compiled module kept beside it (venos ships both): 'a/__pycache__/b.cpython-312.pyc' →
    'a/b.py'; None for anything else."""
    if "/__pycache__/" not in rel or not rel.endswith(".pyc"):
        return None
    where, name = rel.split("/__pycache__/", 1)
    return f"{where}/{name.split('.', 1)[0]}.py"


def module_of(rel: str) -> str | None:
    """The module a file is, or is the compiled form of (it travels with its source)."""
    return module_name(rel) or module_name(source_of(rel) or "")


def module_name(rel: str) -> str | None:
    """'numpy/linalg/__init__.pyc' → 'numpy.linalg'; None for a file that is not a module."""
    if rel.endswith(EXT):
        stem = rel[: -len(EXT)]
    elif rel.endswith(".pyc") and "__pycache__/" not in rel:
        stem = rel[:-4]
    elif rel.endswith(".py"):
        stem = rel[:-3]
    else:
        return None
    if "__pycache__" in stem or "." in stem.replace("/", ""):
        return None
    parts = stem.split("/")
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts) if parts else None


def zip_bytes(files: dict[str, bytes], *, deflate: bool = True) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for n in sorted(files):
            zi = zipfile.ZipInfo(n, date_time=(2024, 1, 1, 0, 0, 0))  # reproducible
            zi.compress_type = zipfile.ZIP_DEFLATED if deflate else zipfile.ZIP_STORED
            zf.writestr(zi, files[n], compresslevel=9 if deflate else None)
    return buf.getvalue()


def read_zip(data: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(data)) as zf:
        return {i.filename: zf.read(i) for i in zf.infolist() if not i.filename.endswith("/")}


def run_job(core_dir: Path, job: dict, tmp: Path) -> None:
    node = shutil.which("node")
    if node is None:
        raise BuildError("Node.js is needed to byte-compile and trace the Python site: install nodejs.")
    job = {"indexURL": str(core_dir.resolve()) + "/", **job}
    path = tmp / "job.json"
    path.write_text(json.dumps(job))
    r = subprocess.run([node, str(HERE / "pyodide_job.mjs"), str(path)], capture_output=True, text=True)
    if r.returncode != 0:
        raise BuildError(f"{Path(job['script']).name} under Pyodide/Node failed:\n{r.stdout[-3000:]}\n{r.stderr[-3000:]}")


# pydicom/_version.py asks importlib.metadata for the installed version at import, which pulls the email package,
# csv and calendar into every start-up (0.15 MB, ~40 ms). The build pins the version, so it writes it in; the exact
# text replaced is checked, so another pydicom release fails here instead of shipping a wrong number.
VERSION_LOOKUP = (b'from importlib.metadata import version\n\n__version__: str = version("pydicom")\n')


def pin_pydicom_version(source: bytes, version: str) -> bytes:
    if source.count(VERSION_LOOKUP) != 1:
        raise BuildError("pydicom/_version.py is not the text the build knows: review runtime_diet.VERSION_LOOKUP")
    return source.replace(VERSION_LOOKUP, f'__version__: str = "{version}"  # pinned by build.py\n'.encode())


def site_sources(numpy_whl: Path, pydicom_whl: Path, venos: dict[str, bytes]) -> tuple[dict[str, bytes], list[str]]:
    """The site's files before compiling, and the paths dropped as never used in a browser."""
    files, dropped = {}, []
    for whl in (numpy_whl, pydicom_whl):
        with zipfile.ZipFile(whl) as zf:
            for info in zf.infolist():
                n = info.filename
                if n.endswith("/"):
                    continue
                if DROP.search(n):
                    dropped.append(n)
                    continue
                files[n] = zf.read(info)
    version = pydicom_whl.name.split("-")[1]
    files["pydicom/_version.py"] = pin_pydicom_version(files["pydicom/_version.py"], version)
    for rel, data in venos.items():
        files[f"venos/{rel}"] = data
    return files, dropped


def compile_trees(site: dict[str, bytes], stdlib: dict[str, bytes], core_dir: Path,
                  tmp: Path) -> tuple[dict[str, bytes], dict[str, bytes]]:
    """(compiled site, compiled standard library). Pyodide ships its standard library as sources, so every
    module the browser imports would be compiled on each visit; compiled here, it is not."""
    jobs = []
    for name, files in (("site", site), ("stdlib", stdlib)):
        src = tmp / f"{name}-src.zip"
        src.write_bytes(zip_bytes(files, deflate=False))
        jobs.append((name, src))
    run_job(core_dir, {"archives": [{"path": str(src), "format": "zip", "extractDir": f"/tmp/{name}"}
                                    for name, src in jobs],
                       "script": str(HERE / "compile_site.py"),
                       "env": {"PYTHONNODEBUGRANGES": "1"},
                       "args": {"trees": [{"root": f"/tmp/{name}", "out": f"/tmp/{name}.zip",
                                           "where": SITE if name == "site" else STDLIB,
                                           "with_source": ["venos"] if name == "site" else [],
                                           "keep_docs": ["numpy"]} for name, _ in jobs]},
                       "outputs": [{"src": f"/tmp/{name}.zip", "dest": str(tmp / f"{name}-compiled.zip")}
                                   for name, _ in jobs]}, tmp)
    return (read_zip((tmp / "site-compiled.zip").read_bytes()), read_zip((tmp / "stdlib-compiled.zip").read_bytes()))


def trace(site: dict[str, bytes], pydicom_whl: Path, core_dir: Path, tmp: Path) -> tuple[set[str], set[str]]:
    """Absolute paths (in Pyodide's file system) of the module files loaded by start-up, and by all features."""
    site_zip = tmp / "site-trace.zip"
    site_zip.write_bytes(zip_bytes(site, deflate=False))
    tests = {}
    with zipfile.ZipFile(pydicom_whl) as zf:
        for info in zf.infolist():
            if "/data/test_files/" in info.filename and not info.filename.endswith("/"):
                tests[info.filename.split("/data/test_files/", 1)[1]] = zf.read(info)
    tests_zip = tmp / "test-files.zip"
    tests_zip.write_bytes(zip_bytes(tests, deflate=False))
    out = tmp / "trace.json"
    run_job(core_dir, {"archives": [{"path": str(site_zip), "format": "zip", "extractDir": SITE},
                                    {"path": str(tests_zip), "format": "zip", "extractDir": "/tmp/test_files"}],
                       "script": str(HERE / "trace_imports.py"),
                       "args": {"test_files": "/tmp/test_files", "out": "/tmp/trace.json", "deferred": DEFER},
                       "outputs": [{"src": "/tmp/trace.json", "dest": str(out)}]}, tmp)
    result = json.loads(out.read_text())
    kinds: dict[str, int] = {}
    for f in result["failures"]:
        k = f.split(": ", 2)[1]
        kinds[k] = kinds.get(k, 0) + 1
    log("traced imports over pydicom's test files; calls refused as the viewer would: "
        + ", ".join(f"{k} ×{n}" for k, n in sorted(kinds.items())))
    if os.environ.get("VENOS_TRACE_LOG"):
        Path(os.environ["VENOS_TRACE_LOG"]).write_text("\n".join(result["failures"]))
    return set(result["startup"]), set(result["features"])


def group_of(rel: str, sizes: dict[str, int], prefix: str) -> str:
    """Which lazy bundle a file goes to: its top-level package (numpy: second level) when that is big enough."""
    parts = rel.split("/")
    depth = 2 if prefix in ("numpy", "pydicom", "venos") and len(parts) > 2 else 1
    key = "/".join(parts[:depth]) if len(parts) > depth else ""
    if key and sizes.get(key, 0) >= MIN_GROUP:
        return f"{prefix}-{key.split('/')[-1].lstrip('_')}" if prefix != "stdlib" else f"stdlib-{key.lstrip('_')}"
    return f"{prefix}-misc"


def split(files: dict[str, bytes], startup: set[str], features: set[str],
          prefix: str) -> tuple[dict[str, bytes], dict[str, dict[str, bytes]]]:
    """(eager files, lazy bundle name → files) of one tree, by when the trace loaded each module (by name, so a
    traced ``x.py`` matches a compiled ``x.pyc``): at start-up → eager; by a feature → the ``features`` bundle;
    never → a bundle of its package. A data file stays eager unless its folder holds lazy modules only: then it
    travels in their bundle, beside them."""
    eager, lazy_files = {}, {}
    for rel, data in files.items():
        mod = module_of(rel)
        if mod is not None:
            (eager if (mod in startup or mod in ALWAYS) and mod not in DEFER else lazy_files)[rel] = data
    folder = lambda rel: rel.rsplit("/", 1)[0] if "/" in rel else ""  # noqa: E731
    eager_dirs = {folder(r) for r in eager}
    lazy_dirs = {folder(r) for r in lazy_files} - eager_dirs
    for rel, data in files.items():
        if module_of(rel) is None:
            (lazy_files if folder(rel) in lazy_dirs else eager)[rel] = data
    bundles: dict[str, dict[str, bytes]] = {}
    for rel in [r for r in lazy_files if module_of(r) in features and module_of(r) not in DEFER]:
        bundles.setdefault(FEATURES, {})[rel] = lazy_files.pop(rel)
    sizes: dict[str, int] = {}
    for rel, data in lazy_files.items():
        parts = rel.split("/")
        for depth in (1, 2):
            if len(parts) > depth:
                k = "/".join(parts[:depth])
                sizes[k] = sizes.get(k, 0) + len(data) // 3  # rough compressed size
    for rel, data in lazy_files.items():
        bundles.setdefault(group_of(source_of(rel) or rel, sizes, prefix), {})[rel] = data
    return eager, bundles


def loaded_modules(paths: set[str], mount: str) -> set[str]:
    return {m for m in (module_name(p[len(mount):]) for p in paths if p.startswith(mount)) if m}


def make_diet(core: dict[str, bytes], numpy_whl: Path, pydicom_whl: Path, venos: dict[str, bytes],
              core_dir: Path) -> Diet:
    with tempfile.TemporaryDirectory() as tmp_:
        tmp = Path(tmp_)
        sources, dropped = site_sources(numpy_whl, pydicom_whl, venos)
        stdlib_src = read_zip(core["python_stdlib.zip"])
        compiled, stdlib_all = compile_trees(sources, stdlib_src, core_dir, tmp)
        loaded, used = trace(compiled, pydicom_whl, core_dir, tmp)
    stdlib, bundles = split(stdlib_all, loaded_modules(loaded, STDLIB), loaded_modules(used, STDLIB), "stdlib")
    site_loaded = loaded_modules(loaded, SITE)
    site_used = loaded_modules(used, SITE)
    site = {}
    for top in ("numpy", "pydicom", "venos"):
        part = {rel: d for rel, d in compiled.items() if rel.split("/", 1)[0] == top}
        loaded_here = site_loaded
        if top == "venos":  # eager but for the features named in VENOS_LAZY (the trace misses some common paths)
            loaded_here = site_loaded | {m for m in map(module_of, part) if m and not m.startswith(VENOS_LAZY)}
        eager, lazy = split(part, loaded_here, site_used, top)
        site.update(eager)
        for name, files in lazy.items():
            bundles.setdefault(name, {}).update(files)
    site.update({rel: d for rel, d in compiled.items() if rel.split("/", 1)[0] not in ("numpy", "pydicom", "venos")})
    shipped = {module_name(r) for r in site} | set(DEFER)
    missing = sorted(m for m in site_loaded if m not in shipped)
    if missing:
        raise BuildError("traced modules missing from the eager site: " + ", ".join(missing[:10]))

    blobs = {name: zip_bytes(files) for name, files in sorted(bundles.items())}
    index = {"root": LAZY_ROOT, "bundles": {}, "deferred": sorted(DEFER), "prefetch": [FEATURES]}
    for name, files in sorted(bundles.items()):
        mods = {}
        for rel in files:
            mod = module_name(rel)
            if mod is not None:
                mods[mod] = [rel, rel.endswith(("__init__.pyc", "__init__.py"))]
        index["bundles"][name] = {"url": f"py/lazy/{name}.zip", "sha256": sha256_bytes(blobs[name]),
                                  "bytes": len(blobs[name]), "modules": mods}
    site["venos/_lazy_index.json"] = json.dumps(index, separators=(",", ":"), sort_keys=True).encode()
    # the start-up's archives are stored, not deflated: shipped as LZMA2 too (build.py's PACKED), which compresses
    # stored files a third smaller than zip's deflate does; nothing is inflated when they are read
    stdlib_zip = zip_bytes(stdlib, deflate=False)
    numpy_zip = zip_bytes({rel: d for rel, d in site.items() if rel.split("/", 1)[0].startswith("numpy")}, deflate=False)
    site_zip = zip_bytes({rel: d for rel, d in site.items() if not rel.split("/", 1)[0].startswith("numpy")},
                         deflate=False)
    report = {
        "stdlib": {"before": len(core["python_stdlib.zip"]), "eager": len(stdlib_zip),
                   "eagerModules": sum(module_name(r) is not None for r in stdlib)},
        "site": {"eager": len(site_zip) + len(numpy_zip), "eagerFiles": len(site), "numpy": len(numpy_zip)},
        "lazy": {n: {"bytes": len(b), "modules": len(index["bundles"][n]["modules"])} for n, b in blobs.items()},
        "dropped": sorted(dropped),
    }
    return Diet(stdlib_zip, site_zip, numpy_zip, blobs, report)


def make_snapshot(core_dir: Path, stdlib_zip: bytes, lock: bytes, site_zip: bytes, numpy_zip: bytes) -> bytes:
    """A Pyodide memory snapshot of the interpreter with pydicom and venos imported and numpy deferred, gzipped (the
    worker restores it on repeat visits; make_snapshot.py says what it holds and why no more)."""
    import gzip

    with tempfile.TemporaryDirectory() as tmp_:
        tmp = Path(tmp_)
        (tmp / "python_stdlib.zip").write_bytes(stdlib_zip)
        (tmp / "pyodide-lock.json").write_bytes(lock)
        (tmp / "site.zip").write_bytes(site_zip)
        (tmp / "numpy.zip").write_bytes(numpy_zip)
        out = tmp / "snapshot.bin"
        run_job(core_dir, {"stdLibURL": str(tmp / "python_stdlib.zip"), "lockFileURL": str(tmp / "pyodide-lock.json"),
                           "archives": [{"path": str(tmp / n), "format": "zip", "extractDir": SITE}
                                        for n in ("site.zip", "numpy.zip")],
                           "script": str(HERE / "make_snapshot.py"), "args": {"deferred": DEFER},
                           "snapshot": {"dest": str(out)}}, tmp)
        return gzip.compress(out.read_bytes(), compresslevel=6, mtime=0)


def summary(report: dict) -> list[str]:
    lazy = report["lazy"]
    lines = [f"python_stdlib.zip {report['stdlib']['before'] / 1e6:.2f} MB → {report['stdlib']['eager'] / 1e6:.2f} MB "
             f"eager, stored ({report['stdlib']['eagerModules']} modules)",
             f"site.zip (pydicom, venos) + numpy.zip {report['site']['eager'] / 1e6:.2f} MB eager "
             f"(numpy {report['site']['numpy'] / 1e6:.2f} MB)",
             f"{len(lazy)} lazy bundles, {sum(b['bytes'] for b in lazy.values()) / 1e6:.2f} MB, fetched on first import: "
             + ", ".join(f"{n} ({b['bytes'] / 1e3:.0f} kB)" for n, b in sorted(lazy.items())),
             f"dropped {len(report['dropped'])} files no browser reads (headers, static libraries, stubs, tests)"]
    return lines
