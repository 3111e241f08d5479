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
    this.rotate = 0; // 0, 90, 180 or 270: degrees clockwise on screen
    this.flip = false; // mirrored left-right (applied before the rotation)
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
    const [dw, dh] = this.rotate % 180 ? [this.height * this.aspect, this.width] : [this.width, this.height * this.aspect];
    return Math.min(w / dw, h / dh);
  }

  /** Offsets from the view centre, in image-width units (u across, v down the image) → on screen, and back. */
  _turn(u, v) {
    if (this.flip) u = -u;
    switch (this.rotate) {
      case 90: return [-v, u];
      case 180: return [-u, -v];
      case 270: return [v, -u];
      default: return [u, v];
    }
  }

  _unturn(x, y) {
    let u, v;
    switch (this.rotate) {
      case 90: [u, v] = [y, -x]; break;
      case 180: [u, v] = [-x, -y]; break;
      case 270: [u, v] = [-y, x]; break;
      default: [u, v] = [x, y];
    }
    return [this.flip ? -u : u, v];
  }

  /** A screen movement (CSS px) as a movement in image pixels. */
  screenDeltaToImage(dx, dy) {
    const s = this.scale();
    const [u, v] = this._unturn(dx / s, dy / s);
    return [u, v / this.aspect];
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
    const [du, dv] = this.screenDeltaToImage(sx - w / 2, sy - h / 2);
    return [du + this.width / 2 + this.pan[0], dv + this.height / 2 + this.pan[1]];
  }

  /** Image pixel coordinates → screen (CSS px). */
  toScreen(ix, iy) {
    const { w, h } = this.cssSize();
    const s = this.scale();
    const [x, y] = this._turn(ix - this.width / 2 - this.pan[0], (iy - this.height / 2 - this.pan[1]) * this.aspect);
    return [x * s + w / 2, y * s + h / 2];
  }

  /** Which edge of the stored image shows at each edge of the screen. */
  edges() {
    let e = { left: "left", right: "right", top: "top", bottom: "bottom" };
    if (this.flip) e = { ...e, left: e.right, right: e.left };
    for (let r = 0; r < this.rotate; r += 90) e = { top: e.left, right: e.top, bottom: e.right, left: e.bottom };
    return e;
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
      // image pixel → centred on the pan point → pixel aspect → mirror → rotation → zoom → viewport centre
      ctx.setTransform(dpr, 0, 0, dpr, dpr * w / 2, dpr * h / 2);
      ctx.scale(s, s);
      ctx.rotate((this.rotate * Math.PI) / 180);
      if (this.flip) ctx.scale(-1, 1);
      ctx.scale(1, this.aspect);
      ctx.translate(-(this.width / 2 + this.pan[0]), -(this.height / 2 + this.pan[1]));
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
