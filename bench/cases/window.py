"""Cost of a window change at 512² and 2048²: Python compute and call → drawn, over many distinct windows."""
from __future__ import annotations

from .. import browser
from ..report import Row, med, pct

CHANGES = 60
SETS = (("512²", "ct28"), ("2048²", "big2048"))


def window(env) -> list[Row]:
    raw = {label: [] for label, _ in SETS}
    b = browser.launch(env.pw)
    try:
        for i in range(env.runs):
            for label, s in SETS:
                ctx, page, _ = browser.open_ready(b, env.server.url)
                page.evaluate("(u) => __bench.makeFiles(u)", env.sets[s])
                page.evaluate("__bench.loadTimed()")
                vs = page.evaluate("venos.viewState()")
                page.evaluate("(a) => __bench.windowSweep(5, a)", {"center": vs["center"], "width": vs["width"]})
                sweep = page.evaluate(f"(a) => __bench.windowSweep({CHANGES}, a)",
                                      {"center": vs["center"], "width": vs["width"]})
                ctx.close()
                raw[label].append(sweep)
                env.log(f"window run {i + 1} {label}: compute median {med([x['computeMs'] for x in sweep]):.2f} ms, "
                        f"call→drawn median {med([x['callMs'] for x in sweep]):.1f} ms")
    finally:
        b.close()
    env.raw["window"] = raw
    rows = []
    for label, _ in SETS:
        runs = raw[label]
        target = 1.0 if label == "512²" else None
        peers = "DWV 7 · CS3D 0.8 (per change)" if label == "512²" else ""
        for stat, f in (("median", med), ("p95", lambda v: pct(v, 95))):
            rows.append(Row("window", f"{label}: Python compute {stat}", "ms",
                            [f([x["computeMs"] for x in r]) for r in runs], target if stat == "median" else None,
                            peers=peers if stat == "median" else "", note="api.render() time measured in Python (rendered.computeMs)"))
        for stat, f in (("median", med), ("p95", lambda v: pct(v, 95))):
            rows.append(Row("window", f"{label}: call → drawn {stat}", "ms",
                            [f([x["callMs"] for x in r]) for r in runs],
                            note="setViewState({center,width}) promise resolution; waits for the next frame"))
    return rows
