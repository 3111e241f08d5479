// The bytes of every loaded file, held here in the worker's JavaScript rather than in Python's WebAssembly heap:
// a File stays a File (the browser reads it from disk when a part is asked for), a download or an unzipped member
// stays one ArrayBuffer. Python (venos.blob.JsBlob) reads the part it needs — a header to parse, one frame's
// pixels to show — synchronously, through the module registered as `venos_blobs`. So a series larger than the
// wasm32 address space loads, and only what is shown or cached costs memory in Python.

const held = new Map(); // key → {file} | {bytes: Uint8Array}
let nextKey = 1;
let reader = null; // FileReaderSync: worker-only, synchronous

/** Hold a File, an ArrayBuffer or a Uint8Array; returns {key, size}. */
export function hold(source) {
  const key = nextKey++;
  if (typeof File !== "undefined" && source instanceof Blob) {
    held.set(key, { file: source });
    return { key, size: source.size };
  }
  const bytes = source instanceof Uint8Array ? source : new Uint8Array(source);
  held.set(key, { bytes });
  return { key, size: bytes.byteLength };
}

/** `length` bytes from `offset` of a held file (a view for memory, a fresh buffer for a File). */
export function read(key, offset, length) {
  const h = held.get(key);
  if (!h) throw new Error(`file ${key} is no longer held (the viewer was cleared)`);
  if (h.bytes) return h.bytes.subarray(offset, offset + length);
  reader = reader || new FileReaderSync();
  return new Uint8Array(reader.readAsArrayBuffer(h.file.slice(offset, offset + length)));
}

export function release(key) { held.delete(key); }

export function clear() { held.clear(); }

/** Bytes held in memory (Files on disk are not counted: they cost none). */
export function stats() {
  let bytes = 0, files = 0, inMemory = 0;
  for (const h of held.values()) {
    if (h.bytes) { bytes += h.bytes.byteLength; inMemory++; } else files++;
  }
  return { held: held.size, inMemory, onDisk: files, bytes };
}
