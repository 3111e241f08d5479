// Page side of the worker protocol: calls return promises; errors carry {code, message, source};
// events ({event, data}) are dispatched to listeners.

const STICKY = new Set(["ready", "fatal", "stage", "caseinfo"]);

export class WorkerClient {
  /** `early`: what start.js began ({worker, inbox, caseId, crashed}), or the URL of a worker module to start. */
  constructor(early) {
    const started = early && early.worker ? early : { worker: new Worker(early, { type: "module" }), inbox: [], caseId: 0 };
    this.worker = started.worker;
    this.nextId = 2; // 1 is the case start.js may have asked for
    this.pending = new Map();
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
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.postMessage({ id, method, args, key }, transfer);
    });
  }

  /** The worker asks the page to fetch files in order while its own thread is busy (the interpreter's start): each
   * body is handed over (transferred), or the reason it could not be fetched. */
  async _fetchFor(urls) {
    for (const url of urls) {
      try {
        const r = await fetch(url);
        if (!r.ok) throw new Error(`HTTP ${r.status}`);
        const buf = await r.arrayBuffer();
        this.worker.postMessage({ fetched: { url, buf } }, [buf]);
      } catch (e) {
        this.worker.postMessage({ fetched: { url, error: String((e && e.message) || e) } });
      }
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
    if (msg.event === "fetch") return this._fetchFor(msg.data.urls);
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
