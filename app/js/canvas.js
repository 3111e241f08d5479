// Draws the RGBA frame from Python onto the visible canvas through the camera (zoom, pan). A camera change
// only redraws the cached bitmap; it never calls Python. Non-square pixels (row spacing ≠ column spacing, or a
// Pixel Aspect Ratio) are drawn with their true proportions: `aspect` = displayed height / width of one pixel.

export class ViewportCanvas {
  constructor(canvas) {
    this.canvas = canvas;
    this.ctx = canvas.getContext("2d", { alpha: false });
    this.image = document.createElement("canvas"); // native-resolution frame
    this.imageCtx = this.image.getContext("2d");
    this.width = 0;
    this.height = 0;
    this.rgba = null; // last frame, Uint8ClampedArray
    this.aspect = 1; // height / width of one pixel on screen
    this.zoom = 0; // 0 = fit
    this.pan = [0, 0];
    this._raf = 0;
    this._onDrawn = [];
    this.onDraw = null; // called after every paint (overlays that follow the camera)
    new ResizeObserver(() => this.requestDraw()).observe(canvas);
  }

  setFrame(rgba, width, height, aspect = 1) {
    this.aspect = aspect > 0 && isFinite(aspect) ? aspect : 1;
    if (this.image.width !== width || this.image.height !== height) {
      this.image.width = width;
      this.image.height = height;
    }
    this.width = width;
    this.height = height;
    this.rgba = rgba;
    this.imageCtx.putImageData(new ImageData(rgba, width, height), 0, 0);
  }

  clear() {
    this.rgba = null;
    this.width = this.height = 0;
    this.requestDraw();
  }

  fitScale() {
    if (!this.width) return 1;
    const { w, h } = this.cssSize();
    return Math.min(w / this.width, h / (this.height * this.aspect));
  }

  scale() {
    return this.zoom > 0 ? this.zoom : this.fitScale();
  }

  cssSize() {
    return { w: Math.max(1, this.canvas.clientWidth), h: Math.max(1, this.canvas.clientHeight) };
  }

  /** Screen (CSS px relative to the canvas) → image pixel coordinates. */
  toImage(sx, sy) {
    const { w, h } = this.cssSize();
    const s = this.scale();
    return [(sx - w / 2) / s + this.width / 2 + this.pan[0], (sy - h / 2) / (s * this.aspect) + this.height / 2 + this.pan[1]];
  }

  /** Image pixel coordinates → screen (CSS px). */
  toScreen(ix, iy) {
    const { w, h } = this.cssSize();
    const s = this.scale();
    return [(ix - this.width / 2 - this.pan[0]) * s + w / 2, (iy - this.height / 2 - this.pan[1]) * s * this.aspect + h / 2];
  }

  /** Resolve after the next paint that includes everything set so far. */
  requestDraw() {
    const p = new Promise((resolve) => this._onDrawn.push(resolve));
    if (!this._raf) this._raf = requestAnimationFrame(() => this._draw());
    return p;
  }

  _draw() {
    this._raf = 0;
    const dpr = window.devicePixelRatio || 1;
    const { w, h } = this.cssSize();
    const bw = Math.round(w * dpr), bh = Math.round(h * dpr);
    if (this.canvas.width !== bw || this.canvas.height !== bh) {
      this.canvas.width = bw;
      this.canvas.height = bh;
    }
    const ctx = this.ctx;
    ctx.setTransform(1, 0, 0, 1, 0, 0);
    ctx.fillStyle = "#000";
    ctx.fillRect(0, 0, bw, bh);
    if (this.width) {
      const s = this.scale();
      const sy = s * this.aspect;
      ctx.setTransform(dpr * s, 0, 0, dpr * sy, dpr * (w / 2 - (this.width / 2 + this.pan[0]) * s),
        dpr * (h / 2 - (this.height / 2 + this.pan[1]) * sy));
      ctx.imageSmoothingEnabled = s < 4;
      ctx.imageSmoothingQuality = "high";
      ctx.drawImage(this.image, 0, 0);
    }
    if (this.onDraw) this.onDraw();
    const cbs = this._onDrawn;
    this._onDrawn = [];
    for (const cb of cbs) cb();
  }
}
