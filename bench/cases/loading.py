"""Local loading from File objects already in memory, with the runtime already up."""
from __future__ import annotations

from .. import browser
from ..report import Row

SETS = ("ct28", "ct140", "ct300")


def loading(env) -> list[Row]:
    raw = {s: [] for s in SETS}
    b = browser.launch(env.pw)
    try:
        for i in range(env.runs):
            for s in SETS:
                ctx, page, _ = browser.open_ready(b, env.server.url)
                made = page.evaluate("(u) => __bench.makeFiles(u)", env.sets[s])
                r = page.evaluate("__bench.loadTimed()")
                ctx.close()
                n = len(env.sets[s])
                if r["summary"]["loaded"] != n:
                    env.log(f"WARNING {s}: loaded {r['summary']['loaded']} of {n}")
                r.update(files=made, slicesPerSecond=n / (r["loadMs"] / 1000))
                raw[s].append(r)
                env.log(f"loading run {i + 1} {s}: first image {r['firstImageMs']:.0f} ms, "
                        f"{r['slicesPerSecond']:.0f} slices/s ({made['bytes'] / 1e6:.1f} MB)")
    finally:
        b.close()
    env.raw["loading"] = raw
    rows = []
    for s in SETS:
        n = len(env.sets[s])
        rows.append(Row("loading", f"{n} slices: first image", "ms", [r["firstImageMs"] for r in raw[s]], 100,
                        peers="DWV 90 · CS3D 260–300",
                        note="venos.load(files) call → first 'rendered' event (drawn)"))
        rows.append(Row("loading", f"{n} slices: throughput", "slices/s", [r["slicesPerSecond"] for r in raw[s]],
                        400, better="higher", peers="DWV 377 · CS3D ~200",
                        note="slices / (load() call → load() resolved); every slice parsed and decoded"))
    return rows
