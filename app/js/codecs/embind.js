// Adapter for the Emscripten/embind decoders published by Cornerstone: libjpeg-turbo (JPEGDecoder), CharLS
// (JpegLSDecoder), OpenJPEG (J2KDecoder) and OpenJPH (HTJ2KDecoder). They share one shape: copy the encoded
// frame into getEncodedBuffer(n), decode(), read getFrameInfo() and getDecodedBuffer().
//
// The decoded buffer is a view on the module's heap; Python copies it before the next decode, so the decoder of
// the previous call is deleted only when the next one starts (no extra copy here).

const CLASSES = {
  "libjpeg-turbo": "JPEGDecoder",
  charls: "JpegLSDecoder",
  openjpeg: "J2KDecoder",
  openjph: "HTJ2KDecoder",
};

export async function create(name, files) {
  const glue = Object.keys(files).find((f) => f.endsWith(".mjs"));
  const wasm = Object.keys(files).find((f) => f.endsWith(".wasm"));
  if (!glue || !wasm) throw new Error(`${name}: the build ships no .mjs/.wasm pair (${Object.keys(files).join(", ")})`);
  const factory = (await import(files[glue])).default;
  const module = await factory({ locateFile: () => files[wasm], print: () => {}, printErr: (s) => console.warn(`${name}: ${s}`) });
  const Cls = module[CLASSES[name]];
  if (!Cls) throw new Error(`${name}: the module has no ${CLASSES[name]}`);
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
      let planar = 0;
      let rgb = false;
      if (samples > 1) {
        if (name === "charls") planar = d.getInterleaveMode() === 0 ? 1 : 0; // ILV none: one plane per component
        // libjpeg-turbo converts YCbCr to RGB; OpenJPEG/OpenJPH undo the J2K colour transform (YBR_ICT/RCT → RGB)
        if (name === "libjpeg-turbo") rgb = true;
        if ((name === "openjpeg" || name === "openjph") && /^YBR_(ICT|RCT)$/.test(params.photometric)) rgb = true;
      }
      return { data, bits: bytes * 8, planar, rgb };
    },
  };
}
