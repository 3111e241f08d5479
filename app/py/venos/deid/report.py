"""What de-identification did, attribute by attribute: tag, keyword, action, count. Never a value."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

ACTIONS = ("removed", "emptied", "replaced", "kept", "remapped", "date shifted", "cleaned")


def tag_text(tag: int) -> str:
    return f"({tag >> 16:04X},{tag & 0xFFFF:04X})"


@dataclass
class Report:
    """One file's (or, merged, one study's) actions. ``study`` is the *new* Study Instance UID."""

    name: str = ""
    study: str = ""
    files: int = 1
    counts: Counter = field(default_factory=Counter)  # (tag, keyword, action) → count

    def add(self, tag: int, keyword: str, action: str) -> None:
        if action not in ACTIONS:
            raise ValueError(f"unknown report action {action!r}; one of {ACTIONS}")
        self.counts[(tag, keyword, action)] += 1

    def count(self, action: str, keyword: str | None = None) -> int:
        """How many attributes got ``action`` (of ``keyword`` only, when given)."""
        return sum(n for (_t, k, a), n in self.counts.items() if a == action and keyword in (None, k))

    def rows(self) -> list[dict]:
        """Plain rows sorted by tag: {"tag": "(0010,0010)", "keyword", "action", "count"}."""
        return [{"tag": tag_text(t), "keyword": k, "action": a, "count": n}
                for (t, k, a), n in sorted(self.counts.items())]

    def to_dict(self) -> dict:
        return {"name": self.name, "study": self.study, "files": self.files, "attributes": self.rows()}


def by_study(reports: list[Report]) -> dict[str, Report]:
    """The files' reports summed per (new) study."""
    out: dict[str, Report] = {}
    for r in reports:
        total = out.setdefault(r.study, Report(name=r.study, study=r.study, files=0))
        total.files += r.files
        total.counts.update(r.counts)
    return out
