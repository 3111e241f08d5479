"""How much CPU other processes took while a benchmark ran: on a 2-core machine a neighbour's test run can halve
the figures, so every case reports it next to its results (and run.py warns when it is large)."""
from __future__ import annotations

import os
import time
from pathlib import Path

HZ = os.sysconf("SC_CLK_TCK")


def _ours() -> set[int]:
    """This process and all its descendants (Playwright's driver, Chromium and its children)."""
    kids: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            ppid = int(stat.read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, ValueError, IndexError):
            continue
        kids.setdefault(ppid, []).append(int(stat.parent.name))
    todo, seen = [os.getpid()], set()
    while todo:
        p = todo.pop()
        if p not in seen:
            seen.add(p)
            todo += kids.get(p, [])
    return seen


def _cpu() -> dict[tuple[int, str], float]:
    """CPU seconds (user + system) of every process now alive, keyed by (pid, start time)."""
    out = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            f = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, IndexError):
            continue
        out[(int(stat.parent.name), f[19])] = (int(f[11]) + int(f[12])) / HZ
    return out


class Neighbours:
    """``with Neighbours() as n: …`` then ``n.share``: other processes' CPU as a fraction of one core."""

    def __enter__(self) -> "Neighbours":
        self.t0 = time.monotonic()
        self.start = _cpu()
        return self

    def __exit__(self, *exc) -> None:
        end = _cpu()
        ours = _ours() | {os.getpid()}
        used = sum(v - self.start.get(k, 0.0) for k, v in end.items() if k[0] not in ours)
        # processes of ours that ended meanwhile are not in `end`; processes that are ours now were ours before
        self.seconds = time.monotonic() - self.t0
        self.cpu = max(used, 0.0)
        self.share = self.cpu / self.seconds if self.seconds else 0.0
