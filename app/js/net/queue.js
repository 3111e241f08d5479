// Prioritised, bounded, adaptive fetching: the file the user looks at first, then a full link.
//
// A link's bandwidth is shared by the requests on it. With six in flight from the start, the slice the user waits
// for arrives after ~6 slice-times (why peers show their first image after 1.3–1.5 s on 20 Mbit/s). So the best
// job goes alone, to its end. Then the link is filled: a throttled link (a real one with its per-connection
// windows, and Chrome's emulation, which loses time per request and per read) gives one flow ~85% of its
// bandwidth, two ~90%, four ~98%, six ~98.6% (measured, bench/remote.py), so `minConcurrency` flows are kept; past
// that a request is added only when the bytes still to come would drain within about one time-to-first-byte,
// i.e. just before the link would idle (on localhost that is always, up to `maxConcurrency`). Which job is "best"
// is decided when it starts, and setPriority re-ranks at any time, so scrolling re-orders what still waits.

import { explainHttp, explainNetworkFailure, NetError } from "./errors.js";

export const DEFAULTS = Object.freeze({
  maxConcurrency: 6, // browsers open 6 connections per HTTP/1.1 host; more only queue inside the browser
  minConcurrency: 6, // after the first file: throttled links (and Chrome's emulation) lose time per request and per
  // read; several flows hide it (measured at 20 Mbit/s, 40 ms: 2 → 90%, 4 → 98%, 6 → 98.6% of the link)
  retries: 3, // network errors, 5xx, 408, 429 and stalls are retried; 4xx are not
  backoffMs: 250, // first retry delay; doubled each time, ±50% jitter, or the server's Retry-After
  stallMs: 20000, // no byte for this long: abort and retry (then report a timeout)
  leadMs: 15, // start the next request this much before the link would idle, on top of the measured TTFB
});

/** Bytes per millisecond delivered by the link while it is busy: bytes of the last WINDOW ms over the time
 * covered. (Per-chunk gaps overestimate: throttled links deliver in bursts.) */
const WINDOW = 400;
class RateMeter {
  constructor() { this.samples = []; this.busySince = 0; this.last = -1e9; this.rate = 0; }
  add(n, now) {
    if (now - this.last > 250) { this.samples.length = 0; this.busySince = now; } // idle before: start afresh
    this.last = now;
    this.samples.push([now, n]);
    while (this.samples.length && this.samples[0][0] < now - WINDOW) this.samples.shift();
    let bytes = 0;
    for (const [, b] of this.samples) bytes += b;
    const span = Math.min(WINDOW, now - this.busySince);
    // The first chunks alone say little (throttled links deliver in bursts): wait for 100 ms of data.
    if (span >= 100) this.rate = bytes / span;
  }
}

export class FetchQueue {
  /**
   * @param {object} o
   * @param {(job, result) => void} o.onDone result: {buf: ArrayBuffer, contentType, bytes, fromCache}
   * @param {(job, error) => void} o.onFail error: {code, message, status?}
   * @param {() => object} [o.headers] request headers for every job (e.g. Authorization), read at start time
   * @param {ByteCache} [o.cache]
   */
  constructor({ onDone, onFail, onProgress, headers, cache, ...options } = {}) {
    this.opts = { ...DEFAULTS, ...clean(options) };
    this.onDone = onDone; this.onFail = onFail; this.onProgress = onProgress || (() => {});
    this.headers = headers || (() => ({}));
    this.cache = cache || null;
    this.waiting = [];
    this.active = new Set();
    this.abort = new AbortController();
    this.rank = (job) => job.order;
    this.meter = new RateMeter();
    this.ttfb = 0; // ms, moving average of request → response headers
    this.sizeAvg = 0; // bytes, moving average of completed bodies
    this.completed = 0; this.failed = 0; this.bytes = 0; this.cachedBytes = 0; this.retried = 0;
    this.maxActive = 0;
    this.trace = []; // [start, headers, end, bytes, activeAtStart] per request (ms since the queue was made)
    this.t0 = performance.now();
    this._timer = 0;
    this.closed = false;
  }

