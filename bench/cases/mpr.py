"""Reading a volume (issue 11): building it from the cached frames, the first coronal and sagittal image, scrolling
a reformatted plane, a 10 mm MIP slab, and a 2×2 layout scrolling in sync — on a 512×512×300 CT volume."""
from __future__ import annotations

from .. import browser
from ..report import Row, med

SET = "vol300"
STEPS = 60

# Runs in the page: everything through the public window.venos API; times are call → drawn (the promise of
# setViewState resolves after the paint) and Python's own computeMs of the render.
MEASURE = """async ({ steps }) => {
  const v = window.venos;
  const series = (await v.series())[0].id;
  const out = {};
  const drawn = async (patch, viewport) => {
    const t = performance.now();
    let ms = null;
    const off = v.on("rendered", (d) => { if (!d.cameraOnly && ms === null) ms = d.computeMs; });
    await v.setViewState(patch, viewport);
    off();
    return { callMs: performance.now() - t, computeMs: ms };
  };
  // "from the cached frames": every slice shown once (decoded into the frame cache), as a reader who scrolled
  const n = (await v.series())[0].slices;
  for (let i = 0; i < n; i++) await v.setViewState({ series, slice: i });
  await v.setViewState({ slice: 150 });
  let t = performance.now();
  const info = await v.volumeInfo(series);
  out.volumeInfoMs = performance.now() - t;
  out.volume = info;
  out.firstCoronal = await drawn({ plane: "coronal", slice: 256 }); // builds the volume from the cached frames
  out.firstSagittal = await drawn({ plane: "sagittal", slice: 256 });
  out.coronalAgain = await drawn({ plane: "coronal", slice: 250 });
  // scrolling a reformatted plane: one image after another, each drawn before the next is asked for
  t = performance.now();
  const scroll = [];
  for (let i = 0; i < steps; i++) scroll.push(await drawn({ slice: 200 + i }));
  out.coronalScroll = { imagesPerSecond: steps / ((performance.now() - t) / 1000), computeMs: scroll.map((s) => s.computeMs) };
  out.mipCoronal = await drawn({ slab: 10, slabMode: "mip", slice: 256 });
  out.mipAxial = await drawn({ plane: "axial", slab: 10, slabMode: "mip", slice: 150 });
  out.mipAxialScroll = [];
  for (let i = 0; i < 10; i++) out.mipAxialScroll.push(await drawn({ slice: 100 + i }));
  out.oblique = await drawn({ plane: "oblique", angle: 30, slab: 0, slice: 256 });
  // straight after loading, nothing decoded yet: the volume is built from the files' bytes
  await v.clear();
  await v.load(__bench.files);
  await v.setViewState({ series: (await v.series())[0].id, slice: 150 });
  out.fromFiles = await drawn({ plane: "coronal", slice: 256 });
  // a 2×2 layout of the same series, scrolled in sync: the main thread must not drop frames
  const sid = (await v.series())[0].id;
  await v.setViewState({ plane: "", slab: 0, slice: 100 });
  await v.setLayout("2x2");
  for (let i = 1; i < 4; i++) await v.setViewState({ series: sid, slice: 100 }, i);
  await v.setActiveViewport(0);
  v.setSync({ scroll: true });
  __bench.monitorStart();
  t = performance.now();
  for (let i = 0; i < steps; i++) {
    await v.setViewState({ slice: 100 + i });
    await new Promise((r) => setTimeout(r, 0));
  }
  // the others follow asynchronously: wait until the last viewport has caught up
  for (let k = 0; k < 200 && v.viewState(3).slice !== 100 + steps - 1; k++) await new Promise((r) => setTimeout(r, 10));
  out.syncScroll = { seconds: (performance.now() - t) / 1000, caughtUp: v.viewState(3).slice === 100 + steps - 1 };
  const m = __bench.monitorStop();
  out.syncScroll.maxGap = Math.max(...m.gaps);
  out.syncScroll.longtasks = m.longtasks.length;
  out.syncScroll.maxLongtask = Math.max(0, ...m.longtasks.map((x) => x.duration));
  return out;
}"""


def mpr(env) -> list[Row]:
    raw = []
    b = browser.launch(env.pw)
    try:
        for i in range(env.runs):
            ctx, page, _ = browser.open_ready(b, env.server.url)
            page.evaluate("(u) => __bench.makeFiles(u)", env.sets[SET])
            page.evaluate("__bench.loadTimed()")
            r = page.evaluate(MEASURE, {"steps": STEPS})
            ctx.close()
            raw.append(r)
            env.log(f"mpr run {i + 1}: first coronal {r['firstCoronal']['callMs']:.0f} ms, sagittal "
                    f"{r['firstSagittal']['callMs']:.0f} ms, scroll {r['coronalScroll']['imagesPerSecond']:.0f}/s, "
                    f"MIP {r['mipAxial']['computeMs']:.0f} ms, sync max gap {r['syncScroll']['maxGap']:.0f} ms")
    finally:
        b.close()
    env.raw["mpr"] = raw
    note = "512×512×300 CT (the Philips phantom stacked), call → drawn"
    return [
        Row("mpr", "volume built from the cached frames + first coronal image", "ms",
            [r["firstCoronal"]["callMs"] for r in raw], 1150,
            note="target: volume ≤ 1 s, then the image ≤ 150 ms; every slice shown once before; " + note),
        Row("mpr", "the same straight after loading (frames read from the files)", "ms",
            [r["fromFiles"]["callMs"] for r in raw]),
        Row("mpr", "… of which Python (render computeMs)", "ms", [r["firstCoronal"]["computeMs"] for r in raw]),
        Row("mpr", "first sagittal image (volume built)", "ms", [r["firstSagittal"]["callMs"] for r in raw], 150, note=note),
        Row("mpr", "scrolling the coronal plane", "images/s", [r["coronalScroll"]["imagesPerSecond"] for r in raw], 30,
            better="higher", note="each image drawn before the next is asked for"),
        Row("mpr", "coronal scroll: Python per image (median)", "ms", [med(r["coronalScroll"]["computeMs"]) for r in raw]),
        Row("mpr", "10 mm MIP slab, axial: Python", "ms", [r["mipAxial"]["computeMs"] for r in raw], 100),
        Row("mpr", "10 mm MIP slab, coronal: Python", "ms", [r["mipCoronal"]["computeMs"] for r in raw], 100),
        Row("mpr", "oblique 30°: Python", "ms", [r["oblique"]["computeMs"] for r in raw]),
        Row("mpr", "2×2 synchronised scroll: longest frame gap", "ms", [r["syncScroll"]["maxGap"] for r in raw], 50,
            note="requestAnimationFrame gaps on the main thread while 60 slices scroll in sync"),
        Row("mpr", "2×2 synchronised scroll: long tasks", "count", [r["syncScroll"]["longtasks"] for r in raw], 0),
        Row("mpr", "2×2 synchronised scroll: all viewports at the last slice", "yes=1",
            [1.0 if r["syncScroll"]["caughtUp"] else 0.0 for r in raw], 1, better="higher"),
    ]
