"""Build step run inside Pyodide (see pyodide_job.mjs, started with _makeSnapshot): the state a repeat visit restores.

The interpreter starts on the shipped (trimmed, compiled) standard library with the shipped site unpacked, and imports
``venos.api`` — pydicom and venos with it — and the case sources, while numpy is deferred: numpy cannot live in a Pyodide 0.27 snapshot
(its extension's function-table entries are not restored: Pyodide issues 5195, 6418), so every ``import numpy``
gets a stand-in that loads the real numpy on first use, after the restore (venos/_lazy.py). The build checks that
nothing touched numpy. The files under site-packages are not part of a memory snapshot: the worker unpacks the site
after restoring, as after a normal start, and installs the lazy bundles with the page's own address. The hash seed,
and anything else fixed at start, stay as they were when the snapshot was made; nothing in the viewer depends on it.
"""
import json
import sys

args = json.load(open("/tmp/job-args.json"))
import venos._lazy  # noqa: E402

venos._lazy.defer(["numpy"] + args["deferred"])
import venos.api  # noqa: E402,F401
# The case sources (manifests, URL lists, DICOMweb, DICOMDIR): venos.api imports them on a share link's first plan,
# which on a repeat visit is the way to its first image (~0.03 s of imports in the browser). Held here instead.
import venos.sources  # noqa: E402,F401

if venos._lazy.status()["realized"]:
    raise SystemExit(f"the snapshot would hold {venos._lazy.status()['realized']}: something used it at import")
if type(sys.modules["numpy"]).__name__ != "_StandIn":
    raise SystemExit("numpy is not a stand-in in the snapshot")
