// Fetched bodies kept in memory (least recently used dropped past a byte budget), so reopening a case in this
// page is instant and costs no network bytes.
//
// In memory, not the Cache API, on purpose: a zero-footprint viewer of patient images must leave nothing behind
// on a shared workstation, and Cache API entries persist on disk after the tab is closed. Memory is also faster
// to read back (no disk, no Response wrapping). The cost: a reload starts cold (the browser's HTTP cache may still
// answer, as the server's cache headers allow).

export class ByteCache {
  constructor(budget = 768 * 1024 * 1024) {
    this.budget = budget;
    this.map = new Map(); // key → {buf, contentType, url}; Map keeps insertion order = recency order
    this.bytes = 0;
    this.hits = 0;
    this.misses = 0;
  }

  /** Whether `key` is held (counts as neither a hit nor a miss). */
  has(key) { return this.map.has(key); }

  get(key) {
    const v = this.map.get(key);
    if (!v) { this.misses++; return null; }
    this.map.delete(key);
    this.map.set(key, v);
    this.hits++;
    return v;
  }

  put(key, value) {
    const size = value.buf.byteLength;
    if (size > this.budget) return;
    const old = this.map.get(key);
    if (old) { this.bytes -= old.buf.byteLength; this.map.delete(key); }
    this.map.set(key, value);
    this.bytes += size;
    for (const [k, v] of this.map) {
      if (this.bytes <= this.budget) break;
      this.map.delete(k);
      this.bytes -= v.buf.byteLength;
    }
  }

  /** A finite budget only: the budget is this cache's one bound (each body is also bounded by the queue's
   * maxBytes, and one over the budget is not kept), so "Infinity" or NaN would make it unbounded: ignored. */
  setBudget(budget) {
    if (Number.isFinite(budget)) this.budget = Math.max(0, budget);
    this.put("", { buf: new ArrayBuffer(0) });
    this.map.delete("");
  }

  /** Bytes of the bodies no loaded file views (`held(buf)`): what this cache costs beyond the loaded files. */
  extraBytes(held = () => false) {
    let n = 0;
    for (const v of this.map.values()) if (!held(v.buf)) n += v.buf.byteLength;
    return n;
  }

  /** Drop least recently used bodies that no loaded file views until those left cost at most `room` bytes
   * (the viewer's one memory budget, app/js/memory.js, gives this cache what the rest leaves). */
  trim(room, held = () => false) {
    let extra = this.extraBytes(held);
    for (const [k, v] of this.map) {
      if (extra <= room) break;
      if (held(v.buf)) continue;
      this.map.delete(k);
      this.bytes -= v.buf.byteLength;
      extra -= v.buf.byteLength;
    }
  }

  clear() { this.map.clear(); this.bytes = 0; }

  stats() { return { entries: this.map.size, bytes: this.bytes, budget: this.budget, hits: this.hits, misses: this.misses }; }
}
