"""Network emulation and byte accounting for one page and every worker it starts, over the DevTools protocol.

    net = NetLog(context, page, {"latency": 40, "downloadThroughput": 2.5e6, "uploadThroughput": 2.5e6})
    page.goto(url)                         # throttled from the first request; every worker is accounted
    net.bytes_until(first_ms, page.evaluate("performance.timeOrigin"))

What was verified on this machine (Chromium 156, Playwright 1.65; see bench/coldlink.py's docstring):

* ``Network.emulateNetworkConditions`` sent to the *page* target before navigation also throttles the page's
  dedicated workers, and they share the page's pipe (a 3.35 MB fetch takes 1.5 s from either; the page and a
  worker fetching it at the same time take 2.8 s each). Sending the conditions again to a dedicated worker is
  therefore not done: it could give the worker a second pipe.
* A *service worker* is not throttled by the page's conditions (the same fetch through a service worker: 0.06 s);
  once its own target gets ``Network.emulateNetworkConditions`` it is (1.5 s). Service and shared workers get the
  conditions as soon as they are attached (a request begun in the few ms before would escape them: coldlink.py's
  ``peak_mbit`` shows it). Checked with VeNOS's own service worker: its 1.4 MB codec download ran at 14 Mbit/s.
* Requests made by a worker are reported only on the worker's own target, never on the page's: bytes are summed
  over the page and every worker target, each request once (by requestId): ``encodedDataLength`` of
  ``loadingFinished``, or for a request that ended in ``loadingFailed`` the ``dataReceived`` bytes that had arrived.
  Responses a service worker or the HTTP cache served to the page count 0 (what the service worker fetched is
  counted on its target).
* A worker's ``fetch`` whose body is read to its end through ``response.body.getReader()`` is now and then reported
  as ``loadingFailed: net::ERR_ABORTED`` although every byte arrived (VeNOS got all 140 slices, the server sent
  them whole, nothing was fetched twice), and its ``dataReceived`` events then miss the last chunk(s). Such a
  request, when its URL was not asked again in the visit, counts its ``Content-Length``.

Workers are reached through ``Target.setAutoAttach`` on the page's session, non-flat (``flatten: false``), because
Playwright's CDP sessions drop messages of flat child sessions they did not create; nested workers are attached
the same way, recursively. Playwright's own session resumes a new worker at once (checked: a worker we never
resume still runs), so ``waitForDebuggerOnStart`` cannot hold it for us and the worker's first requests (its module
imports) may start before our ``Network.enable`` reaches it. Playwright enables its own Network domain before it
resumes the worker, so :meth:`NetLog.settle` adds, from Playwright's finished requests (``request.sizes()``,
``request.timing``), any request our CDP records lack (a few small module imports, now and then), and completes
those whose events had not reached us yet. coldlink.py checks the sum against the bytes the servers sent.
"""
from __future__ import annotations

import json
import statistics

WORKER_TYPES = {"worker", "service_worker", "shared_worker"}


