// Remote cases, worker side: turn a case spec (manifest, URL list, DICOMweb study/series, DICOMDIR, zip) into a
// plan (Python decides what to fetch and shows what metadata knows at once), fetch it with the adaptive queue,
// hand every body to Python, report progress in files and bytes, and cancel it all when another case opens.
//
// The bearer token lives here, in memory only: it is sent as an Authorization header, never put in a URL, an
// event, an error message or a log.

import { FetchQueue, DEFAULTS, cacheKey } from "./queue.js";
import { ByteCache } from "./cache.js";
import { isZip, zipDirectory } from "./zip.js";
import { firstInstance, instanceAddress } from "./firstinstance.js";

const JSON_ACCEPT = "application/dicom+json, application/json;q=0.9, */*;q=0.5";
const FILL_AHEAD = 8; // instances the page fetches after a case's first slice while Python plans (fillAhead)

/**
 * @param {object} ctx what the worker lends: api() (venos.api proxy, null until Python is up), ready() (a promise of
 *   it), py() (Pyodide), emit(event, data), toJs(proxy), enqueue(fn) (run fn as a parse task),
 *   addToPython({name, buf, size, type}) → bool (a promise of one for a plain image or a compressed file whose
 *   first frame waits for its codec), verify(result) → a promise of that bool for a multipart part,
 *   readMember(zip entry) → its bytes (or {code, message}), clearPython(), linkIsFree() (the runtime's own files are
 *   nearly in), askPage({url, headers}) → a promise of {buf, contentType, finalUrl} the page fetched after the
 *   runtime's files, dropAsked(urls) (the page drops those it has not started), early(url) → a promise of what the
 *   page fetched for that address before this thread could ask ({buf, contentType, finalUrl}; start.js), or null,
 *   forgetEarly() (what the page fetched early and was not taken is not kept)
 */
