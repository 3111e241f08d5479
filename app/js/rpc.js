// Page side of the worker protocol: calls return promises; errors carry {code, message, source};
// events ({event, data}) are dispatched to listeners.

import { Pace } from "./net/pace.js";
import { checkSha256, unpackFiles } from "./net/archive.js";

const STICKY = new Set(["ready", "fatal", "stage", "caseinfo"]);

export class WorkerClient {
  /** `early`: what start.js began ({worker, inbox, caseId, crashed}), or the URL of a worker module to start. */
  constructor(early) {
    const started = early && early.worker ? early : { worker: new Worker(early, { type: "module" }), inbox: [], caseId: 0 };
    this.worker = started.worker;
    this.nextId = 2; // 1 is the case start.js may have asked for
    this.lastCall = 0;
    this.pending = new Map();
    this._chain = { parts: [], state: "waiting" }; // what the page fetches for the worker (_ask)
    this.listeners = new Map();
    // The worker may start before the page's listeners exist: the last of these events is replayed to late ones.
    this.sticky = new Map();
    this.startedCase = started.caseId ? new Promise((resolve, reject) => this.pending.set(started.caseId, { resolve, reject })) : null;
    this.worker.onmessage = (ev) => this._onMessage(ev.data);
    this.worker.onerror = (ev) => this._emit("fatal", { code: "worker", message: ev.message || "the Python worker failed to start" });
    for (const msg of started.inbox.splice(0)) this._onMessage(msg);
    const crashed = started.crashed && started.crashed();
    if (crashed) this._emit("fatal", { code: "worker", message: crashed });
  }

