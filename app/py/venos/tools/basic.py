"""Window/level drag and slice scroll: pure functions of (state, event, context) → state. (Zoom, pan, rotation and
flip are the camera's: JavaScript applies them without Python.)"""
from __future__ import annotations

from dataclasses import dataclass

from ..view.state import ViewState


@dataclass(frozen=True)
class Context:
    slices: int  # slices in the current series
    value_span: float  # hi − lo of the data in modality units (for drag sensitivity)
    center: float  # current effective window (defaults resolved)
    width: float


def window_level(state: ViewState, event: dict, ctx: Context) -> ViewState:
    """Drag right widens the window, drag down raises the centre (darker), as in most PACS viewers.

    Sensitivity: a drag across 512 screen pixels sweeps the full data range (at least one unit per pixel)."""
    per_px = max(ctx.value_span / 512.0, 1.0 if ctx.value_span > 16 else ctx.value_span / 512.0 or 1e-3)
    dx, dy = float(event.get("dx", 0.0)), float(event.get("dy", 0.0))
    width = max(ctx.width + dx * per_px, 1.0 if ctx.value_span > 16 else 1e-3)
    center = ctx.center + dy * per_px
    return state.with_(center=center, width=width)


def scroll(state: ViewState, event: dict, ctx: Context) -> ViewState:
    if ctx.slices <= 0:
        return state
    if "to" in event:
        target = int(event["to"])
    else:
        target = state.slice + int(event.get("delta", 0))
    return state.with_(slice=min(max(target, 0), ctx.slices - 1))
