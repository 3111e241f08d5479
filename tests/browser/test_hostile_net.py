"""Hostile servers and inputs, end to end: real HTTP answers on loopback (a gzip bomb, a body that never ends, a
trickle, a slow body that takes too long, a Content-Length that lies, redirect loops and redirects to a host without
CORS), addresses that are not http(s), and measurement exports whose text a spreadsheet would run as a formula.

Each hostile address sits in a case beside good GE CT slices: the load must settle within seconds of the (short)
limits configured for the test, name each failure by its code and reason, and still load the good slices.
"""
from __future__ import annotations

import csv
import io
import re
import time
import unicodedata
import zlib

import pydicom
import pytest
from pydicom.uid import generate_uid

from remote_helpers import case_dir, cors_host, ge_files, open_case, plain_host, remote  # noqa: F401
from servers import FileHost

pytestmark = pytest.mark.browser

# Short limits, so the test takes seconds; the defaults (queue.js DEFAULTS) are the same rules at scale.
LIMITS = {"maxBytes": 8 * 2 ** 20, "minBytesPerSec": 1000, "rateWindowMs": 1500, "maxRequestMs": 4000,
          "stallMs": 5000, "retries": 1, "backoffMs": 50}
SETTLE_S = max(LIMITS["maxRequestMs"], LIMITS["stallMs"]) / 1000 + 5


def _bomb() -> bytes:
    """About 1 MB of gzip that inflates to 1 GiB of zeros (compressed in 1 MiB steps: little memory)."""
    z = zlib.compressobj(9, zlib.DEFLATED, 31)
    zeros = b"\0" * 2 ** 20
    return b"".join([z.compress(zeros) for _ in range(1024)] + [z.flush()])


def _headers(h, status=200, **fields):
    h.send_response(status)
    for k, v in fields.items():
        h.send_header(k.replace("_", "-"), str(v))
    h.end_headers()  # adds the host's CORS headers
    h.wfile.flush()


def _trickle(h, piece: bytes, every: float, for_s: float = 20.0):
    """Write `piece` every `every` s until the viewer hangs up (or `for_s` has passed: never a runaway thread)."""
    end = time.monotonic() + for_s
    while time.monotonic() < end:
        h.wfile.write(piece)
        h.wfile.flush()
        time.sleep(every)


@pytest.fixture(scope="module")
def other_cors_host(case_dir):  # noqa: F811
    """The case from a third origin, with CORS: a redirect to it from cors_host works."""
    host = FileHost(case_dir.parent)
    yield host
    host.close()


@pytest.fixture(scope="module")
def hostile(cors_host, plain_host, other_cors_host):  # noqa: F811
    """Hostile answers on cors_host under /hostile/ → their expected error code."""
    bomb = _bomb()
    assert len(bomb) < 1_200_000

    def gzip_bomb(h):
        _headers(h, Content_Type="application/dicom", Content_Encoding="gzip", Content_Length=len(bomb))
        h.wfile.write(bomb)

    def endless(h):  # chunked, 64 KiB at a time, for ever
        _headers(h, Content_Type="application/dicom", Transfer_Encoding="chunked")
        piece = b"10000\r\n" + b"\x01" * 0x10000 + b"\r\n"
        _trickle(h, piece, 0.0)

    def huge_length(h):  # announces 1 TiB, then trickles
        _headers(h, Content_Length=2 ** 40)
        _trickle(h, b"x", 0.2)

    def drip(h):  # one byte every 2 s: every byte resets a stall timer
        _headers(h, Content_Length=100_000)
        _trickle(h, b"x", 2.0)

    def steady_but_long(h):  # 8 KB/s, fast enough for minBytesPerSec, but 1 MB would take 2 min
        _headers(h, Content_Length=1_000_000)
        _trickle(h, b"y" * 4000, 0.5)

    def short_body(h):  # Content-Length says 600000, 1000 bytes come, the connection closes
        _headers(h, Content_Length=600_000)
        h.wfile.write(b"z" * 1000)
        h.close_connection = True

    def loop(h):
        _headers(h, 302, Location="/hostile/loop.dcm", Content_Length=0)

    def to_plain(h):  # another origin that sends no CORS headers
        _headers(h, 302, Location=plain_host.url + "case/05.dcm", Content_Length=0)

    def to_cors(h):  # another origin that does send them: this one loads
        _headers(h, 302, Location=other_cors_host.url + "case/06.dcm", Content_Length=0)

    answers = {"bomb.dcm": (gzip_bomb, "too-large"), "endless.dcm": (endless, "too-large"),
               "huge.dcm": (huge_length, "too-large"), "drip.dcm": (drip, "too-slow"),
               "long.dcm": (steady_but_long, "timeout"), "short.dcm": (short_body, "truncated"),
               "loop.dcm": (loop, "redirect"), "to-plain.dcm": (to_plain, "redirect"), "to-cors.dcm": (to_cors, None)}
    for name, (fn, _code) in answers.items():
        cors_host.custom("/hostile/" + name, fn)
    return {cors_host.url + "hostile/" + name: code for name, (_fn, code) in answers.items()}


