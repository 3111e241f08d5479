"""Input responsiveness while 300 slices load: main-thread stalls and the latency of calls issued meanwhile."""
from __future__ import annotations

from .. import browser
from ..report import Row, med, pct

SET = "ct300"


def responsiveness(env) -> list[Row]:
    raw = []
    b = browser.launch(env.pw)
    try:
        for i in range(env.runs):
            ctx, page, _ = browser.open_ready(b, env.server.url)
            page.evaluate("(u) => __bench.makeFiles(u)", env.sets[SET])
            r = page.evaluate("(a) => __bench.interactDuringLoad(a)", {"pauseMs": 30, "slices": len(env.sets[SET])})
            ctx.close()
            during = [c["ms"] for c in r["calls"] if c["duringLoad"]]
            r["summaryFigures"] = {
                "maxGap": max(r["gaps"]) if r["gaps"] else 0,
                "maxLongtask": max((t["duration"] for t in r["longtasks"]), default=0),
                "longtasks": len(r["longtasks"]),
                "calls": len(during), "medianCall": med(during), "p95Call": pct(during, 95),
                "maxCall": max(during, default=0),
                "slicesPerSecond": len(env.sets[SET]) / (r["loadMs"] / 1000),
            }
            del r["gaps"]  # thousands of numbers; the summary keeps what matters
            raw.append(r)
            f = r["summaryFigures"]
            env.log(f"responsiveness run {i + 1}: max rAF gap {f['maxGap']:.0f} ms, {f['longtasks']} long tasks "
                    f"(max {f['maxLongtask']:.0f} ms), {f['calls']} calls: median {f['medianCall']:.0f} ms, "
                    f"p95 {f['p95Call']:.0f} ms")
    finally:
        b.close()
    env.raw["responsiveness"] = raw
    fig = [r["summaryFigures"] for r in raw]
    note_rail = "reference: RAIL (a frame within 50 ms of work, a response within 100 ms)"
    return [
        Row("responsiveness", "300 slices: longest rAF gap (main thread)", "ms", [f["maxGap"] for f in fig], 50,
            note=note_rail),
        Row("responsiveness", "  longest long task (main thread)", "ms", [f["maxLongtask"] for f in fig], 50,
            note="PerformanceObserver 'longtask' (0 = none over 50 ms)"),
        Row("responsiveness", "  long tasks (count)", "", [f["longtasks"] for f in fig]),
        Row("responsiveness", "  setViewState during load: median", "ms", [f["medianCall"] for f in fig], 100,
            note="scroll and window calls alternately, one at a time, 30 ms apart; call → drawn"),
        Row("responsiveness", "  setViewState during load: p95", "ms", [f["p95Call"] for f in fig], 100),
        Row("responsiveness", "  setViewState during load: max", "ms", [f["maxCall"] for f in fig]),
        Row("responsiveness", "  throughput while interacting", "slices/s", [f["slicesPerSecond"] for f in fig],
            400, better="higher"),
    ]
