// The reading kept and the case shared: measurement reports (./reports.js), presentation states
// (./presentations.js), the Share dialog (./share.js), wired together, with their members of window.venos.

import { blackoutRectangles, exportCase, installShare, stowCase } from "./share.js";
import { installReports } from "./reports.js";
import { installPresentations } from "./presentations.js";

export function installCasework({ client, viewer, annotations, layout, active, shareButton }) {
  const redraw = () => { for (const p of layout.panes) p.annotations.draw(); };
  const say = (t) => annotations.hint(t);
  const reports = installReports({ client, viewer, annotations, redraw, say });
  const presentations = installPresentations({ client, viewer, annotations, active, redraw, say });
  const share = installShare({ client, annotations, button: shareButton, measurements: () => reports.items() });
  /** `measurements: true` in an export's options: the measurement layer's, as a DICOM SR in the case. */
  const withMeasurements = (o) => ({ ...(o || {}), ...(o && o.measurements === true ? { measurements: reports.items() } : {}) });
  return {
    reports,
    // what a share link carries of the measurements, and puts back (cloud/session.js)
    linkMeasurements: { list: () => reports.linkable(), place: (list) => reports.placeLinked(list) },
    api: {
      // DICOM SR Measurement Report: the measurements as a file → {blob, name, saved, notSaved}; loaded reports placed
      saveReport: () => reports.save(),
      reports: () => reports.place(), // → {items, waiting, unshown, reports}
      // presentation states (GSPS) loaded: applied as their images arrive → [{uid, label, views, graphics, unsupported, …}]
      presentations: () => presentations.apply(),
      // share a case: the loaded series as a zip for a static host, de-identified if asked → {blob, files, report, …}
      exportCase: (opts) => exportCase(client, withMeasurements(opts)),
      stowCase: (root, opts) => stowCase(client, root, withMeasurements(opts)), // → {..., stow: {stored, failed, requests}, links}
      shareSurvey: () => client.call("shareSurvey"),
      share: Object.freeze({ open: () => share.open(), blackoutRectangles: () => blackoutRectangles(annotations) }),
    },
  };
}
