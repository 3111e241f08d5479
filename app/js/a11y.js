// Accessibility helpers: a live region that says what changed on screen (the slice, the window, each measurement's
// result), the keyboard help (the ? key, or the ? button), and the file pickers reachable by keyboard. Text only.

import { el, makeDialog } from "./cloud/dom.js";
import { TOOLS } from "./tools/index.js";
import { label } from "./annotations.js";

/** Every shortcut, as the help lists them (input.js and boot.js implement them). */
export const SHORTCUTS = [
  ["↑ ↓ ← →, Page Up/Down, Home/End, wheel", "previous / next slice, 10 slices, first / last"],
  ["Space", "play the slices as a loop, or stop"],
  ["1 – 9", "window presets (the file's windows first)"],
  ["I", "invert grey levels"], ["O", "overlay planes on or off"],
  ["F", "fit the image to the viewport"], ["R", "reset window, zoom, pan, rotation"],
  ["] and [", "rotate 90° clockwise / back"], ["H", "flip left–right"],
  ["Ctrl + wheel, pinch", "zoom"], ["right button drag", "window / level"], ["middle button drag", "pan"],
  ["T", "the DICOM elements of this slice"],
  ["Enter (a measuring tool chosen)", "keyboard cursor; Enter again sets each point, arrows move it (Shift: ×10)"],
  ["Delete", "remove the measurements on this slice"], ["Escape", "abandon the measurement being drawn"],
  ["L, Shift + L", "next / previous layout of viewports"], ["Tab", "next viewport (it becomes the active one)"],
  ["S, Shift + S", "next / previous series in this viewport"],
  ["M", "MPR: axial, coronal and sagittal planes"],
  ["Shift + drag (Cross tool)", "rotate the MPR crosshair"],
  ["`", "the Python console"],
  ["?", "this help"],
];

/** Announce, politely, the active viewport's slice and window and every measurement, in `region`. */
export function installAnnouncer(layout, events, region) {
  let last = { slice: "", window: "" };
  let timer = 0;
  const say = (text) => {
    clearTimeout(timer); // a measurement or a hint said now is not overwritten by a slice's pending announcement
    region.textContent = "";
    // a fresh text node after a frame, so screen readers announce it even when it repeats
    requestAnimationFrame(() => { region.textContent = text; });
  };
  layout.addEventListener("rendered", (e) => {
    const d = e.detail;
    if (d.cameraOnly || d.viewport !== layout.activeIndex || !d.meta || !d.meta.overlay) return;
    const o = d.meta.overlay;
    const slice = `${o.plane ? o.plane + ", " : ""}slice ${o.slice} of ${o.slices}`;
    const win = o.center != null ? `window ${Math.round(o.width)}, level ${Math.round(o.center)}${o.units ? " " + o.units : ""}` : "";
    const parts = [];
    if (slice !== last.slice) parts.push(slice);
    if (win && win !== last.window) parts.push(win);
    last = { slice, window: win };
    if (!parts.length) return;
    clearTimeout(timer); // a scroll or a drag says where it ended, not every step
    timer = setTimeout(() => { timer = 0; say(parts.join("; ")); }, 300);
  });
  events.addEventListener("measurement", (e) => {
    const m = e.detail;
    const tool = TOOLS.get(m.kind);
    say(`${tool ? tool.listLabel || tool.label : m.kind}: ${label({ kind: m.kind, result: m }).join(", ")}`);
  });
  events.addEventListener("hint", (e) => say(e.detail.text));
  events.addEventListener("cleared", () => { last = { slice: "", window: "" }; });
}

/** The keyboard help: a dialog listing SHORTCUTS, opened by `button` or the ? key anywhere but a text field. */
export function installHelp(button) {
  const dlg = makeDialog("help-dialog", "Keyboard shortcuts");
  const rows = SHORTCUTS.map(([k, what]) => el("tr", {}, el("th", { scope: "row", class: "mono", text: k }), el("td", { text: what })));
  dlg.body.append(el("table", { class: "tags-table", id: "help-table" },
    el("thead", {}, el("tr", {}, el("th", { scope: "col", text: "Key" }), el("th", { scope: "col", text: "Does" }))),
    el("tbody", {}, ...rows)));
  const open = () => { if (!dlg.dialog.open) dlg.dialog.showModal(); };
  button.addEventListener("click", open);
  document.addEventListener("keydown", (e) => {
    if (e.key !== "?" || e.ctrlKey || e.metaKey || e.altKey) return;
    const t = e.target;
    if (t instanceof HTMLElement && (t.isContentEditable || /^(INPUT|TEXTAREA|SELECT)$/.test(t.tagName))) return;
    e.preventDefault();
    open();
  });
  return { open, dialog: dlg.dialog };
}

/** The Files and Folder pickers are labels around hidden inputs: make them reachable and usable by keyboard. */
export function keyboardPickers(labels) {
  for (const lab of labels) {
    const input = lab.querySelector("input[type=file]");
    if (!input) continue;
    lab.tabIndex = 0;
    lab.setAttribute("role", "button");
    lab.addEventListener("keydown", (e) => {
      if (e.key !== "Enter" && e.key !== " ") return;
      e.preventDefault();
      input.click();
    });
  }
}
