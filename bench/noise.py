"""How much CPU other processes took while a benchmark ran: on a 2-core machine shared with other work, a
neighbour's browser tests can halve the figures, so every case reports it next to its results (and run.py warns).

A background thread samples /proc twice a second. A process is ours if this process is among its ancestors when
it is seen (Chromium's helpers get reparented when a browser closes, so ancestry is judged while they live); the
CPU that every other process gained while we watched is the neighbours' share. Processes that live less than a
sample interval are missed, which undercounts a little.
"""
from __future__ import annotations

import os
import threading
import time
from pathlib import Path

HZ = os.sysconf("SC_CLK_TCK")


def _read() -> dict[tuple[int, str], tuple[int, float]]:
    """(pid, start time) → (ppid, CPU seconds) for every process now alive."""
    out = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            f = stat.read_text().rsplit(")", 1)[1].split()
            out[(int(stat.parent.name), f[19])] = (int(f[1]), (int(f[11]) + int(f[12])) / HZ)
        except (OSError, ValueError, IndexError):
            continue
    return out


class Neighbours:
    """``with Neighbours() as n: …`` then ``n.share``: other processes' CPU as a fraction of one core."""

    def __init__(self, interval: float = 0.5) -> None:
        self.interval = interval
        self._first: dict[tuple[int, str], float] = {}
        self._last: dict[tuple[int, str], float] = {}
        self._ours: set[tuple[int, str]] = set()
        self._stop = threading.Event()

    def _sample(self, initial: bool = False) -> None:
        procs = _read()
        by_pid = {k[0]: k for k in procs}
        me = os.getpid()
        for key, (ppid, cpu) in procs.items():
            if key not in self._ours:
                p, hops = key[0], 0
                while p not in (0, 1) and hops < 64:
                    if p == me:
                        self._ours.add(key)
                        break
                    parent = by_pid.get(p)
                    p = procs[parent][0] if parent else 0
                    hops += 1
            self._first.setdefault(key, cpu if initial else 0.0)
            self._last[key] = cpu

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self._sample()

    def __enter__(self) -> "Neighbours":
        self.t0 = time.monotonic()
        self._sample(initial=True)
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self._stop.set()
        self._thread.join()
        self._sample()
        self.seconds = time.monotonic() - self.t0
        self.cpu = sum(self._last[k] - self._first[k] for k in self._last if k not in self._ours)
        self.ours = sum(self._last[k] - self._first[k] for k in self._last if k in self._ours)
        self.share = self.cpu / self.seconds if self.seconds else 0.0


def wait_quiet(*, threshold: float = 0.1, window: float = 5.0, max_wait: float = 600.0, log=print) -> float:
    """Wait until other processes use less than ``threshold`` of a core over ``window`` seconds (or give up after
    ``max_wait``). Returns the last share seen."""
    deadline = time.monotonic() + max_wait
    while True:
        with Neighbours() as n:
            time.sleep(window)
        if n.share < threshold or time.monotonic() > deadline:
            return n.share
        log(f"other processes busy ({n.share:.0%} of a core); waiting for a quiet machine")
