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

import { explainHttp, explainNetworkFailure, NetError, refuseAddress } from "./errors.js";

export const DEFAULTS = Object.freeze({
  maxConcurrency: 6, // browsers open 6 connections per HTTP/1.1 host; more only queue inside the browser
  minConcurrency: 6, // after the first file: throttled links (and Chrome's emulation) lose time per request and per
  // read; several flows hide it (measured at 20 Mbit/s, 40 ms: 2 → 90%, 4 → 98%, 6 → 98.6% of the link)
  retries: 3, // network errors, 5xx, 408, 429 and stalls are retried; 4xx are not
  backoffMs: 250, // first retry delay; doubled each time, ±50% jitter, or the server's Retry-After
  stallMs: 20000, // no byte for this long: abort and retry (then report a timeout)
  leadMs: 15, // start the next request this much before the link would idle, on top of the measured TTFB
  // Bounds on one request, so a broken or hostile server cannot hold a load forever or fill the memory. Each failure
  // names the option and its value; 0 turns a bound off. None of these is retried: asking again costs as much again.
  maxBytes: 2 ** 30, // 1 GiB of decoded body ("too-large"). The bytes are copied into Pyodide, whose whole memory is
  // 4 GiB at most: no single instance (or zip of a study) a browser viewer can show comes near. Counted after the
  // browser has decoded gzip/br, so a small compressed "bomb" is stopped at this size; a Content-Length above it is
  // refused before a byte of the body is read.
  minBytesPerSec: 1024, // below 1 kB/s over a whole window ("too-slow"), unless the link itself is that slow: a
  // server dripping one byte at a time resets the stall timer forever. 1 kB/s would bring a 512 KB slice in 8 min.
  rateWindowMs: 10000, // the window of minBytesPerSec, from the body's first byte (the stall timer covers before)
  maxRequestMs: 600000, // 10 min from request to last byte, whatever the rate ("timeout")
});