export function createRemote(ctx) {
  const cache = new ByteCache();
  let options = {};
  let token = "";
  let run = null; // the case being loaded
  let gen = 0;

  const authHeaders = () => (token ? { Authorization: `Bearer ${token}` } : {});
  const emit = ctx.emit;

  function cancel() {
    gen++;
    if (!run) return;
    for (const q of run.queues) q.cancel();
    if (run.filling && run.filling.size) ctx.dropAsked([...run.filling.keys()]); // the page's requests ahead
    run.resolve({ cancelled: true });
    run = null;
  }

  /** What the page fetched early for `url` (a repeat visit's shared case, start.js) into the case's cache, where
   * the queue finds it, under the key the queue will look for; settles when that request ended (a failure leaves
   * nothing there: the queue then asks itself, and explains). */
  function fromPage(r, early, job) {
    return early.then((got) => {
      cache.put(cacheKey(job), { buf: got.buf, contentType: got.contentType, url: got.finalUrl, ahead: true });
      if (r) r.timing.fromPage = (r.timing.fromPage || 0) + 1; // (the case's summary says how many)
    }, () => {});
  }

  /** One small request (manifest, metadata, index) with the same retries and explanations as slices. */
  function fetchOne(r, url, { accept = "", useCache = true, onChunk = null } = {}) {
    const early = useCache && ctx.early(url);
    if (early) return fromPage(r, early, { url, accept }).then(() => fetchOne(r, url, { accept, useCache, onChunk }));
    return new Promise((resolve, reject) => {
      const q = new FetchQueue({
        ...options, headers: authHeaders, cache: useCache ? cache : null,
        onDone: (_job, res) => resolve(res),
        onFail: (_job, err) => reject({ ...err, source: url }),
      });
      if (r) r.queues.push(q);
      q.add([{ url, accept, order: 0, onChunk }]);
    });
  }

  /** The slice a case shows first, fetched alone before Python has planned the rest — once the runtime's own
   * downloads are nearly done: its bytes wait for Python anyway, and sooner they would only slow the wasm down,
   * which everything waits for. While the runtime still loads, the page fetches it after the runtime's files
   * (ctx.askPage): this thread is then busy starting the interpreter and could ask for it only once that is done. Its
   * bytes go to the case's cache, where the queue finds them; if the page could not fetch it, the queue does. */
  function addFirst(r, url) {
    r.guess = url;
    const job = { url, accept: "", order: -1, series: "", slice: 0 };
    const add = () => { if (run === r) r.queue.add([job]); };
    const early = ctx.early(url);
    if (early) { // the page asked for it already (a repeat visit): the plan's jobs wait for it, as for fetchAhead's
      r.firstIn = fromPage(r, early, job).then(add);
      r.early = true; // (and nothing is fetched ahead through the page: the link is not the runtime's)
      return;
    }
    if (ctx.linkIsFree()) {
      add();
      return;
    }
    r.firstIn = fetchAhead(r, job).then(add);
  }

  /** The page fetches `job` for the case's cache, after what it was asked for before; settles when that ended. */
  function fetchAhead(r, job) {
    return ctx.askPage({ url: job.url, headers: authHeaders() }).then((got) => {
      if (run === r) cache.put(cacheKey(job), { buf: got.buf, contentType: got.contentType, url: got.finalUrl, ahead: true });
    }, () => {});
  }

  /** Between the first slice and Python's plan of the case the link would idle (~0.5 s on a cold visit: the plan
   * needs Python, which is still starting). So when the page fetches the first slice behind the runtime's files, it
   * also fetches the next few instances of its list, one after the other behind it. At the plan, what the page has
   * not started is dropped (the queue then fetches it in its own order), and a planned job whose early fetch is
   * under way waits for it instead of asking a second time. (Where the link was already free the first slice goes
   * through the queue, alone, and these would compete with it.) */
  function fillAhead(r, urls) {
    if (r.filling || !r.firstIn || r.early || run !== r) return;
    r.filling = new Map();
    for (const url of urls) {
      if (r.filling.size >= FILL_AHEAD) break;
      if (url !== r.guess && !r.filling.has(url)) r.filling.set(url, fetchAhead(r, { url, accept: "" }));
    }
  }

  /** The plan's jobs to the queue once the first slice is in (it goes alone, to its end, as the queue's own first
   * would), and, for an instance the page is fetching ahead, once that fetch has ended (from the cache then, or
   * fetched by the queue if the page could not). */
  function addPlanned(r, q, jobs) {
    const early = r.filling || new Map();
    r.filling = new Map(); // nothing more is asked ahead
    if (early.size) ctx.dropAsked([...early.keys()]);
    const add = () => {
      if (run !== r) return;
      q.add(jobs.filter((j) => !early.has(j.url)));
      for (const j of jobs) {
        const wait = early.get(j.url);
        if (wait) wait.then(() => { if (run === r) q.add([j]); });
      }
    };
    if (r.firstIn) r.firstIn.then(add);
    else add();
  }

  /** Watch a manifest as it streams in and start fetching its first instance before the rest has arrived:
   * the first image then needs one round trip less. The guess is only used when no view was asked for. */
  function guesser(r, base) {
    const dec = new TextDecoder();
    let head = "";
    return (chunk) => {
      if (r.guess !== undefined || head.length > 262144) return;
      head += dec.decode(chunk, { stream: true });
      const url = firstInstance(head, base);
      if (url === undefined) return;
      r.guess = null;
      if (url) addFirst(r, url); // (else not a usable address: wait for the plan)
    };
  }

  const text = (res) => new TextDecoder().decode(res.buf);

  /** What a manifest says at a glance, for the page to show while Python starts ({title, series, instances}),
   * and, when the link names the instance shown (sop), its address, so it is fetched before Python has planned (a
   * slice index alone needs Python's sort of the series). Python reads the manifest for real (sources/manifest.py): this only
   * counts and guesses; anything unexpected gives nulls. */
  function peekManifest(body, want, base) {
    const out = { title: "", series: null, instances: null, guess: null, lists: [] };
    try {
      if (body.length > 64 * 1024 * 1024 || !/^\s*\{/.test(body)) return out;
      const m = JSON.parse(body);
      // a plain list of addresses ({urls: [...]}) says how many images, not how many series
      if (m && !Array.isArray(m.studies)) return Array.isArray(m.urls) ? { ...out, instances: m.urls.length } : out;
      const studies = m.studies;
      let series = 0, instances = 0;
      for (const st of studies) {
        for (const se of Array.isArray(st && st.series) ? st.series : []) {
          series++;
          const list = Array.isArray(se && se.instances) ? se.instances : [];
          instances += list.length;
          out.lists.push(list);
          if (want && want.sop && !out.guess) {
            const inst = list.find((i) => i && i.metadata && i.metadata.SOPInstanceUID === want.sop);
            out.guess = inst && typeof inst.url === "string" ? instanceAddress(inst.url, base) : null;
          }
        }
      }
      const first = studies[0] || {};
      const title = [first.StudyDescription, first.PatientName].find((x) => typeof x === "string" && x.trim());
      return { ...out, title: title ? title.trim().slice(0, 200) : "", series, instances };
    } catch { return out; }
  }

  /** The addresses after `first` in the instance list of a manifest's series that holds it (then those before it);
   * resolved here, only for a case whose slices are fetched ahead. */
  function nextOf(lists, first, base) {
    for (const list of lists) {
      const urls = list.map((i) => (i && typeof i.url === "string" ? instanceAddress(i.url, base) : null));
      const at = urls.indexOf(first);
      if (at >= 0) return [...urls.slice(at + 1), ...urls.slice(0, at).reverse()].filter(Boolean);
    }
    return [];
  }

  let warm = false;
  /** Import the remote modules and run one tiny parse + decode now, when the CPU would otherwise wait. */
  function warmUp() {
    if (warm || !ctx.api()) return;
    warm = true;
    try { ctx.api().warm_up_remote(); } catch (e) { console.warn("warm-up failed", e); }
  }
  const py = (v) => ctx.py().toPy(v);

  /** The first address of a plain list, fetched alone before Python has seen the list (the shown slice). */
  function firstOfList(r, spec) {
    if (r.want || !spec.urls || !spec.urls.length) return;
    try {
      const u = new URL(String(spec.urls[0]), spec.base || self.location.href);
      if (u.protocol !== "http:" && u.protocol !== "https:") return;
      addFirst(r, u.href);
    } catch { /* Python explains a bad address */ }
  }

  // Network first, Python when it is up: a shared case's manifest (and its first instance, guessed while the
  // manifest streams in) is on the wire while the runtime still loads.
  async function plan(spec, r) {
    if (spec.manifest) {
      const onChunk = r.want ? null : guesser(r, spec.manifest);
      const pending = fetchOne(r, spec.manifest, { accept: "application/json, text/plain;q=0.9, */*;q=0.5", onChunk });
      warmUp(); // while the manifest is on the network
      const res = await pending;
      r.timing.fetched = performance.now() - r.t0;
      const info = peekManifest(text(res), r.want, spec.manifest);
      // (a manifest that did not stream past the guesser — the page's early answer, one from the cache — is read whole)
      if (!info.guess && !r.want && r.guess === undefined) info.guess = firstInstance(text(res), spec.manifest) || null;
      if (info.guess && r.guess === undefined) addFirst(r, info.guess);
      if (r.firstIn) fillAhead(r, nextOf(info.lists, r.guess, spec.manifest));
      emit("caseinfo", { title: info.title, series: info.series, instances: info.instances });
      const api = await ctx.ready();
      return ctx.toJs(api.open_case("manifest", text(res), res.url || spec.manifest, null));
    }
    if (spec.urls) {
      firstOfList(r, spec);
      if (r.firstIn) fillAhead(r, spec.urls.slice(1, 1 + FILL_AHEAD).map((u) => instanceAddress(u, spec.base || self.location.href)).filter(Boolean));
      emit("caseinfo", { title: "", series: null, instances: spec.urls.length });
      const api = await ctx.ready();
      const list = py([...spec.urls].map(String));
      try { return ctx.toJs(api.open_case("urls", list, spec.base || self.location.href, null)); } finally { list.destroy(); }
    }
    // Any other kind: Python's source registry (venos.sources) says what to fetch first; its bytes go back to it.
    const api = await ctx.ready();
    const asked = py(spec);
    let req;
    try { req = ctx.toJs(api.case_request(asked)); } finally { asked.destroy(); }
    if (!req.ok) throw req.error;
    const payload = req.url ? new Uint8Array((await fetchOne(r, req.url, { accept: req.accept || "" })).buf) : req.payload;
    const [pyPayload, pyOptions] = [py(payload), py(req.options || {})];
    try {
      return ctx.toJs(api.open_case(req.kind, pyPayload, req.base || "", pyOptions));
    } finally { pyPayload.destroy(); pyOptions.destroy(); }
  }

  function rankFor(focus) {
    if (!focus || !focus.series) return (job) => job.order;
    return (job) => {
      if (job.series !== focus.series) return 1e7 + job.order;
      const d = job.slice - focus.slice;
      return d >= 0 ? d : 0.5 - d * 1.5; // ahead first: people scroll on
    };
  }

  async function openCase({ spec = {}, focus: want = null, options: opts = null } = {}) {
    cancel();
    if (opts) configure(opts);
    ctx.clearPython(); // nothing to clear while Python is still starting
    const myGen = gen;
    let resolve;
    const finished = new Promise((res) => (resolve = res));
    const r = run = { gen: myGen, resolve, queues: [], t0: performance.now(), total: 0, jobsDone: 0, files: 0, loaded: 0, failed: 0, focus: null, timing: {}, want };
    // The queue exists before the plan (a manifest's first instance may start early); nothing reaches Python
    // before the plan is registered, so placeholders are always there first.
    let planReady;
    const planned = new Promise((res) => (planReady = res));
    const q = new FetchQueue({
      ...options, headers: authHeaders, cache,
      onDone: (job, res) => planned.then(() => ctx.enqueue(() => deliver(r, job, res))),
      onFail: (job, err) => planned.then(() => ctx.enqueue(() => fail(r, job, err))),
      onProgress: () => progress(r),
    });
    r.queue = q;
    r.queues.push(q);
    let reg;
    try {
      // A newer case cancels this one while its manifest may still be on the way: stop waiting for it then.
      reg = await Promise.race([plan(spec, r), finished]);
    } catch (e) {
      if (myGen !== gen) return { cancelled: true };
      run = null;
      q.cancel();
      throw { code: e.code || "source", message: e.message || String(e), source: e.source || "" };
    } finally {
      ctx.forgetEarly(); // the plan has asked for what it wanted of the page's early fetches
    }
    if (myGen !== gen) return { cancelled: true };
    if (!reg.ok) { run = null; q.cancel(); throw reg.error; }
    r.timing.planned = performance.now() - r.t0;
    for (const w of reg.warnings || []) emit("warning", { code: "manifest", message: w });
    const series = reg.series || [];
    let focus = null;
    if (want && want.seriesUid) {
      const same = series.filter((s) => s.seriesUid === want.seriesUid);
      const s = same[Math.min(same.length - 1, Number(want.set) || 0)];
      if (s) focus = { series: s.id, slice: Math.max(0, Math.min(s.slices - 1, Number(want.slice) || 0)) };
    }
    const guessed = r.guess ? reg.plan.find((j) => j.url === r.guess) : null;
    if (!focus && guessed && guessed.series) focus = { series: guessed.series, slice: guessed.slice };
    if (!focus && series.length) focus = { series: series[0].id, slice: 0 };
    r.focus = focus;
    r.total = reg.plan.length + (r.guess && !guessed ? 1 : 0);
    emit("case", { kind: reg.kind, series, total: r.total, placeholders: reg.placeholders, focus });
    q.setPriority(rankFor(focus));
    addPlanned(r, q, r.guess ? reg.plan.filter((j) => j.url !== r.guess) : reg.plan);
    planReady();
    // while the first slice is on the network; when it is already here (fetched ahead by the page), parsing it
    // warms the same path, and the warm-up would only hold its image back (~40 ms on a repeat visit)
    if (!(r.guess && cache.has(cacheKey({ url: r.guess, accept: "" })))) warmUp();
    if (!r.total) r.resolve(summary(r));
    return await finished;
  }

  function summary(r) {
    const q = r.queue;
    return {
      total: r.files || r.total, loaded: r.loaded, failed: r.failed, bytes: r.queues.reduce((n, x) => n + x.bytes, 0),
      cachedBytes: q ? q.cachedBytes : 0, ms: performance.now() - r.t0, net: q ? q.stats() : null, timing: r.timing,
    };
  }

  let lastProgress = 0;
  function progress(r, force = false) {
    const now = performance.now();
    if (!force && now - lastProgress < 100) return;
    lastProgress = now;
    const q = r.queue;
    emit("progress", {
      done: r.jobsDone, total: r.total, failed: r.failed, bytes: (q ? q.bytes + q.cachedBytes : 0),
      netBytes: q ? q.bytes : 0, cachedBytes: q ? q.cachedBytes : 0, active: q ? q.active.size : 0,
      ms: now - r.t0,
    });
  }

  function jobDone(r) {
    r.jobsDone++;
    progress(r, r.jobsDone === r.total || r.jobsDone % 8 === 0);
    if (r.jobsDone === r.total && run === r) {
      run = null;
      r.resolve(summary(r));
    }
  }

  function fail(r, job, err) {
    if (r.gen !== gen) return;
    r.failed++; r.files++;
    const info = ctx.toJs(ctx.api().skip(job.url, err.code || "source", err.message));
    emit("skipped", { ...info.error, status: err.status || 0 });
    jobDone(r);
  }

  function deliver(r, job, res) {
    if (r.gen !== gen) return;
    const u8 = new Uint8Array(res.buf);
    if (isZip(u8)) return unzip(r, job, u8);
    r.files++;
    let ok;
    const t = performance.now();
    if (r.timing.firstArrived === undefined) r.timing.firstArrived = t - r.t0;
    if (job.multipart && /^multipart\//i.test(res.contentType)) {
      const out = ctx.toJs(ctx.api().add_multipart(job.url, u8, res.contentType, ""));
      const waits = []; // compressed parts whose first frame waits for its codec (verified, then counted)
      for (const one of out.results) {
        if (one.pending) waits.push(ctx.verify(one)); // its first frame waits for its codec
        if (one.ok || one.pending) emit("added", { series: one.series, new: one.new, source: job.url });
        else if (one.report) emit("report", one.report); // a measurement report: its measurements go on their images
        else if (one.presentation) emit("presentation", one.presentation); // a presentation state: applied to its images
        else emit("skipped", one.error);
      }
      if (!out.results.length && out.error) emit("skipped", out.error);
      ok = waits.length ? Promise.all(waits).then((kept) => out.ok || kept.some(Boolean)) : out.ok;
    } else if (looksLikePage(res.contentType, u8)) {
      const info = ctx.toJs(ctx.api().skip(job.url, "not-dicom",
        `the server sent a web page (${res.contentType.split(";")[0]}), not a DICOM file: is the address right, or does it need a login?`));
      emit("skipped", info.error);
      ok = false;
    } else {
      ok = ctx.addToPython({ name: job.url, buf: res.buf, size: res.bytes, type: res.contentType });
    }
    if (r.timing.firstParsed === undefined) r.timing.firstParsed = performance.now() - r.t0;
    count(r, ok, () => jobDone(r));
  }

  /** Count a file as loaded or failed, then `then()`. addToPython answers a plain image (JPEG/PNG) with a promise:
   * the browser decodes it first, and only its answer says whether it loaded. */
  function count(r, ok, then) {
    const settle = (loaded) => { if (loaded) r.loaded++; else r.failed++; then(); };
    if (ok && typeof ok.then === "function") ok.then(settle, () => settle(false));
    else settle(ok);
  }

  async function unzip(r, job, u8) {
    let entries;
    try {
      entries = zipDirectory(u8);
    } catch (e) {
      return fail(r, job, { code: "zip", message: `not a readable zip: ${e.message || e}` });
    }
    for (const e of entries) {
      const name = `${job.url}#${e.name}`;
      let data;
      try {
        data = await ctx.readMember(e); // the loader's: memory budget and first bytes checked before inflating
      } catch (err) {
        if (r.gen !== gen) return;
        r.files++; r.failed++;
        const info = ctx.toJs(ctx.api().skip(name, err.code, err.message));
        emit("skipped", info.error);
        continue;
      }
      if (r.gen !== gen) return;
      await new Promise((done) => ctx.enqueue(() => {
        if (r.gen !== gen) return done();
        r.files++;
        count(r, ctx.addToPython({ name, buf: data.buffer, size: data.byteLength, type: "" }), done);
      }));
    }
    if (r.gen === gen) jobDone(r);
  }

  function looksLikePage(type, u8) {
    if (!/^(text\/html|application\/(xhtml\+xml|json|problem\+json))/i.test(type || "")) return false;
    return !(u8.length > 132 && u8[128] === 0x44 && u8[129] === 0x49 && u8[130] === 0x43 && u8[131] === 0x4d);
  }

  /** The view moved: fetch what is near the shown slice first. Cheap; called on every render. */
  function focus(state) {
    if (!run || !run.queue || !state || !state.series) return;
    const f = { series: String(state.series), slice: Number(state.slice) || 0 };
    if (run.focus && run.focus.series === f.series && run.focus.slice === f.slice) return;
    run.focus = f;
    run.queue.setPriority(rankFor(f));
  }

  function configure(o = {}) {
    const next = { ...options };
    for (const k of Object.keys(DEFAULTS)) if (o[k] !== undefined) next[k] = Number(o[k]);
    options = next;
    if (o.cacheBytes !== undefined) cache.setBudget(Number(o.cacheBytes) || 0);
    if (run && run.queue) Object.assign(run.queue.opts, new FetchQueue(options).opts);
    return { ...DEFAULTS, ...options, cacheBytes: cache.budget };
  }

  // ---------------------------------------------------------------------------------------------- DICOMweb
  async function search({ root, level = "studies", study = "", series = "", filters = {}, limit = 100, offset = 0 }) {
    const api = ctx.api();
    const f = py(filters || {});
    let made;
    try { made = ctx.toJs(api.dicomweb_search_url(root, level, study, series, f, limit, offset)); } finally { f.destroy(); }
    if (!made.ok) throw made.error;
    const res = await fetchOne(null, made.url, { accept: JSON_ACCEPT, useCache: false });
    const out = ctx.toJs(api.dicomweb_results(text(res), made.url));
    if (!out.ok) throw out.error;
    return out.rows;
  }

  /** A small rendered image of a series or instance where the server offers one: {buf, type} or null. */
  async function thumbnail({ root, study, series = "", instance = "" }) {
    const api = ctx.api();
    const where = ctx.toJs(api.dicomweb_urls(root, study, series, instance));
    if (!where.ok) throw where.error;
    const tries = [where.thumbnail];
    if (where.rendered) tries.push(where.rendered);
    else if (series) {
      try {
        const rows = await search({ root, level: "instances", study, series, limit: 1 });
        if (rows.length && rows[0].SOPInstanceUID) tries.push(`${where.base}/instances/${rows[0].SOPInstanceUID}/rendered`);
      } catch { /* no instance list: no thumbnail */ }
    }
    for (const url of tries) {
      try {
        const res = await fetchOne(null, url, { accept: "image/jpeg" }); // one type: some servers refuse lists here
        if (/^image\//i.test(res.contentType)) return { buf: res.buf, type: res.contentType.split(";")[0] };
      } catch { /* not offered: try the next form */ }
    }
    return null;
  }

  return {
    focus,
    cancel,
    busy: () => run !== null, // a case is being fetched
    cache, // kept downloads: the viewer's memory budget trims it first (app/js/memory.js)
    authHeaders, // the Authorization header when a token is set (net/stow.js sends with it; the token stays here)
    handlers: {
      openCase,
      cancelCase: () => { cancel(); return true; },
      netConfigure: (o) => configure(o || {}),
      netStats: () => ({ queue: run && run.queue ? run.queue.stats() : null, cache: cache.stats(), options: { ...DEFAULTS, ...options } }),
      netClearCache: () => { cache.clear(); return true; },
      setToken: ({ token: t }) => { token = typeof t === "string" ? t.trim() : ""; return { hasToken: !!token }; },
      dicomwebSearch: (args) => search(args || {}),
      dicomwebThumbnail: (args) => thumbnail(args || {}),
      // One file of venos.load([url, …]): the same queue, limits, retries and explanations as a case's slices.
      fetchBytes: (url) => fetchOne(null, String(url)),
      fetchText: async ({ url }) => text(await fetchOne(null, String(url), { accept: "application/json, */*;q=0.5", useCache: false })),
    },
  };
}