class NetLog:
    """Throttle a page (set up before its first navigation) and record every request of it and of its workers."""

    def __init__(self, context, page, conditions: dict | None) -> None:
        self.conditions = {"offline": False, **conditions} if conditions else None
        self.requests: dict[str, dict] = {}  # requestId → {url, target, bytes, finished (monotonic s), local}
        self.targets: list[dict] = []  # every worker attached: {type, url}
        self._clock: list[float] = []  # wallTime − timestamp of each request: monotonic → wall clock
        self._kinds: dict[str, str] = {}  # child session id → target type
        self._id = 0
        self._seen_by_playwright: list = []  # Request objects (Playwright enables Network before a worker runs)
        page.on("requestfinished", lambda req: self._seen_by_playwright.append(req))
        self.cdp = cdp = context.new_cdp_session(page)
        for name in ("requestWillBeSent", "responseReceived", "dataReceived", "loadingFinished", "loadingFailed"):
            cdp.on(f"Network.{name}", lambda e, name=name: self._event("page", f"Network.{name}", e))
        cdp.on("Target.attachedToTarget", lambda e: self._attached((), e))
        cdp.on("Target.receivedMessageFromTarget", lambda e: self._message((), e))
        cdp.send("Network.enable")
        if self.conditions:
            cdp.send("Network.emulateNetworkConditions", self.conditions)
        cdp.send("Target.setAutoAttach", {"autoAttach": True, "waitForDebuggerOnStart": True, "flatten": False})

    # ------------------------------------------------------------------------------------------- accounting
    def reset(self) -> None:
        """Forget the requests and workers seen so far (before a navigation)."""
        self.requests.clear()
        self.targets.clear()
        self._seen_by_playwright.clear()

    def settle(self) -> dict:
        """After a visit, reconcile with Playwright's own view of the requests (its session enables Network before a
        worker runs). Each request Playwright saw finish is matched, by URL, to one of our records: a finished one
        (nothing to do); else one still open here because our events lag behind (completed from Playwright's
        ``sizes()`` and ``timing``: "late"); else one we saw end without its start, of the same size ("named"); else none,
        our worker session missed it (added: "missed"). Also counts
        "aborted" requests that arrived whole (see the module docstring)."""
        done: dict[str, list] = {}
        open_: dict[str, list] = {}
        for r in self.requests.values():
            if "url" in r:
                (done if r.get("finished") is not None else open_).setdefault(r["url"], []).append(r)
        for r in self.requests.values():
            if r.get("failed") and r.get("status") == 200 and r.get("length") and len(done[r["url"]]) == 1:
                r["bytes"] = max(r["bytes"], r["length"])
        counts = {"late": 0, "missed": 0, "named": 0}
        # requests whose end we saw but not their start (a worker's first requests, sent while our session with it
        # was being attached): matched by size, so that they are not counted twice
        nameless = [r for r in self.requests.values() if "url" not in r and r.get("finished") is not None]
        for i, req in enumerate(self._seen_by_playwright):
            if done.get(req.url):
                done[req.url].pop()
                continue
            try:
                size, timing = req.sizes(), req.timing
            except Exception:  # the request's page is gone
                continue
            fill = {"bytes": size["responseBodySize"] + size["responseHeadersSize"],
                    "end_wall_ms": timing["startTime"] + timing["responseEnd"]}
            twin = next((r for r in nameless if abs(r["bytes"] - fill["bytes"]) <= 4096), None)
            if open_.get(req.url):
                open_[req.url].pop().update(fill)
                counts["late"] += 1
            elif twin is not None:
                twin["url"] = req.url
                nameless.remove(twin)
                counts["named"] += 1
            else:
                self.requests[f"playwright-{i}"] = {"url": req.url, "target": "missed", **fill}
                counts["missed"] += 1
        return counts

    def _end_ms(self, r: dict) -> float | None:
        """Wall-clock ms at which a request ended (CDP's monotonic seconds mapped through wallTime)."""
        if r.get("end_wall_ms") is not None:
            return r["end_wall_ms"]
        if r.get("finished") is None:
            return None
        return (r["finished"] + statistics.median(self._clock)) * 1000.0

    def bytes_until(self, t_ms: float | None, time_origin_ms: float, skip=None) -> int:
        """Bytes of the requests that finished by ``t_ms`` (performance.now() of the page whose origin is given);
        ``skip(url)``: true for requests left out of the sum."""
        if t_ms is None and skip is None:
            return self.total()
        limit = float("inf") if t_ms is None else time_origin_ms + t_ms
        return sum(r["bytes"] for r in self.requests.values()
                   if (self._end_ms(r) or float("inf")) <= limit and not (skip and skip(r.get("url", ""))))

    def finished_at(self, url_part: str, time_origin_ms: float) -> float | None:
        """performance.now() time at which the first finished request whose URL contains ``url_part`` ended."""
        ends = [self._end_ms(r) - time_origin_ms for r in self.requests.values()
                if self._end_ms(r) is not None and url_part in r.get("url", "")]
        return min(ends) if ends else None

    def largest(self, t_ms: float | None, time_origin_ms: float, n: int = 8) -> list[tuple[str, int]]:
        """The ``n`` largest requests (URL path, bytes) that ended by ``t_ms``: what the wait was spent on."""
        limit = float("inf") if t_ms is None else time_origin_ms + t_ms
        done = [r for r in self.requests.values() if r["bytes"] and (self._end_ms(r) or float("inf")) <= limit]
        done.sort(key=lambda r: -r["bytes"])
        return [("/" + r.get("url", "?").split("/", 3)[-1].split("?")[0], r["bytes"]) for r in done[:n]]

    def waterfall(self, time_origin_ms: float, limit_ms: float | None = None) -> list[dict]:
        """Every request that crossed the link, in start order: path, target, start and end (page ms), bytes."""
        out = []
        offset = statistics.median(self._clock) * 1000.0 if self._clock else 0.0
        for r in self.requests.values():
            end = self._end_ms(r)
            if not r["bytes"] or r.get("sent") is None or end is None:
                continue
            start = r["sent"] * 1000.0 + offset - time_origin_ms
            if limit_ms is not None and start > limit_ms:
                continue
            out.append({"path": "/" + r.get("url", "?").split("/", 3)[-1].split("?")[0][:60], "target": r["target"],
                        "start": round(start), "end": round(end - time_origin_ms), "bytes": r["bytes"]})
        return sorted(out, key=lambda x: x["start"])

    def peak_rates(self, min_bytes: int = 500_000) -> dict[str, float]:
        """Per target kind, the fastest single download (bytes/s, sent → finished): a throttle check."""
        out: dict[str, float] = {}
        for r in self.requests.values():
            if r["bytes"] >= min_bytes and r.get("sent") is not None and (r.get("finished") or 0) > r["sent"]:
                rate = r["bytes"] / (r["finished"] - r["sent"])
                out[r["target"]] = max(out.get(r["target"], 0.0), rate)
        return out

    def total(self) -> int:
        return sum(r["bytes"] for r in self.requests.values())

    def by_target(self) -> dict[str, int]:
        out: dict[str, int] = {}
        for r in self.requests.values():
            out[r["target"]] = out.get(r["target"], 0) + r["bytes"]
        return out

    def _event(self, target: str, method: str, p: dict) -> None:
        r = self.requests.setdefault(p["requestId"], {"target": target, "bytes": 0})
        if method == "Network.requestWillBeSent":
            r.setdefault("url", p["request"]["url"])
            r.setdefault("sent", p["timestamp"])
            self._clock.append(p["wallTime"] - p["timestamp"])
        elif method == "Network.responseReceived":
            resp = p["response"]
            r["local"] = bool(resp.get("fromServiceWorker") or resp.get("fromDiskCache")
                              or resp.get("fromPrefetchCache"))
            r["status"] = resp.get("status")
            headers = {k.lower(): v for k, v in (resp.get("headers") or {}).items()}
            if headers.get("content-length", "").isdigit() and headers.get("content-encoding") in (None, "identity"):
                r["length"] = int(headers["content-length"])
        elif method == "Network.dataReceived":
            r["received"] = r.get("received", 0) + int(p.get("encodedDataLength", 0))
        elif method == "Network.loadingFinished":
            r["finished"] = p["timestamp"]
            r["bytes"] = 0 if r.get("local") else int(p["encodedDataLength"])
        elif method == "Network.loadingFailed":  # cancelled by the page: what had arrived still crossed the link
            r["finished"] = p["timestamp"]
            r["failed"] = p.get("errorText") or True
            r["bytes"] = 0 if r.get("local") else r.get("received", 0)

    # ------------------------------------------------------------------------------------------- targets
    def _send(self, path: tuple, method: str, params: dict | None = None) -> None:
        """Send a command to the (possibly nested) child target at ``path`` (session ids, outermost first)."""
        self._id += 1
        msg = {"id": self._id, "method": method, "params": params or {}}
        for sid in reversed(path[1:]):
            self._id += 1
            msg = {"id": self._id, "method": "Target.sendMessageToTarget",
                   "params": {"sessionId": sid, "message": json.dumps(msg)}}
        try:
            self.cdp.send("Target.sendMessageToTarget", {"sessionId": path[0], "message": json.dumps(msg)})
        except Exception:  # the target went away (page navigated, worker ended)
            pass

    def _attached(self, parent: tuple, p: dict) -> None:
        path = parent + (p["sessionId"],)
        info = p["targetInfo"]
        if info["type"] in WORKER_TYPES:
            self._send(path, "Network.enable")  # first: the worker may already be running (see the docstring)
            self.targets.append({"type": info["type"], "url": info["url"]})
            self._kinds[p["sessionId"]] = info["type"]
            if self.conditions and info["type"] != "worker":
                self._send(path, "Network.emulateNetworkConditions", self.conditions)
            self._send(path, "Target.setAutoAttach", {"autoAttach": True, "waitForDebuggerOnStart": True,
                                                      "flatten": False})
        self._send(path, "Runtime.runIfWaitingForDebugger")

    def _message(self, parent: tuple, p: dict) -> None:
        path = parent + (p["sessionId"],)
        m = json.loads(p["message"])
        method = m.get("method")
        if method == "Target.attachedToTarget":
            self._attached(path, m["params"])
        elif method == "Target.receivedMessageFromTarget":
            self._message(path, m["params"])
        elif method and method.startswith("Network."):
            self._event(self._kinds.get(p["sessionId"], "other"), method, m["params"])
