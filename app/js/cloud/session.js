// The case the page has open from elsewhere: opens it (cancelling the previous one), shows its series as soon
// as metadata names them, restores a shared view, and makes the link that reopens the same view.

import { buildLink, focusOf, toSpec } from "./link.js";

export class CloudSession {
  /** `layout` (app/js/layout.js): the viewports beyond the first, restored from and kept in links. */
  constructor(viewer, layout = null) {
    this.viewer = viewer;
    this.layout = layout;
    this.spec = null; // what is open, as a link would say it (no token)
    this.view = null; // a view waiting for its series to exist
    this.localToo = false; // files were added by hand: a link cannot carry them
    this._opening = 0;
    viewer.client.on("case", (d) => this._onCase(d));
    viewer.addEventListener("loadstart", () => { if (!this._opening) this.localToo = true; });
  }

  /** Open a share link, a manifest address or a spec; resolves with the load summary when all is fetched. */
  async open(input, { options = null } = {}) {
    const { spec, view } = toSpec(input, location.href);
    const v = this.viewer;
    await v.ready;
    const focus = focusOf(view);
    await v.clear();
    return this._follow(spec, view, () => v.client.call("openCase", { spec, focus, options }));
  }

  /** Take over the case start.js requested from the page's address before the UI had loaded. */
  adopt(started) {
    return this._follow(started.spec, started.view, () => started.summary);
  }

  async _follow(spec, view, request) {
    const v = this.viewer;
    this._opening++;
    const t0 = performance.now();
    try {
      this.spec = spec;
      this.view = view;
      this.localToo = false;
      v.dispatchEvent(new CustomEvent("loadstart", { detail: { total: 0, remote: true } }));
      let summary;
      try {
        summary = await request();
      } catch (e) {
        if (this.spec === spec) this.spec = null;
        v.dispatchEvent(new CustomEvent("error", { detail: { code: e.code || "source", message: e.message, source: e.source || "" } }));
        v.dispatchEvent(new CustomEvent("loadend", { detail: { total: 0, loaded: 0, failed: 1, ms: performance.now() - t0 } }));
        throw e;
      }
      if (summary.cancelled) return summary;
      await v.client.call("settle");
      await v.refreshSeries();
      if (this.view) await this._applyView(); // a list of URLs: series exist only now
      // the link's measurements, measured again on the pixels now that their images are here
      if (view && view.measurements && view.measurements.length && this.measurements) {
        await this.measurements.place(view.measurements).catch((e) => console.warn("link measurements:", e.message || e));
      }
      v.dispatchEvent(new CustomEvent("loadend", { detail: summary }));
      return summary;
    } finally {
      this._opening--;
    }
  }

  cancel() { return this.viewer.client.call("cancelCase"); }

  async _onCase(d) {
    const v = this.viewer;
    await v.refreshSeries();
    if (this.view && await this._applyView()) return;
    if (d.focus && !v.state.series) await v.setViewState({ series: d.focus.series, slice: d.focus.slice });
  }

  async _applyView() {
    const view = this.view;
    const patch = this._patch(view);
    if (!patch) return false;
    this.view = null;
    const lay = this.layout;
    if (view.layout && lay) {
      await lay.setLayout(view.layout, { fill: false });
      lay.setSync(view.sync || {});
      if (view.referenceLines) lay.setReferenceLines(view.referenceLines);
    }
    await this.viewer.setViewState(patch);
    if (view.layout && lay) {
      await Promise.all((view.viewports || []).slice(0, lay.count - 1).map((w, i) => {
        const p = w && this._patch(w);
        return p ? lay.panes[i + 1].viewer.setViewState(p) : null;
      }));
      if (view.active) lay.activate(Math.min(view.active, lay.count - 1));
    }
    return true;
  }

  /** A view from a link as a view-state patch, its series found by UID (null when it is not loaded). */
  _patch(view) {
    const list = this.viewer.seriesList;
    const same = list.filter((s) => s.seriesUid === view.seriesUid);
    const s = view.seriesUid ? same[Math.min(same.length - 1, view.set || 0)] : list[0];
    if (!s) return null;
    const patch = { series: s.id };
    for (const k of ["slice", "center", "width", "invert", "voiFunction", "zoom", "pan", "rotate", "flip", "plane", "angle", "slab", "slabMode"]) {
      if (view[k] !== undefined) patch[k] = view[k];
    }
    return patch;
  }

  /** The link that reopens this case at this view, or null (nothing remote open, or local files mixed in). */
  link() {
    if (!this.spec || this.localToo) return null;
    const view = this._view(this.viewer);
    const lay = this.layout;
    if (lay && lay.count > 1) {
      const d = lay.describe();
      Object.assign(view, { layout: d.layout, active: d.active, sync: d.sync, referenceLines: d.referenceLines,
        viewports: lay.visible.slice(1).map((p) => (p.viewer.state.series ? this._view(p.viewer) : null)) });
    }
    if (this.measurements) view.measurements = this.measurements.list();
    return buildLink(location.href, this.spec, view);
  }

  /** One viewport's view as a link says it: its series by UID (and which display set of that UID). */
  _view(v) {
    const st = v.viewState();
    const list = this.viewer.seriesList;
    const s = list.find((x) => x.id === st.series);
    const view = { slice: st.slice, center: st.center, width: st.width, invert: st.invert, voiFunction: st.voiFunction,
      zoom: st.zoom, pan: st.pan, rotate: st.rotate, flip: st.flip, plane: st.plane, angle: st.angle, slab: st.slab, slabMode: st.slabMode };
    const shown = !st.plane && v.meta && v.meta.overlay; // a reformatted image is no one file
    if (shown && shown.sopInstanceUid) view.sop = shown.sopInstanceUid;
    if (s) {
      view.seriesUid = s.seriesUid;
      const same = list.filter((x) => x.seriesUid === s.seriesUid);
      view.set = same.indexOf(s);
    }
    return view;
  }
}