def test_hostile_servers_fail_by_name_within_their_limits_and_good_files_load(remote, cors_host, hostile):  # noqa: F811
    remote.open()
    good = [cors_host.url + f"case/{n:02d}.dcm" for n in (1, 2, 3)]
    t0 = time.monotonic()
    res = open_case(remote, {"urls": good + list(hostile)}, LIMITS)
    took = time.monotonic() - t0
    s = res["summary"]
    assert took < SETTLE_S, (took, s)
    assert s["loaded"] == len(good) + 1 and s["failed"] == len(hostile) - 1, s
    assert s["bytes"] < 64 * 2 ** 20  # the bomb and the endless body were not read to their end
    why = {x["source"]: x for x in remote.eval("venos.skipped()")}
    for url, code in hostile.items():
        if code is None:
            assert url not in why  # the redirect to a host with CORS was followed and loaded
            continue
        assert why[url]["code"] == code, (url, why[url])
    msg = {url.rsplit("/", 1)[1]: why[url]["message"] for url in why}
    assert "maxBytes = 8388608" in msg["bomb.dcm"] and "inflate" in msg["bomb.dcm"]
    assert "maxBytes = 8388608" in msg["endless.dcm"]
    assert "Content-Length" in msg["huge.dcm"] and "before reading" in msg["huge.dcm"]
    assert "minBytesPerSec = 1000" in msg["drip.dcm"] and "rateWindowMs = 1500" in msg["drip.dcm"]
    assert "maxRequestMs = 4000" in msg["long.dcm"]
    assert "Content-Length" in msg["short.dcm"] and "2 tries" in msg["short.dcm"] and "CORS" not in msg["short.dcm"]
    assert "loop" in msg["loop.dcm"] and "could not be reached" not in msg["loop.dcm"]
    assert "Access-Control-Allow-Origin: *" in msg["to-plain.dcm"] and "redirects" in msg["to-plain.dcm"]
    # the limits are not retried (asking again would cost as much again); a cut-short body is, once
    assert cors_host.hits["/hostile/bomb.dcm"] == 1 and cors_host.hits["/hostile/drip.dcm"] == 1
    assert cors_host.hits["/hostile/long.dcm"] == 1 and cors_host.hits["/hostile/short.dcm"] == 2
    # the good slices and the one redirected to a host with CORS are shown
    series = remote.eval("venos.series()")
    assert [x["slices"] for x in series] == [4]
    assert remote.offsite == [] and remote.dialogs == []


def test_limits_are_options_in_force(remote):  # noqa: F811
    remote.open()
    opts = remote.eval("venos.net.configure({})")
    assert opts["maxBytes"] == 2 ** 30 and opts["minBytesPerSec"] == 1024 and opts["rateWindowMs"] == 10_000
    assert opts["maxRequestMs"] == 600_000
    assert remote.eval("venos.net.configure({maxBytes: 5e6})")["maxBytes"] == 5e6


