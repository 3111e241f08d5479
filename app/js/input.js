// Mouse, touch, wheel and keyboard → viewer gestures.
// Left button / one finger: the active tool. Right button: window/level. Middle button: pan.
// Wheel: slices (Ctrl/⌘+wheel: zoom). Two fingers: pinch zoom and pan. Keys: arrows/PageUp/PageDown/Home/End
// for slices, I invert, R reset, F fit, ] and [ rotate, H flip, T tags, 1–9 window presets, Delete removes the measurements on this slice.
// With a measuring tool chosen, Enter shows a keyboard cursor: the arrows move it (Shift: ten times as far) and each
// Enter is the next press or release of the tool's gestures, so every measurement can be made without a pointer.
// (The layout's keys — L next layout, S next series, M MPR, Space play, ? help — are the page's, boot.js.)

import { TOOLS, isMeasurement } from "./tools/index.js";

export function attachInput(viewer, element, { getTool, onProbe, onPreset, onTags, annotations, onCrosshair, onRotate } = {}) {
  const pointers = new Map();
  let pinch = null;
  let drag = null;

  element.addEventListener("contextmenu", (e) => e.preventDefault());

  element.addEventListener("pointerdown", (e) => {
    element.focus({ preventScroll: true });
    element.setPointerCapture(e.pointerId);
    pointers.set(e.pointerId, { x: e.clientX, y: e.clientY });
    if (pointers.size === 2) {
      drag = null;
      pinch = pinchState();
      return;
    }
    if (annotations && annotations.awaitingPoint() && (e.pointerType !== "mouse" || e.button === 0)) {
      // the next gesture of the measurement being drawn (an angle's end, a bidirectional's short axis)
      drag = { tool: annotations.draft.kind, x: e.clientX, y: e.clientY, acc: 0 };
      annotations.press(imagePoint(e));
      e.preventDefault();
      return;
    }
    let tool = getTool();
    if (e.pointerType === "mouse") {
      if (e.button === 2) tool = "window_level";
      else if (e.button === 1) tool = "pan";
      else if (e.button !== 0) return;
    }
    drag = { tool, x: e.clientX, y: e.clientY, acc: 0 };
    if (isMeasurement(tool) && annotations) annotations.press(imagePoint(e), tool);
    if (tool === "crosshair" && onCrosshair && !e.shiftKey) onCrosshair(...imagePoint(e));
    e.preventDefault();
  });

  element.addEventListener("pointermove", (e) => {
    const rect = element.getBoundingClientRect();
    if (onProbe && e.pointerType === "mouse") onProbe(e.clientX - rect.left, e.clientY - rect.top);
    if (!pointers.has(e.pointerId)) {
      if (annotations && annotations.awaitingPoint() && !pointers.size) annotations.move(imagePoint(e));
      return;
    }
    pointers.set(e.pointerId, { x: e.clientX, y: e.clientY });
    if (pinch && pointers.size === 2) return doPinch(rect);
    if (!drag) return;
    const dx = e.clientX - drag.x, dy = e.clientY - drag.y;
    drag.x = e.clientX; drag.y = e.clientY;
    if (!dx && !dy) return;
    if (isMeasurement(drag.tool)) { if (annotations) annotations.move(imagePoint(e)); return; }
    switch (drag.tool) {
      case "window_level": viewer.applyTool("window_level", { dx, dy }); break;
      case "pan": panBy(dx, dy); break;
      case "zoom": zoomAt(Math.exp(-dy / 150), rect.width / 2, rect.height / 2); break;
      case "crosshair": // the other planes follow the point; with Shift, a sideways drag turns them (½° per px)
        if (e.shiftKey) { if (onRotate && dx) onRotate(dx / 2); } else if (onCrosshair) onCrosshair(...imagePoint(e));
        break;
      case "scroll": {
        drag.acc += dy;
        const step = Math.trunc(drag.acc / 8);
        if (step) { drag.acc -= step * 8; viewer.applyTool("scroll", { delta: step }); }
        break;
      }
    }
  });

  function imagePoint(e) {
    const rect = element.getBoundingClientRect();
    return viewer.view.toImage(e.clientX - rect.left, e.clientY - rect.top);
  }

  const end = (e) => {
    if (drag && isMeasurement(drag.tool) && annotations && e.type === "pointerup") annotations.release(imagePoint(e));
    pointers.delete(e.pointerId);
    if (pointers.size < 2) pinch = null;
    if (!pointers.size) drag = null;
  };
  element.addEventListener("pointerup", end);
  element.addEventListener("pointercancel", end);

  function pinchState() {
    const [a, b] = [...pointers.values()];
    return { dist: Math.hypot(a.x - b.x, a.y - b.y) || 1, cx: (a.x + b.x) / 2, cy: (a.y + b.y) / 2 };
  }

  function doPinch(rect) {
    const now = pinchState();
    const factor = now.dist / pinch.dist;
    panBy(now.cx - pinch.cx, now.cy - pinch.cy);
    zoomAt(factor, now.cx - rect.left, now.cy - rect.top);
    pinch = now;
  }

  function panBy(dx, dy) {
    const [du, dv] = viewer.view.screenDeltaToImage(dx, dy);
    const [px, py] = viewer.view.pan;
    viewer.camera({ pan: [px - du, py - dv] });
  }

  function zoomAt(factor, sx, sy) {
    const v = viewer.view;
    if (!v.width || !isFinite(factor) || factor <= 0) return;
    const before = v.toImage(sx, sy);
    const z = Math.min(64, Math.max(0.02, v.scale() * factor));
    v.zoom = z;
    const after = v.toImage(sx, sy);
    viewer.camera({ zoom: z, pan: [v.pan[0] + before[0] - after[0], v.pan[1] + before[1] - after[1]] });
  }

  let wheelAcc = 0;
  element.addEventListener("wheel", (e) => {
    e.preventDefault();
    const rect = element.getBoundingClientRect();
    if (e.ctrlKey || e.metaKey) {
      zoomAt(Math.exp(-e.deltaY / 300), e.clientX - rect.left, e.clientY - rect.top);
      return;
    }
    // One notch (100 px or 3 lines) = one slice; trackpads send many small deltas.
    const unit = e.deltaMode === 1 ? 3 : e.deltaMode === 2 ? 1 / 30 : 100;
    wheelAcc += e.deltaY / unit;
    const step = Math.trunc(wheelAcc);
    if (step) { wheelAcc -= step; viewer.applyTool("scroll", { delta: step }); }
  }, { passive: false });

  // ---- the keyboard cursor (annotations.cursor, image coordinates): a measurement without a pointer
  function moveCursor(p) {
    annotations.cursor = p;
    if (annotations.holding()) annotations.move(p);
    annotations.draw();
  }

  function cursorKey(e) {
    const k = e.key, tool = getTool ? getTool() : "", at = annotations.cursor;
    if (k === "Enter" && !e.shiftKey && (isMeasurement(tool) || annotations.draft)) {
      if (!viewer.view.width) return false;
      if (!at) {
        const d = annotations.draft;
        const { w, h } = viewer.view.cssSize(); // the middle of the viewport
        moveCursor(d ? [...d.points[d.points.length - 1]] : viewer.view.toImage(w / 2, h / 2));
        annotations.hint("Keyboard cursor: arrows move it, Shift moves ten times as far, Enter sets a point, Escape stops");
      } else if (annotations.holding()) annotations.release(at); // the end of a drag gesture
      else annotations.press(at, annotations.draft ? null : tool); // a click gesture, or the start of a drag
      annotations.draw();
      return true;
    }
    if (!at) return false;
    const arrows = { ArrowUp: [0, -1], ArrowDown: [0, 1], ArrowLeft: [-1, 0], ArrowRight: [1, 0] };
    if (k in arrows) {
      const step = e.shiftKey ? 20 : 2; // screen pixels, whatever the zoom and rotation
      const [du, dv] = viewer.view.screenDeltaToImage(arrows[k][0] * step, arrows[k][1] * step);
      moveCursor([at[0] + du, at[1] + dv]);
      return true;
    }
    if (k === "Escape") { annotations.cancel(); return true; }
    return false;
  }

  element.addEventListener("keydown", (e) => {
    if (e.altKey || e.ctrlKey || e.metaKey) return;
    if (annotations && cursorKey(e)) { e.preventDefault(); return; }
    const k = e.key;
    const map = { ArrowUp: -1, ArrowLeft: -1, ArrowDown: 1, ArrowRight: 1, PageUp: -10, PageDown: 10 };
    if (k in map) viewer.applyTool("scroll", { delta: map[k] });
    else if (k === "Home") viewer.applyTool("scroll", { to: 0 });
    // Python clamps to the last slice: End works before this viewport has drawn (and learnt the count)
    else if (k === "End") viewer.applyTool("scroll", { to: Number.MAX_SAFE_INTEGER });
    else if (k === "i" || k === "I") viewer.setViewState({ invert: !viewer.state.invert });
    else if (k === "o" || k === "O") viewer.setViewState({ overlays: !viewer.state.overlays });
    else if (k === "f" || k === "F") viewer.setViewState({ zoom: 0, pan: [0, 0] });
    else if (k === "r" || k === "R") viewer.setViewState({ center: null, width: null, invert: false, zoom: 0, pan: [0, 0], rotate: 0, flip: false });
    else if (k === "]") viewer.setViewState({ rotate: (viewer.view.rotate + 90) % 360 });
    else if (k === "[") viewer.setViewState({ rotate: (viewer.view.rotate + 270) % 360 });
    else if (k === "h" || k === "H") viewer.setViewState({ flip: !viewer.view.flip });
    else if ((k === "t" || k === "T") && onTags) onTags();
    else if (/^[1-9]$/.test(k) && onPreset) onPreset(Number(k) - 1);
    else if ((k === "Delete" || k === "Backspace") && annotations) annotations.clearSlice();
    else if (k === "Escape" && annotations && annotations.draft) annotations.cancel();
    else return;
    e.preventDefault();
  });
}
