// Adapter for the Emscripten/embind decoders published by Cornerstone (libjpeg-turbo, CharLS, OpenJPEG, OpenJPH).
// They share one shape: copy the encoded frame into getEncodedBuffer(n), decode(), read getFrameInfo() and
// getDecodedBuffer(). The codec table entry says which class the module exports ("class") and what its output
// holds for colour images ("colour": rgb, j2k-mct or interleave-mode; see app/py/venos/pixels/codecs.json).
//
// The decoded buffer is a view on the module's heap; Python copies it before the next decode, so the decoder of
// the previous call is deleted only when the next one starts (no extra copy here).

const COLOUR = {
  rgb: () => ({ planar: 0, rgb: true }), // converts YCbCr to RGB itself
  "j2k-mct": (d, params) => ({ planar: 0, rgb: /^YBR_(ICT|RCT)$/.test(params.photometric) }), // undoes the J2K transform
  "interleave-mode": (d) => ({ planar: d.getInterleaveMode() === 0 ? 1 : 0, rgb: false }), // ILV none: one plane each
};

export async function create(name, files, entry = {}) {
  const colour = COLOUR[entry.colour];
  if (!colour) throw new Error(`${name}: the codec table gives no known colour rule (${entry.colour})`);
  const glue = Object.keys(files).find((f) => f.endsWith(".mjs"));
  const wasm = Object.keys(files).find((f) => f.endsWith(".wasm"));
  if (!glue || !wasm) throw new Error(`${name}: the build ships no .mjs/.wasm pair (${Object.keys(files).join(", ")})`);
  const factory = (await import(files[glue])).default;
  const module = await factory({ locateFile: () => files[wasm], print: () => {}, printErr: (s) => console.warn(`${name}: ${s}`) });
  const Cls = module[entry.class];
  if (!Cls) throw new Error(`${name}: the module has no ${entry.class}`);
  let previous = null;
  return {
    decode(src, params) {
      if (previous) { previous.delete(); previous = null; }
      const d = new Cls();
      previous = d;
      d.getEncodedBuffer(src.length).set(src);
      try {
        d.decode();
      } catch (e) {
        const why = typeof e === "number" && d.getExceptionMessage ? d.getExceptionMessage(e) : (e && e.message) || String(e);
        throw new Error(`${name} could not decode the frame: ${why}`);
      }
      const info = d.getFrameInfo();
      const data = d.getDecodedBuffer();
      const samples = info.componentCount || 1;
      const bytes = data.length / (info.width * info.height * samples);
      if (info.width !== params.columns || info.height !== params.rows) {
        throw new Error(`${name}: the frame is ${info.width}×${info.height}, the dataset says ${params.columns}×${params.rows}`);
      }
      const { planar, rgb } = samples > 1 ? colour(d, params) : { planar: 0, rgb: false };
      return { data, bits: bytes * 8, planar, rgb };
    },
  };
}
