// A viewport's overlay: the four corners (patient and study, series and plane, slice and pixel spacing, window and
// zoom), the lossy warning and the patient-orientation letters at the edges. Text only (textContent): every string
// comes from a file.

const EDGES = ["left", "right", "top", "bottom"];

/** A number as the overlay shows it: whole above 100, one decimal above 10, else two. */
export function fmt(v) { return Number.isInteger(v) || Math.abs(v) >= 100 ? v.toFixed(0) : v.toFixed(Math.abs(v) >= 10 ? 1 : 2); }

/** Paint `o` (a render's meta.overlay) into `pane`'s corners and edges (app/js/layout.js Pane). */
export function paintCorners(pane, o) {
  const v = pane.viewer;
  const ov = pane.ov;
  ov.tl.textContent = [o.patientName, o.patientId, o.studyDate, o.studyDescription].filter(Boolean).join("\n");
  ov.tr.textContent = [o.modality, o.seriesDescription, o.seriesNumber != null ? `Series ${o.seriesNumber}` : "",
    o.plane || "", ...(o.notes || [])].filter(Boolean).join("\n");
  const spacing = o.pixelSpacing ? `Pixel ${o.pixelSpacing[1].toFixed(3)}×${o.pixelSpacing[0].toFixed(3)} mm (${o.spacingSource})`
    : o.usCalibration ? `Pixel ${o.usCalibration[1].toFixed(3)}×${o.usCalibration[0].toFixed(3)} mm in the ultrasound region`
      : "Pixel spacing unknown";
  ov.bl.textContent = [`Slice ${o.slice} / ${o.slices}`, o.frames > 1 ? `Frame ${o.frame} / ${o.frames}` : "", spacing, pane.note]
    .filter(Boolean).join("\n");
  const wl = o.voiLut ? `VOI LUT: ${o.voiLut}` : o.center != null ? `W ${fmt(o.width)}  L ${fmt(o.center)}${o.units ? " " + o.units : ""}` : "";
  ov.br.textContent = [wl, `Zoom ${(v.view.scale() * 100).toFixed(0)}%`, v.state.invert ? "Inverted" : ""].filter(Boolean).join("\n");
  ov.lossy.textContent = o.lossy || ""; // the pixels are not the original ones: always said
  // Patient orientation at the image edges (letters from the plane's directions, see view/orientation.py)
  const edges = o.orientation || {};
  const shown = v.view.edges(); // rotation and flip move the stored image's edges around the screen
  for (const side of EDGES) ov[side].textContent = edges[shown[side]] || "";
}

export function clearOverlay(pane) {
  for (const k of ["tl", "tr", "lossy", "bl", "br", "probe", ...EDGES]) pane.ov[k].textContent = "";
}