def test_addresses_that_are_not_http_are_refused_at_once(remote, cors_host):  # noqa: F811
    remote.open()
    before = sum(cors_host.hits.values())
    for bad in ("javascript:alert(1)", "data:application/json,[]", "file:///etc/passwd"):
        t0 = time.monotonic()
        err = remote.eval("""async (u) => { try { await venos.open({ manifest: u }); return null; }
                             catch (e) { return { code: e.code, message: e.message, source: e.source }; } }""", bad)
        assert time.monotonic() - t0 < 2, bad  # no retries, no probes
        assert err and err["code"] == "address" and "only http and https" in err["message"], (bad, err)
        assert err["message"].startswith(bad.split(":")[0] + ":")
    # in a list beside good files: skipped with a warning, the good ones load
    warnings = remote.page.evaluate_handle(
        "() => { const w = []; venos.on('warning', (d) => w.push(d.message)); return w; }")
    res = open_case(remote, {"urls": [cors_host.url + "case/04.dcm", "javascript:alert(1)"]}, LIMITS)
    assert res["summary"]["loaded"] == 1
    assert any("javascript:" in m for m in remote.page.evaluate("(w) => w", warnings))
    assert sum(cors_host.hits.values()) == before + 1
    assert remote.dialogs == []


def test_hostile_manifests_are_refused_and_the_runtime_survives(remote, cors_host, case_dir):  # noqa: F811
    """A manifest nested 100,000 deep (it used to overflow the wasm stack and kill the runtime) and a URL list of
    100,001 lines (over the 50,000-instance cap: refused before a single request or warning)."""
    folder = case_dir.parent / "hostile-manifests"
    folder.mkdir(exist_ok=True)
    (folder / "deep.json").write_text("[" * 100_000 + "]" * 100_000)
    (folder / "deep-object.json").write_text('{"a":' * 50_000 + "1" + "}" * 50_000)
    (folder / "long.txt").write_text("\n".join(f"{cors_host.url}case/{i % 28 + 1:02d}.dcm" for i in range(100_001)))
    remote.open()
    warnings = remote.page.evaluate_handle(
        "() => { const w = []; venos.on('warning', (d) => w.push(d.message)); return w; }")
    before = sum(n for path, n in cors_host.hits.items() if "/case/" in path)
    for name, words in (("deep.json", "nests deeper than"), ("deep-object.json", "nests deeper than"),
                        ("long.txt", "50000")):
        t0 = time.monotonic()
        err = remote.eval("""async (u) => { try { await venos.open({ manifest: u }); return null; }
                             catch (e) { return { code: e.code, message: e.message }; } }""",
                          cors_host.url + "hostile-manifests/" + name)
        assert time.monotonic() - t0 < 5, name
        assert err and words in err["message"].replace(",", "").replace("\u202f", ""), (name, err)
    assert sum(n for path, n in cors_host.hits.items() if "/case/" in path) == before, "a refused list was fetched"
    assert len(remote.page.evaluate("(w) => w", warnings)) < 10
    # the runtime is alive: a good case opens and draws
    res = open_case(remote, {"urls": [cors_host.url + "case/04.dcm", cors_host.url + "case/05.dcm"]}, LIMITS)
    assert res["summary"]["loaded"] == 2 and remote.eval("venos.frame() !== null")
    assert remote.dialogs == []


def test_load_by_url_uses_the_queue_its_limits_and_its_diagnosis(remote, cors_host, plain_host, hostile):  # noqa: F811
    """venos.load([url, …]) adds files by address to what is loaded: through the same fetch queue as a case, so a
    host without CORS is named as such, a non-http address is refused, a bomb is stopped at maxBytes."""
    remote.open()
    remote.eval("(o) => venos.net.configure(o)", LIMITS)
    urls = [cors_host.url + "case/04.dcm", plain_host.url + "case/05.dcm", "javascript:alert(1)",
            cors_host.url + "hostile/bomb.dcm"]
    t0 = time.monotonic()
    summary = remote.eval("(u) => venos.load(u)", urls)
    assert time.monotonic() - t0 < SETTLE_S
    assert summary["loaded"] == 1 and summary["failed"] == 3
    codes = {s["source"]: s["code"] for s in remote.eval("venos.skipped()")}
    assert codes == {urls[1]: "cors", urls[2]: "address", urls[3]: "too-large"}
    assert remote.dialogs == []


