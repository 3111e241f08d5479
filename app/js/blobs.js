// The bytes of every loaded file, held here in the worker's JavaScript rather than in Python's WebAssembly heap:
// a File stays a File (the browser reads it from disk when a part is asked for), a download or an unzipped member
// stays one ArrayBuffer. Python (venos.blob.JsBlob) reads the part it needs — a header to parse, one frame's
// pixels to show — synchronously, through the module registered as `venos_blobs`. So a series larger than the
// wasm32 address space loads, and only what is shown or cached costs memory in Python.

//
// Bytes held in memory count against the viewer's one memory budget (memory.js): a download or a zip member that
// would pass what the budget leaves is refused (code "memory", naming the figures), never held.

const held = new Map(); // key → {file} | {bytes: Uint8Array}
const buffers = new WeakMap(); // ArrayBuffer → how many held files view it (a cached download may be one of them)
let nextKey = 1;
let reader = null; // FileReaderSync: worker-only, synchronous
let inMemory = 0; // bytes of the held in-memory files
let limit = Infinity; // at most this many bytes in memory (set by memory.js)

const MB = (n) => `${(n / 2 ** 20).toFixed(n < 10 * 2 ** 20 ? 1 : 0)} MB`;

/** The most bytes the loaded files may hold in memory. */
export function setLimit(bytes) { limit = Number.isFinite(bytes) ? Math.max(0, bytes) : Infinity; }

/** Refuse, before reading or inflating it, a file of `size` bytes that would pass the limit. */
export function checkRoom(size) {
  if (size > limit - inMemory) {
    throw { code: "memory", message: `holding its ${MB(size)} would pass the viewer's memory budget (${MB(inMemory)} `
      + `already held by loaded files, ${MB(limit)} allowed): clear the viewer, or raise the budget (venos.setMemoryBudget)` };
  }
}

/** Hold a File, an ArrayBuffer or a Uint8Array; returns {key, size}. In-memory bytes past the limit throw (above). */
export function hold(source) {
  if (typeof File !== "undefined" && source instanceof Blob) {
    const key = nextKey++;
    held.set(key, { file: source });
    return { key, size: source.size };
  }
  const bytes = source instanceof Uint8Array ? source : new Uint8Array(source);
  checkRoom(bytes.byteLength);
  const key = nextKey++;
  held.set(key, { bytes });
  inMemory += bytes.byteLength;
  buffers.set(bytes.buffer, (buffers.get(bytes.buffer) || 0) + 1);
  return { key, size: bytes.byteLength };
}

/** Whether a loaded file views this buffer (its bytes then cost nothing more in a cache that keeps it too). */
export function holds(buffer) { return (buffers.get(buffer) || 0) > 0; }

/** `length` bytes from `offset` of a held file (a view for memory, a fresh buffer for a File). */
export function read(key, offset, length) {
  const h = held.get(key);
  if (!h) throw new Error(`file ${key} is no longer held (the viewer was cleared)`);
  if (h.bytes) return h.bytes.subarray(offset, offset + length);
  reader = reader || new FileReaderSync();
  return new Uint8Array(reader.readAsArrayBuffer(h.file.slice(offset, offset + length)));
}

export function release(key) {
  const h = held.get(key);
  if (!h) return;
  held.delete(key);
  if (h.bytes) {
    inMemory -= h.bytes.byteLength;
    const n = (buffers.get(h.bytes.buffer) || 1) - 1;
    if (n > 0) buffers.set(h.bytes.buffer, n); else buffers.delete(h.bytes.buffer);
  }
}

export function clear() { for (const key of [...held.keys()]) release(key); }

/** Bytes held in memory (Files on disk are not counted: they cost none). */
export function stats() {
  let files = 0;
  for (const h of held.values()) if (!h.bytes) files++;
  return { held: held.size, inMemory: held.size - files, onDisk: files, bytes: inMemory, limit };
}
