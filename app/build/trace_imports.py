"""Build step run inside Pyodide (see pyodide_job.mjs): which modules does the viewer import, and when?

1. start-up: import ``venos.api``, warm the render path, open each kind of remote case and add and render a CT and
   an MR slice: what a shared case needs before its first image;
2. features: every file of pydicom's own test set (most transfer syntaxes, colour models, multi-frame, overlays,
   palettes, RT and SR objects) added, rendered, probed, measured and listed in the tag browser.
Writes the module files loaded by the end of each phase. ``runtime_diet.py`` ships the first set eagerly, the
second as one bundle fetched once the first image is up, and the rest as bundles fetched on first import; anything
this misses still works, and the browser tests check that the common paths fetch nothing on demand.
"""
import json
import os
import sys


failures = []


def attempt(label, fn, *args, **kwargs):
    try:
        return fn(*args, **kwargs)
    except Exception as exc:  # recorded: a failing call still imported what it reached
        failures.append(f"{label}: {type(exc).__name__}: {exc}")
        return None


def startup(api, root):
    while not api.warm_up_step()["done"]:  # every step of the worker's idle warm-up
        pass
    api.warm_up_remote()
    remote_cases(api, root)
    for name in ("CT_small.dcm", "MR_small.dcm"):
        with open(os.path.join(root, name), "rb") as f:
            attempt(name, api.add_file, name, f.read())
    for s in api.series():
        state = {"series": s["id"], "slice": 0}
        attempt("render", api.render, state)
        attempt("value_at", api.value_at, state, 1, 1)
        attempt("tool", api.tool, "window_level", state, {"dx": 3, "dy": 4})
        attempt("thumbnail", api.thumbnail, s["id"], 64)
    api.decode_pending(10_000)
    api.clear()


def exercise(api, files, root):  # noqa: C901 - a flat list of calls is the point
    for path in files:
        with open(path, "rb") as f:
            attempt(path, api.add_file, os.path.basename(path), f.read())
    attempt("add_image", api.add_image, "plain.png", 2, 2, bytes(16))
    api.decode_pending(10_000)
    for s in api.series():
        for i in range(min(s["slices"], 2)):
            state = {"series": s["id"], "slice": i}
            attempt("render", api.render, state)
            attempt("render inverted", api.render, {**state, "invert": True, "voiFunction": "SIGMOID"})
            attempt("tags", api.tags, s["id"], i)
            attempt("value_at", api.value_at, state, 1, 1)
            attempt("length", api.measure_length, state, 0, 0, 3, 4)
            attempt("angle", api.measure_angle, state, 0, 0, 2, 2, 4, 0)
            for shape in ("ellipse", "rectangle"):
                attempt(shape, api.measure_region, state, shape, 0, 0, 4, 4)
            attempt("pixel_data", api.pixel_data, s["id"], i)
            attempt("tool", api.tool, "window_level", state, {"dx": 3, "dy": 4})
        attempt("thumbnail", api.thumbnail, s["id"], 64)
    api.stats()
    api.skipped()
    api.codecs_status()
    api.codecs_wanted()
    with open(files[0], "rb") as f:
        attempt("decode_file", api.decode_file, "x.dcm", f.read(), want_pixels=True)
    remote_cases(api, root)
    attempt("multipart", api.add_multipart, "mp", b"--b\r\n\r\n--b--", "multipart/related; boundary=b")
    api.clear()


def remote_cases(api, root):
    base = "https://example.org/case/"
    manifest = {"studies": [{"StudyInstanceUID": "1.2.3", "series": [{"SeriesInstanceUID": "1.2.3.4", "Modality": "CT",
                "instances": [{"url": "a.dcm", "metadata": {"SOPInstanceUID": "1.2.3.4.5", "Rows": 2, "Columns": 2,
                                                            "InstanceNumber": 1}}]}]}]}
    attempt("manifest", api.open_case, "manifest", json.dumps(manifest), base + "m.json", None)
    attempt("list", api.open_case, "manifest", "a.dcm\nb.dcm\n", base + "list.txt", None)
    attempt("urls", api.open_case, "urls", [base + "a.dcm"], base, None)
    attempt("dicomweb", api.open_case, "dicomweb", json.dumps([{"00080018": {"vr": "UI", "Value": ["1.2.3"]}}]),
            base, {"wadoUri": "", "source": base})
    dicomdir = os.path.join(root, "dicomdirtests", "DICOMDIR")
    if os.path.exists(dicomdir):
        with open(dicomdir, "rb") as f:
            attempt("dicomdir", api.open_case, "dicomdir", f.read(), base + "DICOMDIR", None)
    attempt("search", api.dicomweb_search_url, base, "studies", "", "", {"PatientName": "A*"}, 10, 0)
    attempt("results", api.dicomweb_results, "[]", base)
    attempt("urls", api.dicomweb_urls, base, "1.2.3", "1.2.3.4", "")
    api.clear()


def loaded_files():
    realized = set(venos._lazy.status()["realized"])
    out = set()
    for name, mod in list(sys.modules.items()):
        origin = getattr(getattr(mod, "__spec__", None), "origin", None) or getattr(mod, "__file__", None)
        if isinstance(origin, str) and origin.startswith("/") and name not in realized:
            out.add(origin)
    return sorted(out)


args = json.load(open("/tmp/job-args.json"))
import venos._lazy  # noqa: E402

venos._lazy.defer(args["deferred"])  # as in the browser: deferred modules stay stand-ins unless used
import venos.api as api  # noqa: E402

root = args["test_files"]
startup(api, root)
first = loaded_files()
exercise(api, sorted(os.path.join(root, n) for n in os.listdir(root) if n.endswith(".dcm")), root)
with open(args["out"], "w") as f:
    json.dump({"startup": first, "features": loaded_files(), "failures": failures}, f)
