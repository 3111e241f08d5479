"""app/py/venos/MANIFEST lists every module and data file (the codec table): build.py ships exactly it and the
unbuilt page fetches exactly it."""
from pathlib import Path

PKG = Path(__file__).resolve().parents[2] / "app/py/venos"


def test_manifest_lists_every_module():
    listed = sorted(p for p in (PKG / "MANIFEST").read_text().split() if not p.startswith("#"))
    actual = sorted(str(p.relative_to(PKG)) for ext in ("*.py", "*.json") for p in PKG.rglob(ext)
                    if "__pycache__" not in p.parts)
    assert listed == actual, ("regenerate with: (cd app/py/venos && find . -name '*.py' -o -name '*.json' | "
                              "sed 's#^./##' | sort > MANIFEST)")
