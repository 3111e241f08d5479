"""The page's JavaScript modules tested directly: imported from the built dist/ into a blank page of the test server's
origin in Chromium (Python is not started), each checked against values computed here, independently."""
from __future__ import annotations

import base64
import hashlib
import io
import math
import random
import struct
import zipfile
import zlib

import numpy as np
import pytest

from servers import FileHost

pytestmark = pytest.mark.browser


@pytest.fixture
def page(viewer):
    """A plain page of the dist/ server (its listing of /app/): modules import from ./js/, Python does not start.
    (A page made up by a route would have no address space, and Chromium would keep it off the loopback hosts.)"""
    viewer.page.goto(viewer.base_url + "app/")
    return viewer


# ------------------------------------------------------------------------------------------------------ net/zip.js
ZIP = """async (b64) => {
    const { isZip, zipDirectory } = await import('./js/net/zip.js');
    const u8 = Uint8Array.from(atob(b64), (c) => c.charCodeAt(0));
    const hex = async (a) => [...new Uint8Array(await crypto.subtle.digest('SHA-256', a))]
        .map((b) => b.toString(16).padStart(2, '0')).join('');
    let entries;
    try { entries = zipDirectory(u8); } catch (e) { return { isZip: isZip(u8), error: e.message }; }
    const out = [];
    for (const e of entries) {
        const r = { name: e.name, size: e.size, method: e.method, encrypted: e.encrypted };
        try { const d = await e.read(); r.length = d.length; r.sha = await hex(d); } catch (err) { r.error = err.message; }
        out.push(r);
    }
    return { isZip: isZip(u8), entries: out };
}"""


def unzip(page, data: bytes) -> dict:
    return page.eval(ZIP, base64.b64encode(data).decode())


def sha(b: bytes) -> str:
    return hashlib.sha256(b).hexdigest()


def payloads() -> dict[str, bytes]:
    rnd = random.Random(7)
    return {"a/noise.bin": bytes(rnd.getrandbits(8) for _ in range(70_000)),  # incompressible
            "a/b/text.txt": b"VeNOS zip test line\n" * 3000,  # compresses ~100:1
            "empty.dat": b"", "Été/ünï.dcm": b"DICM" * 10}


