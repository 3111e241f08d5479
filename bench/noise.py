"""How much CPU other processes took while a benchmark ran: on a 2-core machine shared with other work, a
neighbour's browser tests can halve the figures, so every case reports it next to its results (and run.py warns).

Other processes' CPU = all CPU time the kernel counted (/proc/stat) − the CPU of this process tree. The tree's CPU
includes children that already exited (cutime/cstime of the live processes that reaped them), so browsers
launched and closed within a case are still counted as ours.
"""
from __future__ import annotations

import os
import time
from pathlib import Path

HZ = os.sysconf("SC_CLK_TCK")


def _machine_busy() -> float:
    f = Path("/proc/stat").read_text().splitlines()[0].split()[1:]
    user, nice, system, idle, iowait, irq, softirq, steal = (int(x) for x in f[:8])
    return (user + nice + system + irq + softirq + steal) / HZ


def _tree_cpu() -> float:
    """CPU seconds of this process and its live descendants, plus the children they have reaped."""
    stats: dict[int, list[str]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            stats[int(stat.parent.name)] = stat.read_text().rsplit(")", 1)[1].split()
        except (OSError, ValueError, IndexError):
            continue
    kids: dict[int, list[int]] = {}
    for pid, f in stats.items():
        kids.setdefault(int(f[1]), []).append(pid)
    total, todo, seen = 0.0, [os.getpid()], set()
    while todo:
        p = todo.pop()
        if p in seen or p not in stats:
            continue
        seen.add(p)
        f = stats[p]
        total += sum(int(x) for x in f[11:15]) / HZ  # utime, stime, cutime, cstime
        todo += kids.get(p, [])
    return total


class Neighbours:
    """``with Neighbours() as n: …`` then ``n.share``: other processes' CPU as a fraction of one core."""

    def __enter__(self) -> "Neighbours":
        self.t0 = time.monotonic()
        self.busy0, self.ours0 = _machine_busy(), _tree_cpu()
        return self

    def __exit__(self, *exc) -> None:
        self.seconds = time.monotonic() - self.t0
        ours = _tree_cpu() - self.ours0
        self.cpu = max(_machine_busy() - self.busy0 - ours, 0.0)
        self.share = self.cpu / self.seconds if self.seconds else 0.0
        self.ours = ours


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
