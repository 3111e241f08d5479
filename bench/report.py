"""Statistics and the result table: every figure is a median over runs, shown next to its target and the peers."""
from __future__ import annotations

import math
from dataclasses import asdict, dataclass, field
from statistics import median


def pct(values: list[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..100) — no interpolation, so p95 is a value that was really measured."""
    if not values:
        return math.nan
    s = sorted(values)
    k = max(0, math.ceil(p / 100 * len(s)) - 1)
    return s[k]


def med(values: list[float]) -> float:
    return median(values) if values else math.nan


@dataclass
class Row:
    bench: str
    metric: str
    unit: str
    runs: list[float]                   # one value per run
    target: float | None = None         # None: no target, reported for information
    better: str = "lower"               # "lower" or "higher" is better
    peers: str = ""
    note: str = ""
    extra: dict = field(default_factory=dict)

    @property
    def value(self) -> float:
        return med(self.runs)

    @property
    def met(self) -> bool | None:
        if self.target is None or math.isnan(self.value):
            return None
        return self.value <= self.target if self.better == "lower" else self.value >= self.target

    @property
    def miss(self) -> str:
        """By how much the target is missed, as a factor (×) of the target."""
        if self.met is not False:
            return ""
        f = self.value / self.target if self.better == "lower" else self.target / max(self.value, 1e-9)
        return f"{f:.1f}×"

    def to_dict(self) -> dict:
        d = asdict(self)
        d.update(value=self.value, met=self.met, miss=self.miss)
        return d


def fmt(v: float, unit: str) -> str:
    if v is None or (isinstance(v, float) and math.isnan(v)):
        return "—"
    if unit in ("MB", "slices/s") or abs(v) >= 100:
        return f"{v:.0f}"
    if abs(v) >= 10:
        return f"{v:.1f}"
    return f"{v:.2f}"


def table(rows: list[Row]) -> str:
    head = ["benchmark", "metric", "median", "min–max", "unit", "target", "met", "peers (same machine)"]
    lines = []
    for r in rows:
        spread = f"{fmt(min(r.runs), r.unit)}–{fmt(max(r.runs), r.unit)}" if len(r.runs) > 1 else ""
        tgt = "" if r.target is None else ("≤ " if r.better == "lower" else "≥ ") + fmt(r.target, r.unit)
        met = {True: "yes", False: f"NO ({r.miss})", None: ""}[r.met]
        lines.append([r.bench, r.metric, fmt(r.value, r.unit), spread, r.unit, tgt, met, r.peers])
    widths = [max(len(str(x)) for x in col) for col in zip(head, *lines)]
    out = [" | ".join(h.ljust(w) for h, w in zip(head, widths)), "-+-".join("-" * w for w in widths)]
    out += [" | ".join(str(x).ljust(w) for x, w in zip(line, widths)) for line in lines]
    return "\n".join(out)
