// Adapter for the native codecs WebAssembly module of the npm package dcmjs-codecs (IJG libjpeg 6b 8/12/16-bit,
// CharLS, OpenJPEG, OpenJPH, RLE, libjxl). The package's own JavaScript needs dcmjs; we only need its C API:
//
//   ctx = CreateCodecsContext(); Set{Columns,Rows,BitsAllocated,BitsStored,SamplesPerPixel,PixelRepresentation,
//   PlanarConfiguration,PhotometricInterpretation}(ctx, v); SetEncodedBufferSize(ctx, n) then copy the frame to
//   GetEncodedBuffer(ctx); par = CreateDecoderParameters(); SetConvertColorspaceToRgb(par, 0); Decode<Codec>(ctx,
//   par); the frame is at GetDecodedBuffer(ctx) (GetDecodedBufferSize bytes); Get*(ctx) describe it.
//
// Errors arrive through the imported env.onCodecsException(ptr, len) callback, which throws.
// Colour is left as encoded (YCbCr stays YCbCr) so pydicom converts it exactly as it does for Pillow/GDCM output.

const PHOTOMETRIC = ["MONOCHROME1", "MONOCHROME2", "PALETTE COLOR", "RGB", "YBR_FULL", "YBR_FULL_422", "YBR_PARTIAL_422",
  "YBR_PARTIAL_420", "YBR_ICT", "YBR_RCT", "CMYK", "ARGB", "HSV", "XYB"];

export async function create(name, files, entry = {}) {
  const functions = entry.entry || {}; // transfer syntax → the C function that decodes it (the codec table)
  const wasmName = Object.keys(files).find((f) => f.endsWith(".wasm"));
  if (!wasmName) throw new Error(`${name}: the build ships no .wasm file`);
  let x = null; // the instance's exports
  const text = (ptr, len) => new TextDecoder().decode(new Uint8Array(x.memory.buffer, ptr, len));
  const view = () => new DataView(x.memory.buffer);
  const imports = {
    env: {
      onCodecsException: (ptr, len) => { throw new Error(text(ptr, len)); },
      onCodecsInfo: () => {},
      onCodecsTrace: () => {},
      emscripten_notify_memory_growth: () => {},
    },
    wasi_snapshot_preview1: {
      proc_exit: (code) => { throw new Error(`${name} exited with code ${code}`); },
      clock_time_get: (id, precision, out) => { view().setBigUint64(out, 0n, true); return 0; },
      environ_sizes_get: (count, size) => { view().setUint32(count, 0, true); view().setUint32(size, 0, true); return 0; },
      environ_get: () => 0,
      fd_close: () => 0,
      fd_seek: () => 0,
      fd_write: (fd, iovs, n, written) => {
        const dv = view();
        let total = 0, s = "";
        for (let i = 0; i < n; i++) {
          const p = dv.getUint32(iovs + 8 * i, true), l = dv.getUint32(iovs + 8 * i + 4, true);
          s += text(p, l);
          total += l;
        }
        if (s.trim()) console.warn(`${name}: ${s.trim()}`);
        dv.setUint32(written, total, true);
        return 0;
      },
    },
  };
  const response = await fetch(files[wasmName]);
  if (!response.ok) throw new Error(`${files[wasmName]}: HTTP ${response.status}`);
  const { instance } = await WebAssembly.instantiate(await response.arrayBuffer(), imports);
  x = instance.exports;
  if (x._initialize) x._initialize();

  let previous = null; // context of the last decode, released when the next one starts
  return {
    decode(src, params) {
      const fn = functions[params.syntax];
      if (!fn || typeof x[fn] !== "function") throw new Error(`${name} does not decode ${params.syntax}`);
      if (previous) { x.ReleaseCodecsContext(previous); previous = null; }
      const ctx = x.CreateCodecsContext();
      previous = ctx;
      x.SetColumns(ctx, params.columns);
      x.SetRows(ctx, params.rows);
      x.SetBitsAllocated(ctx, params.bitsAllocated);
      x.SetBitsStored(ctx, params.bitsStored);
      x.SetSamplesPerPixel(ctx, params.samples);
      x.SetPixelRepresentation(ctx, params.signed);
      x.SetPlanarConfiguration(ctx, params.planar);
      x.SetPhotometricInterpretation(ctx, Math.max(0, PHOTOMETRIC.indexOf(params.photometric)));
      x.SetEncodedBufferSize(ctx, src.length);
      new Uint8Array(x.memory.buffer).set(src, x.GetEncodedBuffer(ctx));
      const par = x.CreateDecoderParameters();
      x.SetConvertColorspaceToRgb(par, 0);
      try {
        x[fn](ctx, par);
      } finally {
        x.ReleaseDecoderParameters(par);
      }
      const size = x.GetDecodedBufferSize(ctx);
      const data = new Uint8Array(x.memory.buffer, x.GetDecodedBuffer(ctx), size);
      const pixels = params.rows * params.columns * params.samples;
      const bits = (size / pixels) * 8;
      const pi = PHOTOMETRIC[x.GetPhotometricInterpretation(ctx)] || params.photometric;
      // OpenJPEG/OpenJPH undo the J2K multi-component transform: YBR_ICT/YBR_RCT come out as RGB
      const mct = /^YBR_(ICT|RCT)$/.test(params.photometric) && /Jpeg2000$/.test(fn);
      return { data, bits, planar: params.samples > 1 ? x.GetPlanarConfiguration(ctx) : 0, rgb: mct || (pi === "RGB" && params.photometric !== "RGB") };
    },
  };
}