  /** Queue jobs ({url, accept, order, ...anything}); cached ones complete at once, best-ranked first. */
  add(jobs) {
    const hits = [];
    for (const job of jobs) {
      const hit = this.cache && this.cache.get(cacheKey(job));
      if (hit) hits.push([job, hit]);
      else this.waiting.push({ ...job, attempt: 0, notBefore: 0 });
    }
    hits.sort((a, b) => this.rank(a[0]) - this.rank(b[0]));
    for (const [job, hit] of hits) {
      this.cachedBytes += hit.buf.byteLength;
      this.completed++;
      this.onDone(job, { buf: hit.buf, contentType: hit.contentType, bytes: hit.buf.byteLength, fromCache: true });
    }
    this._pump();
  }

  /** Re-rank what has not started yet: lower first. */
  setPriority(rank) {
    this.rank = rank;
    this._pump();
  }

  get idle() { return !this.waiting.length && !this.active.size; }

  cancel() {
    this.closed = true;
    this.waiting.length = 0;
    this.abort.abort();
    clearTimeout(this._timer);
  }

  stats() {
    return {
      completed: this.completed, failed: this.failed, bytes: this.bytes, cachedBytes: this.cachedBytes,
      active: this.active.size, waiting: this.waiting.length, retried: this.retried, maxActive: this.maxActive,
      rateMBps: +(this.meter.rate / 1000).toFixed(3), ttfbMs: Math.round(this.ttfb), options: { ...this.opts },
      trace: this.trace.slice(0, 2000),
    };
  }

  // ------------------------------------------------------------------------------------------------ scheduling
  _pump() {
    if (this.closed) return;
    const now = performance.now();
    while (this.waiting.length && this.active.size < this.opts.maxConcurrency) {
      // The first file goes alone, to its end: it is what the user waits for, and a throttled link delivers the
      // first bytes of a response in bursts that make any earlier "it is nearly done" estimate wrong.
      if (this.completed === 0 && this.active.size >= 1) break;
      if (this.active.size >= this.opts.minConcurrency && !this._linkWillIdle()) break;
      const i = this._best(now);
      if (i < 0) break;
      const job = this.waiting[i];
      this.waiting[i] = this.waiting[this.waiting.length - 1];
      this.waiting.pop();
      this._start(job);
    }
    this.maxActive = Math.max(this.maxActive, this.active.size);
    // Re-check soon while anything is pending: backoffs expire, and drain estimates change between chunks.
    clearTimeout(this._timer);
    if (this.waiting.length) this._timer = setTimeout(() => this._pump(), this.active.size ? 20 : this._nextWake(now));
  }

  _best(now) {
    let best = -1, bestRank = Infinity;
    for (let i = 0; i < this.waiting.length; i++) {
      const job = this.waiting[i];
      if (job.notBefore > now) continue;
      const r = this.rank(job);
      if (r < bestRank) { bestRank = r; best = i; }
    }
    return best;
  }

  _nextWake(now) {
    let t = Infinity;
    for (const j of this.waiting) t = Math.min(t, j.notBefore);
    return Math.max(5, Math.min(1000, t - now));
  }

  /** Would the link fall idle before a request started now sends its first byte? */
  _linkWillIdle() {
    let rate = this.meter.rate;
    if (!rate) return false; // nothing measured yet: let the first response speak first
    if (this.active.size === 1) { // alone: trust no burst above its own average since its headers
      const [a] = this.active;
      const t = performance.now() - (a.tHeaders || performance.now());
      if (t < 100) return false;
      rate = Math.min(rate, a.received / t);
    }
    let remaining = 0;
    const guess = this.sizeAvg || 256 * 1024;
    for (const a of this.active) remaining += Math.max(0, (a.expected || guess) - a.received);
    return remaining / rate <= (this.ttfb || 50) + this.opts.leadMs;
  }

