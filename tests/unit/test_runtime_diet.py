"""The build's runtime diet (app/build/runtime_diet.py): which files of venos ship eagerly and which travel in lazy
bundles, each compiled module beside its source. Pure functions, no build."""
from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "app" / "build"))

from runtime_diet import FEATURES, VENOS_LAZY, module_of, source_of, split  # noqa: E402

PYC = ".cpython-312.pyc"


def test_a_compiled_module_is_the_module_of_its_source():
    assert source_of(f"venos/deid/__pycache__/core{PYC}") == "venos/deid/core.py"
    assert module_of(f"venos/deid/__pycache__/core{PYC}") == "venos.deid.core"
    assert module_of(f"venos/deid/__pycache__/__init__{PYC}") == "venos.deid"
    assert module_of(f"venos/__pycache__/export_api{PYC}") == "venos.export_api"
    assert source_of("numpy/linalg/__init__.pyc") is None and module_of("numpy/linalg/__init__.pyc") == "numpy.linalg"
    assert module_of("venos/deid/table.json") is None and source_of("venos/deid/table.json") is None


def test_venos_features_travel_lazily_with_their_compiled_forms_and_data():
    files = {rel: b"x" * 100 for rel in [
        "venos/__init__.py", f"venos/__pycache__/__init__{PYC}", "venos/api.py", f"venos/__pycache__/api{PYC}",
        "venos/export_api.py", f"venos/__pycache__/export_api{PYC}",
        "venos/deid/__init__.py", f"venos/deid/__pycache__/__init__{PYC}", "venos/deid/core.py",
        f"venos/deid/__pycache__/core{PYC}", "venos/deid/table.json",
        "venos/sr/__init__.py", "venos/sr/read.py", f"venos/sr/__pycache__/read{PYC}",
    ]}
    modules = {m for m in map(module_of, files) if m}
    startup = {m for m in modules if not m.startswith(VENOS_LAZY)}  # what the build keeps eager (make_diet)
    eager, bundles = split(files, startup, {"venos.sr", "venos.sr.read"}, "venos")
    assert set(eager) == {"venos/__init__.py", f"venos/__pycache__/__init__{PYC}", "venos/api.py",
                          f"venos/__pycache__/api{PYC}"}
    where = {rel: name for name, b in bundles.items() for rel in b}
    # a compiled module goes where its source goes; a data file with the package it belongs to
    assert where["venos/deid/core.py"] == where[f"venos/deid/__pycache__/core{PYC}"] == where["venos/deid/table.json"]
    assert where["venos/export_api.py"] == where[f"venos/__pycache__/export_api{PYC}"]
    # what the trace saw a feature import is prefetched after the first image (the features bundle)
    assert where["venos/sr/read.py"] == where[f"venos/sr/__pycache__/read{PYC}"] == FEATURES
