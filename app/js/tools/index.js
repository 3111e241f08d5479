// The toolbar's tools, registered once each, in toolbar order; the page builds its buttons and shortcuts from them
// (boot.js), the pointer input dispatches on them (input.js), and the measurement layer draws and labels through
// them (annotations.js). A measurement tool's numbers come from Python (venos.tools: the same name, registered
// there). A new measurement tool is one module here and one line below (and one module + one line in Python).
//
// A tool: { name, label, title, kind: "drag" | "measure" | "annotation", hidden (no toolbar button) } and, for measurements,
// gestures: the user's gestures in order ("drag" gives two points, "click" one), area (a box: a flat one is no
// measurement), draw(shape, pts, item) → the SVG nodes and where the text goes, text(result) → its label lines,
// listLabel (the name in the Measures list, when not the button's label).

import { angle } from "./angle.js";
import { bidirectional } from "./bidirectional.js";
import { ellipse, rectangle } from "./region.js";
import { length } from "./length.js";
import { graphic } from "./graphic.js";

export const TOOLS = new Map();

export function registerTool(tool) {
  if (TOOLS.has(tool.name)) throw new Error(`tool ${tool.name} is already registered`);
  TOOLS.set(tool.name, tool);
}

export const isMeasurement = (name) => !!(TOOLS.get(name) && TOOLS.get(name).kind === "measure");
export const pointsOf = (tool) => tool.gestures.reduce((n, g) => n + (g === "drag" ? 2 : 1), 0);

registerTool({ name: "window_level", kind: "drag", label: "W/L", title: "Window/level: drag (also right button)" });
registerTool({ name: "pan", kind: "drag", label: "Pan", title: "Pan: drag (also middle button)" });
registerTool({ name: "zoom", kind: "drag", label: "Zoom", title: "Zoom: drag up/down (also Ctrl+wheel)" });
registerTool({ name: "scroll", kind: "drag", label: "Scroll", title: "Scroll through slices: drag up/down" });
registerTool({ name: "crosshair", kind: "drag", label: "Cross",
  title: "Crosshair: click or drag to bring the other viewports' planes to that point; Shift+drag sideways rotates them (MPR)" });
registerTool(length);
registerTool(angle);
registerTool(ellipse);
registerTool(rectangle);
registerTool(bidirectional);
registerTool(graphic); // hidden: what a presentation state draws (no button)