def build_zip(files: dict[str, bytes], method=zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr(zipfile.ZipInfo("a/"), b"")  # a folder entry: not a file
        for i, (name, data) in enumerate(files.items()):
            z.writestr(name, data, compress_type=method if i % 2 == 0 else zipfile.ZIP_STORED)
    return buf.getvalue()


def zip64(files: dict[str, bytes]) -> bytes:
    """A stored zip64 archive: 0xffffffff sizes/offsets with the zip64 extra field, a zip64 end record and locator."""
    out, cd = b"", b""
    for name, data in files.items():
        n, crc, off = name.encode(), zlib.crc32(data), len(out)
        out += struct.pack("<IHHHHHIIIHH", 0x04034B50, 45, 0x800, 0, 0, 0x21, crc, 0xFFFFFFFF, 0xFFFFFFFF, len(n), 20)
        out += n + struct.pack("<HHQQ", 1, 16, len(data), len(data)) + data
        cd += struct.pack("<IHHHHHHIIIHHHHHII", 0x02014B50, 45, 45, 0x800, 0, 0, 0x21, crc, 0xFFFFFFFF, 0xFFFFFFFF,
                          len(n), 28, 0, 0, 0, 0, 0xFFFFFFFF)
        cd += n + struct.pack("<HHQQQ", 1, 24, len(data), len(data), off)
    z64 = len(out) + len(cd)
    end = struct.pack("<IQHHIIQQQQ", 0x06064B50, 44, 45, 45, 0, 0, len(files), len(files), len(cd), len(out))
    loc = struct.pack("<IIQI", 0x07064B50, 0, z64, 1)
    eocd = struct.pack("<IHHHHIIH", 0x06054B50, 0, 0, 0xFFFF, 0xFFFF, 0xFFFFFFFF, 0xFFFFFFFF, 0)
    return out + cd + end + loc + eocd


def patch_central(data: bytes, field: int, fmt: str, value: int) -> bytes:
    """Overwrite a field of the first central directory entry (offset `field` inside it)."""
    at = data.index(struct.pack("<I", 0x02014B50)) + field
    return data[:at] + struct.pack(fmt, value) + data[at + struct.calcsize(fmt):]


def one_entry(data: bytes, method=zipfile.ZIP_DEFLATED) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as z:
        z.writestr("x.bin", data, compress_type=method)
    return buf.getvalue()


def test_zip_stored_and_deflated_entries_read_back_exactly(page):
    files = payloads()
    got = unzip(page, build_zip(files))
    assert got["isZip"] and "error" not in got
    assert [e["name"] for e in got["entries"]] == list(files)  # in order, folder entry left out, UTF-8 names
    for e, (name, data) in zip(got["entries"], files.items()):
        assert (e["size"], e["length"], e["sha"], e["encrypted"]) == (len(data), len(data), sha(data), False), name
    assert [e["method"] for e in got["entries"]] == [8, 0, 8, 0]


def test_zip64_records_are_followed(page):
    files = {"one.dcm": b"\x01" * 1000, "two.dcm": bytes(range(256)) * 9}
    archive = zip64(files)
    with zipfile.ZipFile(io.BytesIO(archive)) as z:  # Python's reader agrees the archive is well formed
        assert {i.filename: z.read(i) for i in z.infolist()} == files
    got = unzip(page, archive)
    assert [(e["name"], e["size"], e["sha"]) for e in got["entries"]] == [(n, len(d), sha(d)) for n, d in files.items()]


def test_damaged_zips_fail_with_the_documented_reasons(page):
    good = build_zip(payloads())
    assert unzip(page, good[:-10])["error"] == "not a zip archive, or truncated (no end of central directory)"
    cd_at = good.index(struct.pack("<I", 0x02014B50))
    assert unzip(page, good[:cd_at - 100] + good[cd_at:])["error"] == \
        "the archive is truncated (central directory past its end)"
    assert unzip(page, b"PK\x03\x04 not really")["isZip"] is True  # the magic alone: isZip says yes ...
    assert "no end of central directory" in unzip(page, b"PK\x03\x04 not really")["error"]  # ... the reader says no

    text = b"VeNOS " * 2000
    (e,) = unzip(page, patch_central(one_entry(text), 20, "<I", 10 ** 6))["entries"]  # more bytes than there are
    assert e["error"] == "x.bin: truncated"
    (e,) = unzip(page, patch_central(one_entry(text), 24, "<I", 100))["entries"]  # inflates past what it declares
    assert e["size"] == 100 and e["error"] == \
        "x.bin: inflates past its declared size (100 bytes): damaged or hostile archive"
    (e,) = unzip(page, patch_central(one_entry(text), 24, "<I", len(text) + 5))["entries"]
    assert e["error"] == f"x.bin: inflated to {len(text)} bytes, {len(text) + 5} declared (damaged archive)"
    (e,) = unzip(page, patch_central(one_entry(text), 8, "<H", 1))["entries"]  # the "encrypted" flag
    assert e["encrypted"] is True and e["error"] == "x.bin: encrypted entries are not supported"
    (e,) = unzip(page, patch_central(one_entry(text), 10, "<H", 12))["entries"]  # bzip2
    assert e["error"] == "x.bin: compression method 12 is not supported (only stored and deflate)"


# ---------------------------------------------------------------------------------------------------- cloud/link.js
LINK = """async ([name, args]) => {
    const m = await import('./js/cloud/link.js');
    try { return m[name](...args); } catch (e) { return { threw: e.message, code: e.code }; }
}"""
PAGE = "http://127.0.0.1:1/viewer/index.html?old=1#slice=9"


def link(page, name, *args):
    return page.eval(LINK, [name, list(args)])


SPECS = [
    {"manifest": "https://cases.example.org/ct/manifest.json?sig=a&b=c d"},
    {"urls": ["01.dcm", "https://other.example.org/x y.dcm", "study.zip"], "base": "https://cases.example.org/ct/"},
    {"urls": ["https://cases.example.org/ct/01.dcm"]},
    {"dicomweb": {"root": "https://pacs.example.org/dicom-web", "study": "1.2.840.1"}},
    {"dicomweb": {"root": "https://pacs.example.org/dicom-web", "study": "1.2.840.1", "series": "1.2.840.1.2",
                  "wadoUri": "https://pacs.example.org/wado"}},
    {"dicomdir": "https://cases.example.org/dd/DICOMDIR"},
]
FULL_VIEW = {"seriesUid": "1.2.840.113619.2.1", "set": 2, "slice": 17, "sop": "1.2.840.113619.2.1.5",
             "center": 40.12345, "width": 400, "invert": True, "voiFunction": "SIGMOID", "zoom": 1.234567,
             "pan": [12.3456, -3], "rotate": 270, "flip": True}
FULL_PARSED = {**FULL_VIEW, "center": 40.123, "zoom": 1.2346, "pan": [12.35, -3]}  # as rounded in the fragment


@pytest.mark.parametrize("spec", SPECS, ids=["manifest", "urls+base", "urls", "dicomweb", "dicomweb+series",
                                             "dicomdir"])
def test_every_query_kind_round_trips_through_a_link(page, spec):
    built = link(page, "buildLink", PAGE, {**spec, "token": "s3cret"}, FULL_VIEW)
    assert built.startswith("http://127.0.0.1:1/viewer/index.html?") and "old=" not in built
    assert "s3cret" not in built and "token" not in built  # a token is never part of a link
    parsed = link(page, "parseLink", built)
    assert parsed == {"spec": spec, "view": FULL_PARSED, "library": None}
    assert link(page, "toSpec", built, PAGE) == {"spec": spec, "view": FULL_PARSED}
    assert link(page, "focusOf", parsed["view"]) == {"seriesUid": FULL_VIEW["seriesUid"], "set": 2, "slice": 17,
                                                     "sop": FULL_VIEW["sop"]}


def test_view_fragment_fields(page):
    frag = link(page, "viewFragment", FULL_VIEW)
    assert frag == ("series=1.2.840.113619.2.1&set=2&slice=17&sop=1.2.840.113619.2.1.5&wc=40.123&ww=400&invert=1"
                    "&voi=SIGMOID&zoom=1.2346&pan=12.35%2C-3&rot=270&flip=1")
    # defaults are left out, except slice 0 (a slice is always meant)
    assert link(page, "viewFragment", {"slice": 0, "set": 0, "zoom": 0, "pan": [0, 0], "rotate": 0,
                                       "invert": False, "flip": False}) == "slice=0"
    assert link(page, "parseView", "") is None and link(page, "parseView", "#") is None
    assert link(page, "parseLink", "http://h/index.html?library=https://l.org/i.json") == \
        {"spec": None, "view": None, "library": "https://l.org/i.json"}
    assert link(page, "focusOf", {"slice": 4}) is None  # no series: nothing to fetch first
    assert link(page, "focusOf", {"seriesUid": "1.2"}) == {"seriesUid": "1.2", "set": 0, "slice": 0}


def test_a_layout_with_reformatted_planes_round_trips_through_a_link(page):
    view = {"seriesUid": "1.2.3", "slice": 60, "plane": "axial", "layout": "1x3", "active": 2,
            "sync": {"scroll": True, "window": False, "zoom": True}, "referenceLines": "all",
            "viewports": [{"seriesUid": "1.2.3", "slice": 40, "plane": "oblique", "angle": 22.5},
                          {"seriesUid": "1.2.3", "slice": 41, "plane": "sagittal", "slab": 10, "slabMode": "minip",
                           "center": 40, "width": 400},
                          None]}
    frag = link(page, "viewFragment", view)
    assert "layout=1x3" in frag and "v1=" in frag and "v2=" in frag and "v3=" not in frag
    parsed = link(page, "parseView", "#" + frag)
    assert parsed == view
    # the first viewport's keys stay at the top: a link from before layouts opens as it did
    assert link(page, "parseView", "#series=1.2.3&slice=4") == {"seriesUid": "1.2.3", "slice": 4}
    # one level only, and unknown values are dropped
    bad = link(page, "parseView", "#series=1&layout=3x3&plane=diagonal&mode=max&slab=-1")
    assert bad == {"seriesUid": "1"}
    nested = link(page, "parseView", "#series=1&layout=1x2&v1=" + "layout%3D2x2%26v1%3Dseries%253D9")
    assert nested["viewports"][0] == {} and "layout" not in nested["viewports"][0]


def test_measurements_round_trip_through_a_link_and_hostile_ones_are_dropped(page):
    ms = [{"kind": "length", "sop": "1.2.840.1", "frame": 0, "points": [[10.123, 20], [30, 40.456]]},
          {"kind": "bidirectional", "sop": "1.2.840.2", "frame": 3, "points": [[1, 2], [3, 4], [5, 6], [7, 8]]},
          {"kind": "angle", "sop": "1.2.840.1", "frame": 0, "points": [[0, 0], [5, 5], [10, 0]]}]
    frag = link(page, "viewFragment", {"seriesUid": "1.2", "slice": 3, "measurements": ms})
    assert "&m=1." in frag
    parsed = link(page, "parseView", "#" + frag)
    assert parsed["measurements"][0] == {**ms[0], "points": [[10.12, 20], [30, 40.46]]}  # 0.01 px
    assert parsed["measurements"][1:] == ms[1:]
    # a plane's measurement names no image: left out of the link
    assert link(page, "encodeMeasurements", [{"kind": "length", "sop": "", "frame": 0, "points": [[0, 0], [1, 1]]}]) \
        == link(page, "encodeMeasurements", [])
    enc = lambda rows: page.eval("(r) => '1.' + btoa(JSON.stringify(r)).replace(/\\+/g, '-').replace(/\\//g, '_').replace(/=+$/, '')", rows)
    bad = [["l", "1.2<script>", 0, 1, 2, 3, 4], ["x", "1.2", 0, 1, 2, 3, 4], ["l", "1.2", -1, 1, 2, 3, 4],
           ["l", "1.2", 0, 1, 2, 3], ["l", "1.2", 0, 1, 2, 3, "4"], ["l", "1.2", 0, 1, 2, 3, 1e300], "l",
           ["l", "1.2", 0.5, 1, 2, 3, 4]]
    assert link(page, "decodeMeasurements", enc(bad)) == []
    assert link(page, "decodeMeasurements", enc([["e", "1.2", 0, 1, 2, 3, 4]])) == \
        [{"kind": "ellipse", "sop": "1.2", "frame": 0, "points": [[1, 2], [3, 4]]}]
    for junk in ["2." + enc([["l", "1.2", 0, 1, 2, 3, 4]])[2:], "1.!!!", "1.", "", "1." + "A" * 30000]:
        assert link(page, "decodeMeasurements", junk) == []
    many = [{"kind": "length", "sop": "1.2", "frame": 0, "points": [[i, 0], [i, 9]]} for i in range(150)]
    assert len(link(page, "decodeMeasurements", link(page, "encodeMeasurements", many))) == 100


@pytest.mark.parametrize("fragment,view", [
    ("slice=abc", {}), ("slice=Infinity", {}), ("slice=-4", {"slice": 0}), ("slice=3.9", {"slice": 3}),
    ("set=x&slice=2", {"slice": 2}),
    ("sop=1.2.3%3Cscript%3E", {}), ("sop=" + "1." * 40, {}), ("sop=1.2.3", {"sop": "1.2.3"}),
    ("series=", {}), ("series=%3Cb%3E", {"seriesUid": "<b>"}),  # any text: it is compared, never shown as markup
    ("wc=40", {}), ("wc=40&ww=0", {}), ("wc=40&ww=-5", {}), ("wc=x&ww=5", {}), ("wc=-40&ww=5", {"center": -40, "width": 5}),
    ("invert=yes", {}), ("flip=true", {}), ("voi=sigmoid", {"voiFunction": "SIGMOID"}), ("voi=javascript", {}),
    ("zoom=0", {}), ("zoom=-2", {}), ("zoom=x", {}), ("pan=1,2,3", {}), ("pan=a,1", {}), ("pan=7", {}),
    ("rot=45", {}), ("rot=90", {"rotate": 90}), ("rot=360", {}),
])
def test_bad_fragment_values_are_ignored(page, fragment, view):
    assert link(page, "parseView", "#" + fragment) == view


def test_addresses_are_passed_through_not_judged(page):
    # link.js is pure: a javascript: (or any) address comes back verbatim as data; what may be fetched is decided
    # where it is fetched (net/), and nothing here runs it
    hostile = "javascript:alert(document.domain)"
    assert link(page, "parseLink", "http://h/index.html?manifest=" + hostile.replace(":", "%3A"))["spec"] == \
        {"manifest": hostile}
    assert link(page, "toSpec", hostile, PAGE) == {"spec": {"manifest": hostile}, "view": None}
    assert page.dialogs == []
    # bare addresses resolve against the page; objects are normalised; anything else is refused with a code
    assert link(page, "toSpec", "case/manifest.json", PAGE) == \
        {"spec": {"manifest": "http://127.0.0.1:1/viewer/case/manifest.json"}, "view": None}
    assert link(page, "toSpec", {"url": "a.dcm"}, PAGE) == {"spec": {"urls": ["a.dcm"]}, "view": None}
    assert link(page, "toSpec", {"zip": "s.zip", "view": {"slice": 2}}, PAGE) == \
        {"spec": {"urls": ["s.zip"]}, "view": {"slice": 2}}
    assert link(page, "toSpec", 42, PAGE)["code"] == "source"
    assert link(page, "toSpec", "http://[::1", PAGE) == {"threw": "not an address: http://[::1", "code": "source"}


# ---------------------------------------------------------------------------------------------------- net/queue.js
# Runs a FetchQueue in the page over `jobs` ([name, order]); `then` (JS, with q in scope) runs right after add().
# Resolves when every job has answered (or, for a cancel, when nothing is active any more) with what happened.
QUEUE = """async ([base, jobs, options, then]) => {
    const { FetchQueue } = await import('./js/net/queue.js');
    const hex = async (a) => [...new Uint8Array(await crypto.subtle.digest('SHA-256', a))]
        .map((b) => b.toString(16).padStart(2, '0')).join('');
    const events = [];
    let left = jobs.length, finish;
    const all = new Promise((r) => (finish = r));
    const q = new FetchQueue({ ...options,
        onDone: (job, res) => { events.push({ name: job.name, started: q.trace.length, buf: res.buf }); if (!--left) finish(); },
        onFail: (job, err) => { events.push({ name: job.name, started: q.trace.length, ...err }); if (!--left) finish(); } });
    window.__q = q;
    q.add(jobs.map(([name, order]) => ({ url: base + name, name, order })));
    await eval(then);
    await all;
    for (const e of events) if (e.buf) { e.sha = await hex(e.buf); e.bytes = e.buf.byteLength; delete e.buf; }
    const { trace, ...stats } = q.stats();
    return { events, stats, trace };
}"""


@pytest.fixture
def host(page, tmp_path):
    rnd = random.Random(3)
    for i in range(8):
        (tmp_path / f"f{i}").write_bytes(bytes(rnd.getrandbits(8) for _ in range(40_000 + 5_000 * i)))
    h = FileHost(tmp_path)
    page.page.route(h.url + "**", lambda r: r.continue_())  # the page may reach this host (another origin)
    yield h
    h.close()


def run_queue(page, host, jobs, options=None, then="0"):
    return page.eval(QUEUE, [host.url, jobs, options or {}, then])


def test_best_job_starts_first_and_alone_then_the_link_fills(page, host):
    jobs = [["f3", 3], ["f1", 1], ["f4", 4], ["f0", 0], ["f5", 5], ["f2", 2]]
    r = run_queue(page, host, jobs)
    assert host.order[0] == "/f0" and r["events"][0]["name"] == "f0"
    assert r["events"][0]["started"] == 1  # when the best one finished, no other request had been started
    assert r["stats"]["maxActive"] > 1 and r["stats"]["completed"] == 6  # then several at once
    for e in r["events"]:
        assert e["sha"] == sha((host.directory / e["name"]).read_bytes()), e["name"]


def test_set_priority_reorders_what_waits(page, host):
    one_at_a_time = {"maxConcurrency": 1, "minConcurrency": 1}
    jobs = [[f"f{i}", i] for i in range(6)]
    # f0 started at add(); the rest is re-ranked highest order first, and back to lowest first once f5 is done
    then = """q.setPriority((j) => -j.order);
        const done = q.onDone; q.onDone = (job, res) => { done(job, res); if (job.name === 'f5') q.setPriority((j) => j.order); };"""
    r = run_queue(page, host, jobs, one_at_a_time, then)
    assert host.order == ["/f0", "/f5", "/f1", "/f2", "/f3", "/f4"]
    assert [e["name"] for e in r["events"]] == ["f0", "f5", "f1", "f2", "f3", "f4"]


def test_server_errors_are_retried_and_a_404_is_not(page, host):
    host.fail("/f1", 503, 502)
    host.fail("/f2", 500, 500, 500)
    r = run_queue(page, host, [["f1", 0], ["f2", 1], ["missing", 2]], {"retries": 2, "backoffMs": 10})
    got = {e["name"]: e for e in r["events"]}
    assert got["f1"]["sha"] == sha((host.directory / "f1").read_bytes()) and host.hits["/f1"] == 3
    assert got["f2"]["code"] == "server" and got["f2"]["status"] == 500 and host.hits["/f2"] == 3
    assert got["f2"]["message"].startswith("HTTP 500") and "(after 3 tries)" in got["f2"]["message"]
    assert got["missing"]["code"] == "not-found" and got["missing"]["status"] == 404 and host.hits["/missing"] == 1
    assert "HTTP 404" in got["missing"]["message"] and "tries" not in got["missing"]["message"]
    assert r["stats"]["retried"] == 4 and r["stats"]["failed"] == 2 and r["stats"]["completed"] == 1


def test_cancel_aborts_the_request_in_flight_and_starts_no_other(page, host):
    host.stall("/f0", 60)  # headers, then nothing for a minute
    then = """(async () => {
        while (!(q.trace.length && q.trace[0][1])) await new Promise((r) => setTimeout(r, 10));  // f0's headers came
        q.cancel();
        const t = performance.now();  // the read is aborted at once (else it would wait a minute for the server)
        while (q.active.size && performance.now() - t < 5000) await new Promise((r) => setTimeout(r, 10));
        finish();
    })()"""
    r = run_queue(page, host, [["f0", 0], ["f1", 1], ["f2", 2]], {"maxConcurrency": 1, "stallMs": 120_000}, then)
    assert r["events"] == []  # a cancelled job is not reported as done or failed
    assert r["stats"]["active"] == 0 and r["stats"]["waiting"] == 0 and len(r["trace"]) == 1
    assert host.hits["/f0"] == 1 and host.hits["/f1"] == host.hits["/f2"] == 0


# ---------------------------------------------------------------------------------------------------------- canvas.js
W, H = 6, 4  # an image whose corner pixels are marked: (0, 0) red, (W-1, 0) green, (0, H-1) blue
CANVAS = """async ([W, H, cameras]) => {
    const { ViewportCanvas } = await import('./js/canvas.js');
    document.body.style.margin = '0';
    const c = document.createElement('canvas');
    c.style.cssText = 'position:fixed;left:0;top:0;width:400px;height:300px';
    document.body.append(c);
    const v = new ViewportCanvas(c);
    const rgba = new Uint8ClampedArray(W * H * 4).fill(60);
    const mark = (x, y, rgb) => rgba.set([...rgb, 255], (y * W + x) * 4);
    for (let i = 3; i < rgba.length; i += 4) rgba[i] = 255;
    mark(0, 0, [255, 0, 0]); mark(W - 1, 0, [0, 255, 0]); mark(0, H - 1, [0, 0, 255]);
    const out = [];
    for (const cam of cameras) {
        v.setFrame(rgba.slice(), W, H, cam.aspect);
        Object.assign(v, { zoom: cam.zoom, pan: cam.pan, rotate: cam.rotate, flip: cam.flip });
        await v.requestDraw();
        const d = v.ctx.getImageData(0, 0, c.width, c.height).data;
        const drawn = [[255, 0, 0], [0, 255, 0], [0, 0, 255]].map((rgb) => {
            let sx = 0, sy = 0, n = 0;
            for (let i = 0; i < d.length; i += 4) {
                if (d[i] === rgb[0] && d[i + 1] === rgb[1] && d[i + 2] === rgb[2]) { const p = i / 4; sx += p % c.width + 0.5; sy += Math.floor(p / c.width) + 0.5; n++; }
            }
            return n ? [sx / n, sy / n] : null;
        });
        const points = cam.points.map(([x, y]) => v.toScreen(x, y));
        const back = points.map(([x, y]) => v.toImage(x, y));
        out.push({ points, back, drawn, edges: v.edges(), dpr: devicePixelRatio });
    }
    return out;
}"""


def expected_screen(points, cam, w=400, h=300):
    """Image pixel coordinates → CSS px, by matrices: centre on the pan point, scale rows by the pixel aspect,
    mirror, turn clockwise (y down), zoom (or fit the turned image), centre in the canvas."""
    a, t = cam["aspect"], math.radians(cam["rotate"])
    dw, dh = (H * a, W) if cam["rotate"] % 180 else (W, H * a)
    s = cam["zoom"] or min(w / dw, h / dh)
    m = (np.array([[math.cos(t), -math.sin(t)], [math.sin(t), math.cos(t)]])
         @ np.diag([-1.0 if cam["flip"] else 1.0, 1.0]) @ np.diag([1.0, a]))
    p = np.array(points, dtype=float) - [W / 2 + cam["pan"][0], H / 2 + cam["pan"][1]]
    return (p @ m.T) * s + [w / 2, h / 2]


CAMERAS = [dict(zoom=z, pan=p, rotate=r, flip=f, aspect=a)
           for z, p, a in ((0, [0, 0], 1), (9, [0.5, -1], 1), (8, [-1.25, 0.5], 2), (10, [0, 0], 0.5))
           for r in (0, 90, 180, 270) for f in (False, True)]


def test_screen_and_image_coordinates_map_both_ways_as_drawn(page):
    rnd = random.Random(5)
    corners = [[0, 0], [W, 0], [0, H], [W, H]]
    centres = [[0.5, 0.5], [W - 0.5, 0.5], [0.5, H - 0.5]]  # of the marked pixels
    others = [[rnd.uniform(-3, W + 3), rnd.uniform(-3, H + 3)] for _ in range(5)]
    for cam in CAMERAS:
        cam["points"] = corners + centres + others
    got = page.eval(CANVAS, [W, H, CAMERAS])
    for cam, r in zip(CAMERAS, got):
        label = {k: cam[k] for k in ("zoom", "pan", "rotate", "flip", "aspect")}
        assert np.allclose(r["points"], expected_screen(cam["points"], cam), atol=1e-9), label
        assert np.allclose(r["back"], cam["points"], atol=1e-9), label  # to the screen and back: the same point
        if cam["zoom"]:  # magnified without smoothing: each marked pixel is drawn where toScreen puts its centre
            assert r["dpr"] == 1
            assert np.allclose(r["drawn"], r["points"][4:7], atol=0.51), (label, r["drawn"], r["points"][4:7])
        # the edge of the image shown at each edge of the screen is the one whose middle is nearest to it
        mids = {"top": [W / 2, 0], "bottom": [W / 2, H], "left": [0, H / 2], "right": [W, H / 2]}
        at = dict(zip(mids, expected_screen(list(mids.values()), cam)))
        assert r["edges"] == {"top": min(at, key=lambda k: at[k][1]), "bottom": max(at, key=lambda k: at[k][1]),
                              "left": min(at, key=lambda k: at[k][0]), "right": max(at, key=lambda k: at[k][0])}, label


def test_fit_shows_the_whole_image_centred(page):
    # 6 × 4 pixels half as tall as wide (shown 6 × 2), turned 90° clockwise: 2 × 6, fitted to 400 × 300 at 50×,
    # i.e. 100 × 300 in the middle; the image's top-left corner goes to the top right, and so on round
    (r,) = page.eval(CANVAS, [W, H, [dict(zoom=0, pan=[0, 0], rotate=90, flip=False, aspect=0.5,
                                          points=[[0, 0], [W, 0], [W, H], [0, H]])]])
    assert np.allclose(r["points"], [[250, 0], [250, 300], [150, 300], [150, 0]])
    assert r["edges"] == {"top": "left", "right": "top", "bottom": "right", "left": "bottom"}


# --------------------------------------------------------------------------------------- net/cache.js and blobs.js
MEMORY = """async () => {
    const { ByteCache } = await import('./js/net/cache.js');
    const blobs = await import('./js/blobs.js');
    const MB = 2 ** 20;
    const bufs = [1, 2, 3, 4].map((n) => new ArrayBuffer(n * MB));
    const cache = new ByteCache(100 * MB);
    bufs.forEach((b, i) => cache.put('k' + i, { buf: b }));
    blobs.hold(bufs[1]);  // the 2 MB body is viewed by a loaded file: it costs nothing more in the cache
    const out = { extra: cache.extraBytes(blobs.holds) };
    cache.trim(5 * MB, blobs.holds);  // least recently used first, skipping the held one: 1 MB goes, then 3 MB
    out.keys = [...cache.map.keys()];
    out.extraAfter = cache.extraBytes(blobs.holds);
    blobs.setLimit(8 * MB);
    try { blobs.hold(new ArrayBuffer(7 * MB)); out.refused = null; } catch (e) { out.refused = e; }
    out.stats = blobs.stats();
    blobs.clear();
    out.cleared = blobs.stats();
    out.heldAfterClear = blobs.holds(bufs[1]);
    return out;
}"""


def test_the_network_cache_gives_way_and_held_bytes_are_bounded(page):
    got = page.eval(MEMORY)
    mb = 2 ** 20
    assert got["extra"] == (1 + 3 + 4) * mb
    assert got["keys"] == ["k1", "k3"] and got["extraAfter"] == 4 * mb
    assert got["refused"]["code"] == "memory" and "memory budget" in got["refused"]["message"]
    assert "2.0 MB already held" in got["refused"]["message"] and "8.0 MB allowed" in got["refused"]["message"]
    assert got["stats"]["bytes"] == 2 * mb and got["stats"]["inMemory"] == 1
    assert got["cleared"]["bytes"] == 0 and got["heldAfterClear"] is False


# ------------------------------------------------------------------------------------------------------ parsepool.js
@pytest.mark.parametrize("nav,helpers", [
    ({"hardwareConcurrency": 2}, 0),  # measured: on 2 cores a helper made loads no faster
    ({"hardwareConcurrency": 4}, 1), ({"hardwareConcurrency": 4, "deviceMemory": 8}, 1),
    ({"hardwareConcurrency": 8, "deviceMemory": 8}, 3), ({"hardwareConcurrency": 16}, 3),
    ({"hardwareConcurrency": 8, "deviceMemory": 2}, 0), ({}, 0),
])
def test_parsing_helpers_follow_the_cores_and_the_memory(page, nav, helpers):
    got = page.eval("async (nav) => (await import('./js/parsepool.js')).defaultHelpers(nav)", nav)
    assert got == helpers


HELPER_STUCK = """async () => {
    const { createParsePool, MAX_WAITING } = await import('./js/parsepool.js');
    const fakes = [];
    const spawn = () => {
        const f = { posted: [], terminate() {}, postMessage(m) {
            this.posted.push(m);
            if (m.boot) setTimeout(() => this.onmessage({ data: { up: { ms: 1 } } }));
        } };
        fakes.push(f);
        return f;
    };
    const rt = { source: 'local', site: { url: 'py/site.zip', sha256: '' }, indexURL: '', base: '', build: '' };
    const pool = createParsePool(rt, { helpers: 1, spawn, answerMs: 100 });
    pool.start();
    while (!pool.up()) await new Promise((r) => setTimeout(r, 5));
    const t = performance.now();
    const stuck = await pool.parse('stuck.dcm', new Uint8Array(8), 8);  // never answered
    const waited = performance.now() - t;
    const asked = pool.parse('fine.dcm', new Uint8Array(8), 8);
    const id = fakes[0].posted[fakes[0].posted.length - 1].parse.id;
    fakes[0].onmessage({ data: { parsed: { id, answer: new Uint8Array([1, 2, 3]) } } });
    const fine = Array.from(await asked);
    for (let i = 2; i < MAX_WAITING + 1; i++) pool.parse(`more${i}.dcm`, new Uint8Array(8), 8);
    const full = pool.parse('one-too-many.dcm', new Uint8Array(8), 8);
    return { stuck, waited, fine, fullIsNull: full === null, status: pool.status() };
}"""


def test_a_helper_that_does_not_answer_leaves_the_file_to_the_viewer_and_is_given_no_more(page):
    """No load waits on a helper: a file it has not answered in time is parsed by the viewer's worker, and a
    helper with its slots taken is given no more (null: parse it yourself)."""
    out = page.eval(HELPER_STUCK)
    assert out["stuck"] is None and 95 <= out["waited"] < 2000, out
    assert out["fine"] == [1, 2, 3] and out["fullIsNull"] is True, out
    assert out["status"]["answered"] == 1 and out["status"]["up"] == 1, out


# ------------------------------------------------------------------------------------------- net/lzma2.js, packed.js
# Streams made by Python's lzma module (liblzma, the reference encoder), decoded by the viewer's own decoder in
# pieces of the given sizes, compared by sha256 with what was encoded.
LZMA2 = """async ([url, size, pieces]) => {
    const { Lzma2Decoder } = await import('./js/net/lzma2.js');
    const data = new Uint8Array(await (await fetch(url)).arrayBuffer());
    const hex = async (a) => [...new Uint8Array(await crypto.subtle.digest('SHA-256', a))]
        .map((b) => b.toString(16).padStart(2, '0')).join('');
    const out = [];
    for (const piece of pieces) {
        const d = new Lzma2Decoder(size, piece === 1 ? 0 : data.length);
        try {
            for (let i = 0; i < data.length; i += piece) d.push(data.subarray(i, i + piece));
            const got = d.finish();
            out.push({ piece, sha: await hex(got), length: got.length });
        } catch (e) { out.push({ piece, error: e.message, name: e.constructor.name }); }
    }
    return out;
}"""


def lzma2_stream(data: bytes, **options) -> bytes:
    import lzma

    return lzma.compress(data, format=lzma.FORMAT_RAW, filters=[{"id": lzma.FILTER_LZMA2, **options}])


def lzma2_payloads() -> dict[str, bytes]:
    rnd = random.Random(11)
    floats = struct.pack("<4000d", *(math.sin(i / 7) * 1000 for i in range(4000)))  # structured binary
    words = " ".join(rnd.choice(["pixel", "spacing", "window", "level", "slice", "DICOM", "série"]) for _ in range(30_000))
    return {"noise": bytes(rnd.getrandbits(8) for _ in range(150_000)),  # incompressible: stored chunks
            "words": words.encode(), "floats": floats * 3, "zeros": bytes(3_000_000),  # long matches, > 2 MiB
            "mixed": bytes(rnd.getrandbits(8) for _ in range(70_000)) + words.encode()[:200_000] + floats,
            "one": b"x", "empty": b""}


@pytest.mark.parametrize("options", [{"preset": 6}, {"preset": 9 | 0x80000000}, {"preset": 0},
                                     {"lc": 0, "lp": 2, "pb": 2}, {"lc": 4, "lp": 0, "pb": 0},
                                     {"lc": 1, "lp": 3, "pb": 4, "dict_size": 4096}],
                         ids=["default", "9e", "fast", "lp2", "lc4", "small-window"])
def test_lzma2_decodes_what_liblzma_encodes_in_any_pieces(page, tmp_path, options):
    host = FileHost(tmp_path)
    page.page.route(host.url + "**", lambda r: r.continue_())
    try:
        for name, data in lzma2_payloads().items():
            (tmp_path / name).write_bytes(lzma2_stream(data, **options))
            pieces = [1, 7, 4096, 1 << 30] if len(data) < 300_000 else [4096, 65_536, 1 << 30]
            got = page.eval(LZMA2, [host.url + name, len(data), pieces])
            assert got == [{"piece": p, "sha": sha(data), "length": len(data)} for p in pieces], (name, got)
    finally:
        host.close()


def test_lzma2_refuses_damaged_cut_and_mismatched_streams(page, tmp_path):
    """A changed byte, a stream cut short, bytes after its end, or an output size other than the build recorded: an
    Lzma2Error, never a hang or a silently wrong result."""
    host = FileHost(tmp_path)
    page.page.route(host.url + "**", lambda r: r.continue_())
    data = lzma2_payloads()["mixed"]
    good = lzma2_stream(data, preset=6)
    cases = {"cut": (good[: len(good) * 2 // 3], len(data)), "trailing": (good + b"\0\0", len(data)),
             "short-size": (good, len(data) - 1), "long-size": (good, len(data) + 1),
             "no-dict-reset": (b"\x02\x00\x00A\x00", 1), "bad-control": (b"\x03\x00", 1)}
    for at in (len(good) // 3, len(good) // 2, len(good) - 3):
        for mask in (0x01, 0x80):
            bad = bytearray(good)
            bad[at] ^= mask
            cases[f"flip-{at}-{mask}"] = (bytes(bad), len(data))
    try:
        for name, (stream, size) in cases.items():
            (tmp_path / name).write_bytes(stream)
            got = page.eval(LZMA2, [host.url + name, size, [4096]])[0]
            if name.startswith("flip") and "sha" in got:  # a flip may decode to other bytes of the same length...
                assert got["sha"] != sha(data), name  # ...which the sha256 check of packed.js then refuses
                continue
            assert got.get("name") == "Lzma2Error", (name, got)
    finally:
        host.close()


PACKED = """async ([url, info, readBody]) => {
    const { unpacked } = await import('./js/net/packed.js');
    const counted = [];
    const r = await unpacked(fetch(url), info, location.href);
    if (!r) return { none: true };
    r.packed.listen((n) => counted.push(n));
    let body = null, bodyError = null;
    if (readBody) {
        try { body = new Uint8Array(await r.arrayBuffer()); } catch (e) { bodyError = e.message; }
    }
    const outcome = await r.packed.outcome;
    const hex = body && [...new Uint8Array(await crypto.subtle.digest('SHA-256', body))]
        .map((b) => b.toString(16).padStart(2, '0')).join('');
    return { type: r.headers.get('Content-Type'), sha: hex, bodyError, outcome,
             counted: counted.reduce((a, b) => a + b, 0) };
}"""


def test_a_packed_file_is_handed_on_as_the_plain_file_and_checked(page, tmp_path):
    host = FileHost(tmp_path)
    page.page.route(host.url + "**", lambda r: r.continue_())
    data = lzma2_payloads()["mixed"]
    stream = lzma2_stream(data, preset=6)
    (tmp_path / "f.lzma2").write_bytes(stream)
    info = {"url": "f.lzma2", "bytes": len(stream), "rawBytes": len(data), "sha256": sha(data), "type": "application/zip"}
    try:
        ok = page.eval(PACKED, [host.url + "f.lzma2", info, True])
        assert ok == {"type": "application/zip", "sha": sha(data), "bodyError": None, "outcome": None,
                      "counted": len(stream)}, ok
        # the right stream, the wrong file: its last byte is never handed on, the body errors, the outcome says why
        wrong = page.eval(PACKED, [host.url + "f.lzma2", {**info, "sha256": "0" * 64}, True])
        assert wrong["sha"] is None and wrong["bodyError"], wrong  # (the browser says only "Failed to fetch")
        assert wrong["outcome"]["code"] == "integrity" and "f.lzma2" in wrong["outcome"]["message"], wrong
        assert "does not match" in wrong["outcome"]["message"], wrong
        # decoded and checked even when nobody reads the body yet (Pyodide asks for it later)
        early = page.eval(PACKED, [host.url + "f.lzma2", info, False])
        assert early["outcome"] is None and early["counted"] == len(stream), early
        # no copy on the host: null, and the caller fetches the plain file
        assert page.eval(PACKED, [host.url + "missing.lzma2", info, True]) == {"none": True}
    finally:
        host.close()