// A declared Content-Length is trusted for a buffer allocated up front only this far: a hostile length must not
// make the worker allocate before the bytes exist (six requests each announcing 900 MB would exhaust it).
const PREALLOCATE_MAX = 64 * 2 ** 20;

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
   * @param {(job, result) => void} o.onDone result: {buf: ArrayBuffer, contentType, bytes, fromCache, url} (url: the
   *   address the body came from, after redirects)
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
      const refused = refuseAddress(job.url); // javascript:, data:, …: at once, before any request, never retried
      if (refused) {
        this.failed++;
        this.onFail(job, { code: refused.code, message: refused.message, status: 0 });
        continue;
      }
      const hit = this.cache && this.cache.get(cacheKey(job));
      if (hit) hits.push([job, hit]);
      else this.waiting.push({ ...job, attempt: 0, notBefore: 0 });
    }
    hits.sort((a, b) => this.rank(a[0]) - this.rank(b[0]));
    for (const [job, hit] of hits) {
      // fetched ahead for this very job (the page's early requests, net/remote.js): network bytes, counted once
      const fresh = hit.ahead;
      hit.ahead = false;
      if (fresh) this.bytes += hit.buf.byteLength;
      else this.cachedBytes += hit.buf.byteLength;
      this.completed++;
      this.onDone(job, { buf: hit.buf, contentType: hit.contentType, bytes: hit.buf.byteLength, fromCache: !fresh, url: hit.url || job.url });
    }
    this._pump();
  }

  /** Re-rank what has not started yet: lower first. */
  setPriority(rank) {
    this.rank = rank;
    this._pump();
  }

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
    const t0 = performance.now();
    // mark: where the current rate window began ({t, received, all}: this request's and the queue's bytes then)
    const rec = { job, received: 0, expected: 0, declared: 0, t0, last: t0, tHeaders: 0, mark: null, limit: null, ctrl: new AbortController() };
    const tr = [Math.round(rec.t0 - this.t0), 0, 0, 0, this.active.size];
    if (this.trace.length < 2000) this.trace.push(tr);
    this.active.add(rec);
    const onCancel = () => rec.ctrl.abort();
    this.abort.signal.addEventListener("abort", onCancel);
    const watchdog = setInterval(() => this._watch(rec), this._tick());
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
      // Content-Encoding is not a CORS-safelisted header: from another origin it reads null unless exposed, and
      // the Content-Length is then that of the compressed body. Either way the decoded bytes are counted below.
      const encoded = resp.headers.get("content-encoding");
      rec.declared = Number(resp.headers.get("content-length")) || 0;
      if (this.opts.maxBytes && rec.declared > this.opts.maxBytes) {
        throw this._tooLarge(`the server announces ${fmtBytes(rec.declared)} (Content-Length), refused before reading`);
      }
      rec.expected = encoded && encoded !== "identity" ? 0 : rec.declared;
      const buf = await this._readBody(resp, rec);
      const contentType = resp.headers.get("content-type") || "";
      this.sizeAvg = this.sizeAvg ? this.sizeAvg * 0.8 + buf.byteLength * 0.2 : buf.byteLength;
      const url = resp.url || job.url;
      if (this.cache) this.cache.put(cacheKey(job), { buf, contentType, url });
      this.completed++;
      this.active.delete(rec);
      tr[2] = Math.round(performance.now() - this.t0); tr[3] = buf.byteLength;
      this.onDone(job, { buf, contentType, bytes: buf.byteLength, fromCache: false, url, ms: performance.now() - rec.t0 });
    } catch (e) {
      clearInterval(watchdog); // explaining a failure may take probes: no bound applies to them
      rec.ctrl.abort(); // whatever failed, no more of this body is wanted
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
    let out = rec.expected && rec.expected <= PREALLOCATE_MAX ? new Uint8Array(rec.expected) : null;
    const chunks = [];
    const { maxBytes } = this.opts;
    for (;;) {
      const { done, value } = await reader.read();
      if (done) break;
      const now = performance.now();
      rec.last = now;
      if (!rec.mark) rec.mark = { t: now, received: 0, all: this.bytes }; // the rate window starts at the first byte
      if (maxBytes && rec.received + value.length > maxBytes) {
        throw this._tooLarge(`the body did not end there (a compressed body can inflate far beyond its size on the wire)`);
      }
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

  // ------------------------------------------------------------------------------------------------ bounds
  /** How often the watchdog looks: often enough to honour the shortest bound configured, at most once a second. */
  _tick() {
    const o = this.opts;
    const periods = [o.stallMs / 2, o.rateWindowMs / 4, o.maxRequestMs / 4].filter((x) => x > 0);
    return Math.max(50, Math.min(1000, ...periods));
  }

  /** Abort `rec` when it has gone quiet (stall, retried), run too long in all, or delivers too slowly. */
  _watch(rec) {
    const o = this.opts, now = performance.now();
    let limit = null;
    if (o.stallMs && now - rec.last > o.stallMs) {
      limit = new NetError("timeout", `no data for ${secs(o.stallMs)} (timed out)`, { retryable: true });
    } else if (o.maxRequestMs && now - rec.t0 > o.maxRequestMs) {
      limit = new NetError("timeout", `timed out: not complete after ${secs(o.maxRequestMs)}, the limit for one request ` +
        `(maxRequestMs = ${o.maxRequestMs}); ${fmtBytes(rec.received)} had arrived`);
    } else if (o.minBytesPerSec && o.rateWindowMs && rec.mark && now - rec.mark.t >= o.rateWindowMs) {
      limit = this._tooSlow(rec, now);
      rec.mark = { t: now, received: rec.received, all: this.bytes }; // the next window
    }
    if (limit) { rec.limit = limit; rec.ctrl.abort(); }
  }

  /** Under minBytesPerSec over the window just ended, and the server's fault rather than the link's. On a slow
   * link shared by several requests each may get less than the minimum: that is excused while the link as a whole
   * moves at least the minimum and this request gets at least a quarter of an even share. A lone request, or
   * several slow servers together, have no excuse. */
  _tooSlow(rec, now) {
    const o = this.opts, dt = (now - rec.mark.t) / 1000;
    const mine = rec.received - rec.mark.received, all = this.bytes - rec.mark.all;
    if (mine >= o.minBytesPerSec * dt) return null;
    if (all >= o.minBytesPerSec * dt && mine >= all / Math.max(1, this.active.size) / 4) return null;
    return new NetError("too-slow", `too slow: ${fmtBytes(mine)} in the last ${secs(dt * 1000)}, under the minimum of ` +
      `${fmtBytes(o.minBytesPerSec)}/s (minBytesPerSec = ${o.minBytesPerSec} over rateWindowMs = ${o.rateWindowMs})`);
  }

  _tooLarge(why) {
    const max = this.opts.maxBytes;
    return new NetError("too-large", `too large: over ${fmtBytes(max)}, the limit for one file (maxBytes = ${max}): ${why}`);
  }

  async _failed(job, rec, e, sentAuth) {
    let err;
    if (rec.limit) err = rec.limit; // one of the bounds aborted it
    else if (e instanceof NetError) err = e;
    else if (e && e.name === "RangeError") err = new NetError("too-large", `too large for this browser's memory (${e.message})`);
    else if (rec.tHeaders) {
      // The headers were read (so CORS allowed it and the host is up): the body was cut short.
      const of = rec.declared > rec.received ? ` of the ${fmtBytes(rec.declared)} its Content-Length announced` : "";
      err = new NetError("truncated", `the connection closed after ${fmtBytes(rec.received)}${of}: the server or the network cut the file short`, { retryable: true });
    } else err = await explainNetworkFailure(job.url, { sentAuth, signal: this.abort.signal });
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

function fmtBytes(n) {
  const units = ["bytes", "KiB", "MiB", "GiB", "TiB"];
  let i = 0;
  while (n >= 1024 && i < units.length - 1) { n /= 1024; i++; }
  if (!i) return `${Math.round(n)} ${Math.round(n) === 1 ? "byte" : "bytes"}`;
  return `${+n.toFixed(1)} ${units[i]}`;
}

const secs = (ms) => `${+(ms / 1000).toFixed(1)} s`;