  call(method, args, { transfer = [], key } = {}) {
    const id = this.nextId++;
    this.lastCall = performance.now(); // (when the viewer last asked the worker anything: rehearsal.js waits for a pause)
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ id, method, args, key }, transfer);
    });
  }

  /** Read the first `bytes` of each local File among a load's `items` here, on the page's thread, and send them to
   * the worker ahead of its turn to parse them (the worker's thread is a load's bottleneck; a head costs a thread
   * ~0.4 ms to read). Tags each such item with `head` (its id), so call this before posting the items. Reads stay
   * at most `ahead` files in front of the load's progress. Returns stop(), for when the load has ended. */
  sendHeads(items, bytes, { ahead = 64, parallel = 8, first = 2 } = {}) {
    // the first `first` the worker reads itself at once: the first image waits for no message from here
    const files = bytes > 0 ? items.filter((it) => it.file).slice(first) : [];
    for (const it of files) it.head = this._nextHead = (this._nextHead || 0) + 1;
    let next = 0, done = 0, reading = 0, stopped = false;
    const pump = () => {
      while (!stopped && reading < parallel && next < files.length && next - done < ahead) {
        const { file, head: id } = files[next++];
        reading++;
        file.slice(0, bytes).arrayBuffer().then(
          (buf) => { if (!stopped) this.worker.postMessage({ head: { id, buf } }, [buf]); },
          () => { if (!stopped) this.worker.postMessage({ head: { id, buf: null } }); }, // the worker reads it
        ).finally(() => { reading--; pump(); });
      }
    };
    const off = this.on("progress", (d) => { done = Math.max(done, d.done || 0); pump(); });
    queueMicrotask(pump); // after the load's call is posted: the worker knows the items before their heads
    return () => { stopped = true; off(); };
  }

  /** The worker asks the page for files while its own thread is busy (the interpreter's start): the runtime's
   * archives (the Python site, then numpy), then a shared case's first slice. Each is asked for as the one before
   * is a request's wait from its end (net/pace.js), so they arrive one after the other with no pause between; then
   * the link is the case's (the worker is told). A slice the worker asks for before the archives waits for them,
   * one asked for after them goes at once; those the worker no longer needs and not started yet are dropped
   * (_drop). An archive (decoded from its LZMA2 copy where the worker names one) is checked against its sha256
   * and unpacked here (net/archive.js); every body is handed over (transferred), or the reason it could not be
   * fetched. */
  _ask(parts) {
    const c = this._chain;
    const runtime = parts.filter((p) => p.runtime);
    c.parts.unshift(...runtime);
    c.parts.push(...parts.filter((p) => !p.runtime));
    if (runtime.length || c.state === "done") this._runChain();
  }

  /** Drop the parts not started yet among `urls` (the worker no longer needs them): each answers as dropped. */
  _drop(urls) {
    const c = this._chain;
    const gone = new Set(urls);
    const dropped = c.parts.filter((p) => !p.runtime && gone.has(p.url));
    c.parts = c.parts.filter((p) => !dropped.includes(p));
    for (const { url } of dropped) this.worker.postMessage({ fetched: { url, error: { code: "dropped", message: `${url}: not needed any more` } } });
  }

  async _runChain() {
    const c = this._chain;
    if (c.state === "running") return;
    c.state = "running";
    const all = [];
    while (c.parts.length) {
      let nearly;
      const turn = new Promise((resolve) => (nearly = resolve));
      all.push(this._fetchOne(c.parts.shift(), nearly));
      await turn;
    }
    c.state = "done";
    this.worker.postMessage({ linkFree: true });
    await Promise.all(all);
  }

  async _fetchOne({ url, sha256, runtime, headers, bytes, packed }, nearly) {
    const pace = new Pace();
    try {
      // A runtime archive with an LZMA2 copy (a first visit, build.py's PACKED) travels as that, decoded here as it
      // arrives; the plain file when the copy cannot be fetched.
      const packedModule = packed ? import("./net/packed.js") : null;
      let r = packed ? await fetch(packed.url).catch(() => null) : null;
      if (r && !r.ok) r = null;
      if (!r) {
        packed = null;
        r = await fetch(url, runtime ? {} : { headers: headers || {}, mode: "cors", credentials: "omit" });
      }
      pace.answered();
      if (!r.ok) throw new Error(`HTTP ${r.status}`);
      // the body's length as read: a runtime part's from the build (the host may encode it), else the header's
      const total = packed ? packed.bytes : bytes || (r.headers.get("Content-Encoding") ? 0 : Number(r.headers.get("Content-Length")) || 0);
      // checked against the part's sha256 as it ends (the plain file's: the build records the same for its copy)
      const decoding = packed ? (await packedModule).decodeChecked({ ...packed, sha256 }, packed.url) : null;
      const reader = r.body.getReader();
      const chunks = [];
      for (;;) {
        const { done, value } = await reader.read();
        if (done) break;
        if (decoding) decoding.feed(value);
        else chunks.push(value);
        pace.add(value.byteLength);
        if (pace.nearlyDone(total)) nearly();
      }
      nearly();
      const buf = decoding ? (await decoding.end()).buffer : await new Blob(chunks).arrayBuffer();
      const got = { url, buf, contentType: r.headers.get("Content-Type") || "", finalUrl: r.url || url, files: null,
        wireBytes: packed ? packed.bytes : buf.byteLength };
      if (sha256 && !decoding) await checkSha256(buf, sha256, url);
      if (runtime) {
        try {
          got.files = await unpackFiles(buf);
        } catch { /* the worker unpacks it then, and reports what is wrong with it */ }
      }
      this.worker.postMessage({ fetched: got }, got.files ? [buf, got.files.data] : [buf]);
    } catch (e) {
      nearly();
      const error = e && e.code ? { code: e.code, message: e.message } : { code: "runtime", message: `cannot load ${url}: ${(e && e.message) || e}` };
      this.worker.postMessage({ fetched: { url, error } });
    }
  }

  on(event, fn) {
    if (!this.listeners.has(event)) this.listeners.set(event, new Set());
    this.listeners.get(event).add(fn);
    if (this.sticky.has(event)) {
      const data = this.sticky.get(event);
      queueMicrotask(() => { if (this.listeners.get(event).has(fn)) fn(data); });
    }
    return () => this.listeners.get(event).delete(fn);
  }

  _emit(event, data) {
    if (STICKY.has(event)) this.sticky.set(event, data);
    for (const fn of this.listeners.get(event) || []) {
      try { fn(data); } catch (e) { console.error(e); }
    }
  }

  _onMessage(msg) {
    if (msg.events) { for (const m of msg.events) this._onMessage(m); return; } // the worker's events of one task
    if (msg.event === "fetch") return this._ask(msg.data.parts);
    if (msg.event === "unfetch") return this._drop(msg.data.urls);
    if (msg.event) return this._emit(msg.event, msg.data);
    const p = this.pending.get(msg.id);
    if (!p) return;
    this.pending.delete(msg.id);
    if (msg.error) {
      const err = new Error(msg.error.message);
      Object.assign(err, msg.error);
      p.reject(err);
    } else p.resolve(msg.result);
  }
}