# ------------------------------------------------------------------------------------------------ CSV export

# Text a spreadsheet would run as a formula, as file names and Series Descriptions.
HOSTILE_TEXT = [" =HYPERLINK(\"https:evil.example?x\",\"x\")", "\t=1+1", "\r=1+1", "\n=1+1", "＝1+1", "＋1+1",
                "－1+1", "＠SUM(1)", "\u3000=1+1", "\u200b@SUM(1)", "\u00a0-1+1", "+1+1", "@SUM(1)", "-1+1"]
HARMLESS_TEXT = ["-12.5", "head a=b", "2.5e-3"]


def _dicom_variant(src, description: str) -> bytes:
    ds = pydicom.dcmread(src)
    ds.SeriesInstanceUID = generate_uid()
    ds.SOPInstanceUID = generate_uid()
    ds.file_meta.MediaStorageSOPInstanceUID = ds.SOPInstanceUID
    ds.SpecificCharacterSet = "ISO_IR 192"  # UTF-8: full-width and invisible characters survive
    ds.SeriesDescription = description
    buf = io.BytesIO()
    ds.save_as(buf)
    return buf.getvalue()


def _expected_cell(text: str) -> str:
    """The rule of annotations.js, written independently: a quote mark before text a spreadsheet could run."""
    if re.fullmatch(r"-?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?", text):
        return text  # a plain number is read as a number, not a formula
    if text[:1] in ("\t", "\r", "\n"):
        return "'" + text
    rest = text
    while rest and (rest[0].isspace() or unicodedata.category(rest[0]) in ("Cc", "Cf")):
        rest = rest[1:]
    return "'" + text if rest[:1] and rest[0] in "=+-@＝＋－＠﹦﹢﹣﹫−" else text


def test_csv_export_neutralises_formulas_and_keeps_numbers(viewer):
    viewer.open()
    src = ge_files()[0]
    texts = HOSTILE_TEXT + HARMLESS_TEXT
    files = {f"{t}-{i}.dcm": _dicom_variant(src, t) for i, t in enumerate(texts)}
    s = viewer.drop(files)
    assert s["loaded"] == len(texts), s
    for se in viewer.eval("venos.series()"):
        viewer.set_view({"series": se["id"], "slice": 0, "zoom": 1, "pan": [0, 0]})
        viewer.measure_by_drag("rectangle", (-200, -200), (200, 200))  # head and the air around it: min is about -1000 HU
    listed = viewer.eval("venos.measurements()")
    rows = list(csv.DictReader(io.StringIO(viewer.eval("venos.measurementsCsv()"), newline="")))
    assert len(rows) == len(listed) == len(texts)
    by_description = {}
    for m, row in zip(listed, rows):
        for field in ("source", "seriesDescription"):
            assert row[field] == _expected_cell(m[field]), (field, m[field], row[field])
        by_description[m["seriesDescription"].strip("\t\r\n \u3000\u200b\u00a0")] = row
        # numbers stay numbers: a negative minimum is written as it is, with no quote mark
        assert m["min"] < 0 and row["min"].startswith("-") and float(row["min"]) == pytest.approx(m["min"])
    # the strings reached the export as given (names and descriptions), and every hostile one is neutralised
    names = {m["source"] for m in listed}
    assert {n.rsplit("-", 1)[0] for n in names} == set(texts), names
    for t in HOSTILE_TEXT:
        assert any(r["source"].startswith("'" + t) for r in rows), t
    assert by_description["-12.5"]["seriesDescription"] == "-12.5"
    assert by_description["head a=b"]["seriesDescription"] == "head a=b"
    assert by_description["=HYPERLINK(\"https:evil.example?x\",\"x\")"]["seriesDescription"].startswith("'")
