"""app/py/venos/MANIFEST lists every module: build.py ships exactly it and the unbuilt page fetches exactly it."""
from pathlib import Path

PKG = Path(__file__).resolve().parents[2] / "app/py/venos"


def test_manifest_lists_every_module():
    listed = sorted(p for p in (PKG / "MANIFEST").read_text().split() if not p.startswith("#"))
    actual = sorted(str(p.relative_to(PKG)) for p in PKG.rglob("*.py") if "__pycache__" not in p.parts)
    assert listed == actual, "regenerate with: (cd app/py/venos && find . -name '*.py' | sed 's#^./##' | sort > MANIFEST)"
