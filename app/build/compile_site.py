"""Build step run inside Pyodide (see pyodide_job.mjs): byte-compile Python trees with Pyodide's own CPython.

Each tree in ``trees`` is {"root", "out", "with_source"}: packages named in ``with_source`` keep their ``.py``
(readable tracebacks) with unchecked-hash caches in ``__pycache__``, valid whatever the files' times after unpacking
in the browser; everything else is compiled to legacy ``.pyc`` files where the source was, and the source removed
(import reads the .pyc directly: no compiling in the browser). Each tree is written back as a zip.
"""
import compileall
import json
import os
import py_compile
import zipfile

MODE = py_compile.PycInvalidationMode.UNCHECKED_HASH


def compile_tree(root, with_source):
    for entry in sorted(os.listdir(root)):
        path = os.path.join(root, entry)
        keep = entry in with_source
        if os.path.isdir(path):
            ok = compileall.compile_dir(path, quiet=1, legacy=not keep, invalidation_mode=MODE)
        elif entry.endswith(".py"):
            ok = compileall.compile_file(path, quiet=1, legacy=not keep, invalidation_mode=MODE)
        else:
            continue
        if not ok:
            raise SystemExit(f"compileall reported errors in {path}")
        if keep:
            continue
        for base, _dirs, files in os.walk(path) if os.path.isdir(path) else [(root, [], [entry])]:
            for f in files:
                if f.endswith(".py"):
                    os.remove(os.path.join(base, f))


args = json.load(open("/tmp/job-args.json"))
for tree in args["trees"]:
    compile_tree(tree["root"], set(tree["with_source"]))
    with zipfile.ZipFile(tree["out"], "w", compression=zipfile.ZIP_STORED) as zf:
        for base, _dirs, files in os.walk(tree["root"]):
            for f in files:
                p = os.path.join(base, f)
                zf.write(p, os.path.relpath(p, tree["root"]))
