"""Navigation → venos.ready, cold (new profile, empty caches) and warm (same profile, next navigation)."""
from __future__ import annotations

import tempfile
from pathlib import Path

from .. import browser
from ..report import Row, med
from ..server import summarize

WARM_NAVIGATIONS = 2  # the table's "warm" is the first one after cold; both are kept in the JSON


def _stages(r: dict) -> dict:
    """Split the ready time: page (navigation → worker start) and the worker's own stages."""
    t = r["info"]["timings"]
    numpy = t.get("numpy", t["import"])
    return {"ready": r["readyAt"], "page": r["readyAt"] - t["ready"], "pyodide": t["pyodide"],
            "site": t["site"] - t["pyodide"], "import": t["import"] - t["site"],
            "numpy": numpy - t["import"], "after_numpy": t["ready"] - numpy,
            "snapshot": t.get("snapshot", "none"), "timings": t}


def startup(env) -> list[Row]:
    runs = []
    for i in range(env.runs):
        with tempfile.TemporaryDirectory(prefix="venos-profile-", ignore_cleanup_errors=True) as prof:
            ctx = browser.persistent(env.pw, Path(prof))
            page = ctx.pages[0] if ctx.pages else ctx.new_page()
            navs = []
            for k in range(1 + WARM_NAVIGATIONS):
                if k:
                    page.goto("about:blank")
                env.server.take_log()
                page.goto(env.server.url)
                r = page.evaluate("__bench.ready()")
                navs.append({**_stages(r), "net": summarize(env.server.take_log())})
            ctx.close()
        runs.append(navs)
        env.log(f"startup run {i + 1}: cold {navs[0]['ready']:.0f} ms, warm "
                f"{', '.join('%.0f' % n['ready'] for n in navs[1:])} ms")
    env.raw["startup"] = runs
    rows = []
    for label, k, target in (("cold", 0, 3000), ("warm", 1, 1500)):
        navs = [r[k] for r in runs]
        rows.append(Row("startup", f"ready, {label}", "ms", [n["ready"] for n in navs], target,
                        peers="", note="navigation start → venos.ready resolved"))
        for stage in ("page", "pyodide", "site", "import", "numpy", "after_numpy"):
            rows.append(Row("startup", f"  {label}: {stage}", "ms", [n[stage] for n in navs]))
        rows.append(Row("startup", f"  {label}: bytes transferred", "MB", [n["net"]["bytes"] / 1e6 for n in navs],
                        note=f"{med([n['net']['status304'] for n in navs]):.0f} of "
                             f"{med([n['net']['requests'] for n in navs]):.0f} requests answered 304"))
    return rows