  // ------------------------------------------------------------------------------------------------ one request
  async _start(job) {
    const rec = { job, received: 0, expected: 0, t0: performance.now(), last: performance.now(), ctrl: new AbortController() };
    const tr = [Math.round(rec.t0 - this.t0), 0, 0, 0, this.active.size];
    if (this.trace.length < 2000) this.trace.push(tr);
    this.active.add(rec);
    const onCancel = () => rec.ctrl.abort();
    this.abort.signal.addEventListener("abort", onCancel);
    const watchdog = setInterval(() => {
      if (performance.now() - rec.last > this.opts.stallMs) { rec.stalled = true; rec.ctrl.abort(); }
    }, Math.min(1000, this.opts.stallMs / 2));
    let sentAuth = false;
    try {
      const headers = { ...this.headers() };
      sentAuth = "Authorization" in headers;
      if (job.accept) headers.Accept = job.accept;
      const resp = await fetch(job.url, { signal: rec.ctrl.signal, headers, mode: "cors", credentials: "omit" });
      const now = performance.now();
      this.ttfb = this.ttfb ? this.ttfb * 0.8 + (now - rec.t0) * 0.2 : now - rec.t0;
      rec.last = now;
      tr[1] = Math.round(now - this.t0);
      rec.tHeaders = now;
      if (!resp.ok) throw explainHttp(resp, job.url);
      const encoded = resp.headers.get("content-encoding");
      const declared = Number(resp.headers.get("content-length")) || 0;
      rec.expected = encoded && encoded !== "identity" ? 0 : declared;
      const buf = await this._readBody(resp, rec);
      const contentType = resp.headers.get("content-type") || "";
      this.sizeAvg = this.sizeAvg ? this.sizeAvg * 0.8 + buf.byteLength * 0.2 : buf.byteLength;
      if (this.cache) this.cache.put(cacheKey(job), { buf, contentType });
      this.completed++;
      this.active.delete(rec);
      tr[2] = Math.round(performance.now() - this.t0); tr[3] = buf.byteLength;
      this.onDone(job, { buf, contentType, bytes: buf.byteLength, fromCache: false, ms: performance.now() - rec.t0 });
    } catch (e) {
      this.active.delete(rec);
      if (this.closed) return;
      await this._failed(job, rec, e, sentAuth);
    } finally {
      clearInterval(watchdog);
      this.abort.signal.removeEventListener("abort", onCancel);
      this.active.delete(rec);
      this._pump();
    }
  }

  async _readBody(resp, rec) {
    if (!resp.body) return await resp.arrayBuffer();
    const reader = resp.body.getReader();
    let out = rec.expected ? new Uint8Array(rec.expected) : null;
    const chunks = [];
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      const now = performance.now();
      rec.last = now;
      if (out && rec.received + value.length <= out.length) out.set(value, rec.received);
      else {
        if (out) { chunks.push(out.subarray(0, rec.received)); out = null; }
        chunks.push(value);
      }
      rec.received += value.length;
      if (rec.job.onChunk) rec.job.onChunk(value);
      this.bytes += value.length;
      this.meter.add(value.length, now);
      this.onProgress();
      if (this.waiting.length) this._pump();
    }
    if (out) return rec.received === out.length ? out.buffer : out.slice(0, rec.received).buffer;
    const all = new Uint8Array(rec.received);
    let o = 0;
    for (const c of chunks) { all.set(c, o); o += c.length; }
    return all.buffer;
  }

  async _failed(job, rec, e, sentAuth) {
    let err;
    if (rec.stalled) err = new NetError("timeout", `no data for ${Math.round(this.opts.stallMs / 1000)} s (timed out)`, { retryable: true });
    else if (e instanceof NetError) err = e;
    else err = await explainNetworkFailure(job.url, { sentAuth, signal: this.abort.signal });
    if (this.closed) return;
    if (err.retryable && job.attempt < this.opts.retries) {
      job.attempt++;
      this.retried++;
      const base = err.retryAfterMs || this.opts.backoffMs * 2 ** (job.attempt - 1);
      job.notBefore = performance.now() + base * (err.retryAfterMs ? 1 : 0.5 + Math.random());
      this.waiting.push(job);
      return;
    }
    this.failed++;
    const tries = job.attempt ? ` (after ${job.attempt + 1} tries)` : "";
    this.onFail(job, { code: err.code, message: err.message + (err.retryable ? tries : ""), status: err.status || 0 });
  }
}

export function cacheKey(job) { return `${job.accept || ""} ${job.url}`; }

function clean(o) {
  const out = {};
  for (const k of Object.keys(DEFAULTS)) {
    const v = Number(o[k]);
    if (o[k] !== undefined && Number.isFinite(v) && v >= 0) out[k] = v;
  }
  if (out.maxConcurrency !== undefined) out.maxConcurrency = Math.max(1, Math.min(64, Math.round(out.maxConcurrency)));
  if (out.minConcurrency !== undefined) out.minConcurrency = Math.max(1, Math.round(out.minConcurrency));
  return out;
}
