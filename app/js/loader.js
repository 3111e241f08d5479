// Files into Python, for the worker (worker.js): local Files, zip members and URLs are read ahead of Python (a
// File's first 16 kB only; a frame's bytes when it is shown), then handed to venos.api one parsing task at a time.
// The bytes stay in JavaScript (blobs.js). A JPEG or PNG is decoded by the browser and joins Python afterwards. One
// bad file is one skip naming it; the load goes on and settles with a summary.

const READ_AHEAD = 12; // files read ahead of Python (a few of them with a parsing helper: ./parsepool.js)
export const HEAD_BYTES = 16 * 1024; // read ahead of Python: what venos.dicom.parse parses first (HEAD)

/**
 * @param {object} w the worker's side: api(), blobs(), codecs() (the codec hooks or null), pool() (the parsing
 *   helpers, ./parsepool.js, or null), remote() (a promise of
 *   net/remote.js's instance), emit, errorInfo, toJs, parseQueue and callQueue (its task queues), schedule(),
 *   busyMs() (its busy time so far), decodeDue() (compressed frames wait to be decoded when idle) and
 *   memoryChanged() (files were added: share the memory budget out again, memory.js)
 */
export function createLoader(w) {
  let generation = 0; // a clear() makes every read still in flight a no-op
  const plainImages = []; // JPEG/PNG decodes in flight (settled() waits for them)
  // A File's first bytes, read by the page and sent ahead (rpc.js sendHeads): id → {buf} or {wait}. Reading them
  // costs a thread ~0.4 ms a file (the slice and the read's set-up), which the page's thread has to spare while
  // this one parses; a head that does not come (null) is read here.
  const heads = new Map();
  function takeHead(id) {
    const h = heads.get(id);
    if (h && h.buf !== undefined) { heads.delete(id); return Promise.resolve(h.buf); }
    return new Promise((resolve) => heads.set(id, { wait: resolve }));
  }
  function gotHead({ id, buf }) {
    const h = heads.get(id);
    if (h && h.wait) { heads.delete(id); h.wait(buf); } else heads.set(id, { buf });
  }

  /** Queue sources for parsing. Resolves with a summary when every one has been parsed or skipped. */
  async function load(given, { group = "" } = {}) {
    const gen = generation;
    const items = [...given]; // a zip among them is replaced by its members when its first bytes are read
    let total = items.length;
    let done = 0, failed = 0, bytes = 0, next = 0, inFlight = 0, pythonMs = 0, helped = 0;
    const busyAtStart = w.busyMs();
    let resolveAll;
    const finished = new Promise((r) => (resolveAll = r));
    const started = performance.now();
    if (!total) resolveAll({ total: 0, loaded: 0, failed: 0, bytes: 0, ms: 0 });

    const progress = () => w.emit("progress", { done, total, failed, bytes, ms: performance.now() - started });
    const settleIfDone = () => {
      if (done === total) for (const it of given) if (it.head) heads.delete(it.head); // sent for a file skipped early
      if (done === total) w.memoryChanged();
      if (done === total) resolveAll({ total, loaded: done - failed, failed, bytes, ms: performance.now() - started, pythonMs, workerBusyMs: w.busyMs() - busyAtStart, helped });
    };
    const complete = (ok) => {
      done++; if (!ok) failed++;
      if (done % 4 === 0 || done === total) progress();
      if (done % 64 === 0 && done < total) w.memoryChanged(); // the budget's shares follow a long load
      settleIfDone();
      pump();
    };

    function pump() {
      while (inFlight < READ_AHEAD && next < items.length) {
        const item = items[next++];
        const entry = { ready: false, run: null };
        w.parseQueue.push(entry);
        inFlight++;
        readItem(item).then((got) => {
          entry.run = () => {
            inFlight--;
            if (got.members && gen === generation) { // an archive: its members take its place, next in line
              items.splice(next, 0, ...got.members);
              total += got.members.length - 1;
              settleIfDone();
              return pump();
            }
            if (gen !== generation) return complete(false);
            bytes += got.size || 0;
            const t = performance.now();
            let ok = false;
            try {
              ok = addToPython(got, group);
              if (got.helped && ok === true) helped++;
            } catch (e) { // Python answers every file; this is a bug, but the load still settles and says which file
              const info = w.errorInfo(e);
              w.emit("skipped", { source: got.name, code: info.code, message: info.message });
            } finally {
              pythonMs += performance.now() - t;
              if (ok && typeof ok.then === "function") ok.then(complete, () => complete(false)); // a plain image
              else complete(ok);
            }
          };
        }, (err) => {
          entry.run = () => {
            inFlight--;
            const info = w.errorInfo(err);
            w.api().skip(item.name || item.path || item.url || "?", info.code || "source", info.message);
            w.emit("skipped", { source: item.name || item.path || item.url, code: info.code || "source", message: info.message });
            complete(false);
          };
        }).finally(() => { entry.ready = true; w.schedule(); });
      }
    }
    pump();
    progress();
    return finished;
  }

  /** The members of a zip archive (File), each an item read (inflated) only when its turn comes. An archive that
   * cannot be read is one failure naming it; the files beside it still load. */
  async function archiveMembers(file, path) {
    const zip = await import("./net/zip.js");
    try {
      return zip.zipDirectory(new Uint8Array(await file.arrayBuffer()))
        .map((e) => ({ member: e, name: `${path}/${e.name}`, archive: path }));
    } catch (err) {
      throw { code: "zip", message: `the archive cannot be read: ${err.message || err}` };
    }
  }

  async function readItem(item) {
    if (item.failed) throw item.failed;
    if (item.member) {  // a zip member: inflated now, held like a download (blobs.js)
      const data = await readMember(item.member);
      return { name: item.name, buf: data.buffer.byteLength === data.byteLength ? data.buffer : data.slice().buffer, size: data.byteLength };
    }
    if (item.file) {  // only the first bytes are read now, ahead of Python; a frame when it is shown (blobs.js)
      const sent = item.head ? await takeHead(item.head) : null;
      const head = new Uint8Array(sent || await item.file.slice(0, HEAD_BYTES).arrayBuffer());
      if (head[0] === 0x50 && head[1] === 0x4b && item.file.size >= 22 && (await import("./net/zip.js")).isZip(head)) {
        return { members: await archiveMembers(item.file, item.path || item.file.name) };
      }
      const name = item.path || item.file.name;
      const helped = w.pool() ? w.pool().parse(name, head, item.file.size) : null; // null: every helper is busy
      return { name, file: item.file, head, size: item.file.size, type: item.file.type, parsed: helped && await helped };
    }
    if (item.url) {  // through the fetch queue (net/queue.js): its bounds, retries and CORS/redirect diagnosis
      const remote = await w.remote();
      const res = await remote.handlers.fetchBytes(item.url);
      return { name: item.name || item.url, buf: res.buf, size: res.buf.byteLength, type: res.contentType || "" };
    }
    throw { code: "source", message: "neither a file nor a URL" };
  }

  /** Inflate one zip member (net/zip.js entry) to be held like a download, for local and remote archives alike:
   * refused before inflating when it would pass the memory budget, and on its first bytes when it is neither DICOM
   * nor a PNG or JPEG. Failures are {code, message}: `memory`, `not-dicom`, else `zip`. */
  async function readMember(member) {
    w.blobs().checkRoom(member.size);
    try {
      return await member.read((head) => {
        const h = w.toJs(w.api().check_head(head));
        if (!h.ok) throw { code: h.code, message: h.message };
      });
    } catch (err) {
      if (err && err.code) throw err;
      throw { code: "zip", message: String(err.message || err) };
    }
  }

  /** Hand one file to Python: its bytes stay here (blobs.js), Python reads what it needs of them. */
  function addToPython(got, group) {
    let key, size;
    try {
      ({ key, size } = w.blobs().hold(got.file || got.buf));
    } catch (e) { // past the memory budget: this file is a skip, the others go on
      const info = w.errorInfo(e);
      w.emit("skipped", w.toJs(w.api().skip(got.name, info.code || "memory", info.message)).error);
      return false;
    }
    const head = got.head || (got.buf ? new Uint8Array(got.buf, 0, Math.min(HEAD_BYTES, got.buf.byteLength)) : null);
    const res = w.toJs(got.parsed ? w.api().add_parsed(got.name, key, size, head, got.parsed, group)
      : w.api().add_blob(got.name, key, size, head, group));
    got.helped = !!res.helped; // the helper's answer was used (else the file was parsed here after all)
    if (res.plain) {  // a JPEG or PNG: the browser decodes it (asynchronously); it joins Python when ready
      const joined = decodePlain(got.name, got.file || got.buf, `image/${res.plain}`, group);
      plainImages.push(joined);
      w.blobs().release(key);
      return joined; // the load counts it once the browser has decoded it, or not
    }
    if (res.report || res.presentation) { // a measurement report (SR) or a presentation state (GSPS): kept by
      w.blobs().release(key); // Python for the images it names, which it is applied to
      w.emit(res.report ? "report" : "presentation", res.report || res.presentation);
      return true;
    }
    if (res.pending) { // its first frame waits for its codec: listed now, counted (or removed) once decoded
      w.emit("added", { series: res.series, new: false, source: got.name });
      return verify(res, key);
    }
    if (res.ok) {
      w.emit("added", { series: res.series, new: res.new, source: got.name });
    } else {
      w.blobs().release(key);
      w.emit("skipped", res.error);
    }
    return res.ok;
  }

  /** A compressed file Python added before its first frame could be decoded ({pending: codec, key, series}; the
   * caller has said it was added): load the codec or have the frame decoded in the codec worker, then ask Python to
   * keep the file or remove it again, skipped with the reason. Resolves true when it was kept. `blobKey`: its bytes
   * here, released when it is skipped. */
  function verify(res, blobKey = 0) {
    const codecs = w.codecs();
    return new Promise((resolve) => {
      let rounds = 0;
      const settle = (v) => {
        if (!v.ok) {
          if (blobKey) w.blobs().release(blobKey);
          if (v.error) w.emit("skipped", v.error);
        }
        resolve(!!v.ok);
        w.decodeDue(); // the other frames are decoded while idle
      };
      const step = (names) => (codecs ? codecs.ensure(names) : Promise.resolve()).then(() => {
        w.callQueue.push(() => {
          let v;
          // still waiting: the codec worker takes a few dozen frames at a time, so a long load needs a few rounds
          const giveUp = !codecs || rounds++ >= 64;
          try {
            v = w.toJs(w.api().verify(res.key, giveUp));
          } catch (e) {
            v = { ok: false, error: w.errorInfo(e) };
          }
          if (v.pending) return step([v.pending]);
          settle(v);
        });
        w.schedule();
      });
      step([res.pending]);
    });
  }

  /** Decode a plain image in the browser, then add it in Python's turn: resolves true when it was added. */
  async function decodePlain(name, data, mime, group) {
    let added;
    const done = new Promise((r) => (added = r));
    try {
      const bmp = await createImageBitmap(new Blob([data], { type: mime }), { colorSpaceConversion: "none", premultiplyAlpha: "none" });
      const c = new OffscreenCanvas(bmp.width, bmp.height);
      const ctx = c.getContext("2d");
      ctx.drawImage(bmp, 0, 0);
      const pixels = ctx.getImageData(0, 0, bmp.width, bmp.height).data;
      w.callQueue.push(() => {
        let res = { ok: false };
        try {
          res = w.toJs(w.api().add_image(name, bmp.width, bmp.height, new Uint8Array(pixels.buffer), group));
          if (res.ok) w.emit("added", { series: res.series, new: res.new, source: name });
          else w.emit("skipped", res.error);
        } finally { added(!!res.ok); }
      });
      w.schedule();
    } catch (e) {
      w.callQueue.push(() => {
        try {
          const entry = w.toJs(w.api().skip(name, "decode", `the browser cannot decode this ${mime} image`));
          w.emit("skipped", entry.error);
        } finally { added(false); }
      });
      w.schedule();
    }
    return done;
  }

  return {
    load,
    addToPython,
    readMember,
    verify,
    /** Drop what is queued and ignore what is still being read (the viewer was cleared). */
    cancel() {
      generation++;
      w.parseQueue.length = 0;
      for (const h of heads.values()) if (h.wait) h.wait(null);
      heads.clear();
    },
    gotHead,
    headBytes: HEAD_BYTES,
    /** Resolves once the plain images handed over so far have joined Python (or failed). */
    settled: () => Promise.all(plainImages.splice(0)),
  };
}
