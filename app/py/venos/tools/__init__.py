"""Tools, registered once each, in a fixed order (the page builds its toolbar and shortcuts from app/js/tools/).

Two kinds:

* **interactions** — pure functions ``(ViewState, event, Context) → ViewState`` (window/level drag, scroll); the
  camera (zoom, pan, rotate, flip) is JavaScript's alone and never calls Python;
* **measurements** — ``(Measured) → dict``: the slice's attributes, its decoded frame and the points the user
  placed (image pixels, x = column, y = row) in; values with their units and where the spacing came from out.

A new measurement is one module with its function and one :func:`register_measurement` line below (and, on the
page, one module under app/js/tools/ and one line in app/js/tools/index.js).
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable

from ..view.state import ViewState
from . import measure
from .bidirectional import bidirectional
from .basic import scroll, window_level

ToolFn = Callable[..., ViewState]

TOOLS: dict[str, ToolFn] = {}


@dataclass(frozen=True)
class Measured:
    """What a measurement works on."""

    info: Any  # dicom.attrs.ImageInfo of the slice's object
    frame_info: Any  # dicom.attrs.FrameInfo of the slice's frame
    frame: Any  # pixels.store.Frame, or None when the measurement does not need pixels
    points: tuple[tuple[float, float], ...]


@dataclass(frozen=True)
class Measurement:
    name: str
    points: int  # how many points the user places
    pixels: bool  # needs the decoded frame
    fn: Callable[[Measured], dict]


MEASUREMENTS: dict[str, Measurement] = {}


def register_tool(name: str, fn: ToolFn) -> None:
    if name in TOOLS:
        raise ValueError(f"tool {name!r} is already registered")
    TOOLS[name] = fn


def register_measurement(name: str, fn: Callable[[Measured], dict], *, points: int, pixels: bool = False) -> None:
    if name in MEASUREMENTS or name in TOOLS:
        raise ValueError(f"tool {name!r} is already registered")
    MEASUREMENTS[name] = Measurement(name, points, pixels, fn)


def catalogue() -> dict:
    """What is registered, for the page and the docs: interactions and measurements with their point counts."""
    return {"interactions": list(TOOLS),
            "measurements": [{"name": m.name, "points": m.points, "pixels": m.pixels} for m in MEASUREMENTS.values()]}


register_tool("window_level", window_level)
register_tool("scroll", scroll)
register_measurement("length", measure.measure_length, points=2)
register_measurement("angle", measure.measure_angle, points=3)
register_measurement("ellipse", measure.measure_ellipse, points=2, pixels=True)
register_measurement("rectangle", measure.measure_rectangle, points=2, pixels=True)
register_measurement("bidirectional", bidirectional, points=4)
