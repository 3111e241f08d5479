"""Interaction tools. Each takes a ViewState, an event and the context it needs, and returns a new ViewState.

Registered in one place (:data:`TOOLS`, filled below in a fixed order) so the UI can list what exists.
"""
from __future__ import annotations

from typing import Callable

from ..view.state import ViewState
from .basic import scroll, window_level, zoom

ToolFn = Callable[..., ViewState]

TOOLS: dict[str, ToolFn] = {}


def register_tool(name: str, fn: ToolFn) -> None:
    if name in TOOLS:
        raise ValueError(f"tool {name!r} is already registered")
    TOOLS[name] = fn


register_tool("window_level", window_level)
register_tool("scroll", scroll)
register_tool("zoom", zoom)
