// The codec worker: decodes compressed frames for the Python worker (app/js/codecs.js), off its thread. It loads a
// codec's adapter when told to, then answers one decode at a time. The Python worker gives each decode a time
// budget and, past it, terminates this worker and starts a new one: a codec stuck on hostile bytes costs that
// frame, never the viewer.

const ADAPTERS = { // the adapter modules there are (a codec table entry names one of them)
  embind: "./codecs/embind.js",
  dcmjs: "./codecs/dcmjs.js",
};
const impls = new Map(); // codec name → {decode}

const reply = (msg, transfer) => self.postMessage(msg, transfer || []);
const reason = (e) => String((e && e.message) || e);

self.onmessage = async ({ data: m }) => {
  if (m.op === "load") {
    try {
      if (!impls.has(m.name)) {
        const path = ADAPTERS[m.entry.adapter];
        if (!path) throw new Error(`the codec table names an adapter this build has not (${m.entry.adapter})`);
        const adapter = await import(path);
        impls.set(m.name, await adapter.create(m.name, m.files, m.entry));
      }
      reply({ id: m.id, ok: true });
    } catch (e) {
      reply({ id: m.id, error: reason(e) });
    }
  } else if (m.op === "decode") {
    try {
      const impl = impls.get(m.name);
      if (!impl) throw new Error(`the ${m.name} decoder is not loaded in the codec worker`);
      const t0 = performance.now();
      const out = impl.decode(m.src, m.params);
      const ms = performance.now() - t0;
      const data = out.data.slice(); // the adapter's view on its heap, copied out to travel
      reply({ id: m.id, data, bits: out.bits, planar: out.planar, rgb: out.rgb, ms }, [data.buffer]);
    } catch (e) {
      reply({ id: m.id, error: reason(e) });
    }
  }
};
