"""Build step run inside Pyodide (see pyodide_job.mjs): byte-compile Python trees with Pyodide's own CPython.

Each tree in ``trees`` is {"root", "out", "where", "with_source", "keep_docs"}. Packages named in ``with_source`` (venos) keep
their ``.py`` with unchecked-hash caches in ``__pycache__`` (valid whatever the files' times after unpacking).
Everything else (the standard library, numpy, pydicom) becomes sourceless legacy ``.pyc`` files where the source
was: the browser never compiles them. To make those smaller on the wire (they ship before the first image), they
are compiled without docstrings (as ``python -OO`` would run them; CPython tests that mode, and pydicom only ever
assigns ``__doc__``) but with their asserts — except the packages in ``keep_docs`` (numpy hands docstrings to a C
function that accepts None only when the interpreter itself runs with -OO) — and, through PYTHONNODEBUGRANGES=1
set by the job, without column positions (tracebacks keep file and line). ``where`` is the path the tree has in the browser, so tracebacks
name real locations. Each tree is written back as a zip.
"""
import ast
import compileall
import importlib.util
import json
import os
import py_compile
import zipfile
from importlib._bootstrap_external import _code_to_hash_pyc

MODE = py_compile.PycInvalidationMode.UNCHECKED_HASH


def without_docstrings(tree):
    for node in ast.walk(tree):
        if isinstance(node, (ast.Module, ast.ClassDef, ast.FunctionDef, ast.AsyncFunctionDef)):
            body = node.body
            if body and isinstance(body[0], ast.Expr) and isinstance(body[0].value, ast.Constant) \
                    and isinstance(body[0].value.value, str):
                node.body = body[1:] or [ast.copy_location(ast.Pass(), body[0])]
    return tree


def compile_sourceless(path, shown, keep_docs):
    with open(path, "rb") as f:
        source = f.read()
    tree = ast.parse(source, shown)
    code = compile(tree if keep_docs else without_docstrings(tree), shown, "exec", dont_inherit=True)
    data = _code_to_hash_pyc(code, importlib.util.source_hash(source), checked=False)
    with open(path + "c", "wb") as f:
        f.write(data)
    os.remove(path)


def compile_tree(root, where, with_source, keep_docs):
    failed = []
    for base, dirs, files in os.walk(root):
        rel_base = os.path.relpath(base, root)
        top = rel_base.split(os.sep)[0]
        if top in with_source:
            continue
        for f in files:
            if f.endswith(".py"):
                path = os.path.join(base, f)
                try:
                    compile_sourceless(path, os.path.normpath(os.path.join(where, rel_base, f)), top in keep_docs)
                except SyntaxError as exc:
                    failed.append(f"{path}: {exc}")
    for name in with_source:
        path = os.path.join(root, name)
        if os.path.isdir(path) and not compileall.compile_dir(path, quiet=1, ddir=os.path.join(where, name),
                                                              invalidation_mode=MODE):
            failed.append(path)
    if failed:
        raise SystemExit("byte-compiling failed:\n" + "\n".join(failed))


def debug_ranges_off():
    def f():
        return 1
    return all(col is None for _, _, col, _ in f.__code__.co_positions())


args = json.load(open("/tmp/job-args.json"))
if not debug_ranges_off():
    raise SystemExit("PYTHONNODEBUGRANGES did not reach the interpreter: column positions would ship")
for tree in args["trees"]:
    compile_tree(tree["root"], tree["where"], set(tree["with_source"]), set(tree["keep_docs"]))
    with zipfile.ZipFile(tree["out"], "w", compression=zipfile.ZIP_STORED) as zf:
        for base, _dirs, files in os.walk(tree["root"]):
            for f in files:
                p = os.path.join(base, f)
                zf.write(p, os.path.relpath(p, tree["root"]))
