"""Decoded frames, cached under a byte budget with least-recently-used eviction.

A frame is decoded once and kept while it fits; when the budget is exceeded the least recently used frames are
dropped and decoded again from the retained dataset if they are needed later.
"""
from __future__ import annotations

from collections import OrderedDict
from typing import Callable, Hashable

import numpy as np

DEFAULT_BUDGET = 1536 * 1024 * 1024  # bytes; a wasm32 heap tops out at 4 GiB


class FrameCache:
    def __init__(self, budget: int = DEFAULT_BUDGET) -> None:
        self.budget = budget
        self._items: OrderedDict[Hashable, np.ndarray] = OrderedDict()
        self.nbytes = 0
        self.hits = 0
        self.misses = 0
        self.evictions = 0

    def __contains__(self, key: Hashable) -> bool:
        return key in self._items

    def __len__(self) -> int:
        return len(self._items)

    def get(self, key: Hashable, make: Callable[[], np.ndarray]) -> np.ndarray:
        arr = self._items.get(key)
        if arr is not None:
            self.hits += 1
            self._items.move_to_end(key)
            return arr
        self.misses += 1
        arr = make()
        self.put(key, arr)
        return arr

    def put(self, key: Hashable, arr: np.ndarray) -> None:
        old = self._items.pop(key, None)
        if old is not None:
            self.nbytes -= old.nbytes
        self._items[key] = arr
        self.nbytes += arr.nbytes
        while self.nbytes > self.budget and len(self._items) > 1:
            _, dropped = self._items.popitem(last=False)
            self.nbytes -= dropped.nbytes
            self.evictions += 1

    def set_budget(self, budget: int) -> None:
        """A new share of the memory budget: least recently used frames go at once until the rest fits (the one
        being shown stays, as in put)."""
        self.budget = max(int(budget), 0)
        while self.nbytes > self.budget and len(self._items) > 1:
            _, dropped = self._items.popitem(last=False)
            self.nbytes -= dropped.nbytes
            self.evictions += 1

    def drop(self, predicate: Callable[[Hashable], bool]) -> None:
        for key in [k for k in self._items if predicate(k)]:
            self.nbytes -= self._items.pop(key).nbytes

    def clear(self) -> None:
        self._items.clear()
        self.nbytes = 0

    def stats(self) -> dict:
        return {"frames": len(self._items), "bytes": self.nbytes, "budget": self.budget, "hits": self.hits,
                "misses": self.misses, "evictions": self.evictions}
