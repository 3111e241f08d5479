// Zip archives unpacked in the browser: the central directory is read here, deflated entries are inflated by the
// browser's own DecompressionStream("deflate-raw") (native code, streaming). Works in the page and in workers.
//
// Limits against hostile archives: entry count, declared total size, and no entry may inflate past its
// declared size. Encrypted entries and methods other than stored (0) and deflate (8) are reported, not guessed.

// Sized so that what an archive may unpack into stays well inside a browser tab: a hostile archive is refused
// before anything is inflated (docs/api.md "Limits"); each member is also stopped if it inflates past its size.
export const MAX_ENTRIES = 20000;
export const MAX_TOTAL = 2 * 1024 ** 3; // all members together
export const MAX_MEMBER = 1024 ** 3; // one member

export function isZip(u8) {
  return u8.length >= 4 && u8[0] === 0x50 && u8[1] === 0x4b && (u8[2] === 0x03 || u8[2] === 0x05) && (u8[3] === 0x04 || u8[3] === 0x06);
}

/** The entries of a zip held in memory: [{name, size, method, read: (onHead?) => Promise<Uint8Array>}] (files
 * only). `onHead(first)`, when given, sees the member's first HEAD_BYTES (or all of a smaller one) as soon as they
 * are inflated, and may throw to stop there: a member that is plainly not wanted is never inflated whole. */
export function zipDirectory(buffer) {
  try {
    return readDirectory(buffer);
  } catch (e) {
    if (e instanceof RangeError) throw new Error("damaged archive: a record points past its end (truncated?)");
    throw e;
  }
}

function readDirectory(buffer) {
  const u8 = buffer instanceof Uint8Array ? buffer : new Uint8Array(buffer);
  const dv = new DataView(u8.buffer, u8.byteOffset, u8.byteLength);
  const eocd = findEocd(u8, dv);
  let count = dv.getUint16(eocd + 10, true);
  let cdSize = dv.getUint32(eocd + 12, true);
  let cdOffset = dv.getUint32(eocd + 16, true);
  if (cdOffset === 0xffffffff || count === 0xffff) {
    const loc = eocd - 20;
    if (loc < 0 || dv.getUint32(loc, true) !== 0x07064b50) throw new Error("zip64 archive without its locator");
    const z = Number(dv.getBigUint64(loc + 8, true));
    if (dv.getUint32(z, true) !== 0x06064b50) throw new Error("zip64 end record not found");
    count = Number(dv.getBigUint64(z + 32, true));
    cdSize = Number(dv.getBigUint64(z + 40, true));
    cdOffset = Number(dv.getBigUint64(z + 48, true));
  }
  if (count > MAX_ENTRIES) throw new Error(`the archive has ${count} entries (at most ${MAX_ENTRIES})`);
  if (cdOffset + cdSize > u8.length) throw new Error("the archive is truncated (central directory past its end)");
  const entries = [];
  let p = cdOffset, total = 0;
  for (let i = 0; i < count; i++) {
    if (dv.getUint32(p, true) !== 0x02014b50) throw new Error("damaged central directory");
    const flags = dv.getUint16(p + 8, true);
    const method = dv.getUint16(p + 10, true);
    let csize = dv.getUint32(p + 20, true);
    let usize = dv.getUint32(p + 24, true);
    const nlen = dv.getUint16(p + 28, true), xlen = dv.getUint16(p + 30, true), clen = dv.getUint16(p + 32, true);
    let local = dv.getUint32(p + 42, true);
    const nameBytes = u8.subarray(p + 46, p + 46 + nlen);
    const name = new TextDecoder(flags & 0x800 ? "utf-8" : "latin1").decode(nameBytes);
    // zip64 extra field: the 0xffffffff sizes/offset follow in order
    let x = p + 46 + nlen;
    const xend = x + xlen;
    while (x + 4 <= xend) {
      const id = dv.getUint16(x, true), len = dv.getUint16(x + 2, true);
      if (id === 0x0001) {
        let q = x + 4;
        if (usize === 0xffffffff) { usize = Number(dv.getBigUint64(q, true)); q += 8; }
        if (csize === 0xffffffff) { csize = Number(dv.getBigUint64(q, true)); q += 8; }
        if (local === 0xffffffff) { local = Number(dv.getBigUint64(q, true)); }
      }
      x += 4 + len;
    }
    p = xend + clen;
    if (name.endsWith("/")) continue;
    if (usize > MAX_MEMBER) throw new Error(`${name} would unpack to ${(usize / 1024 ** 2).toFixed(0)} MB (at most ${MAX_MEMBER / 1024 ** 2} MB per file)`);
    total += usize;
    if (total > MAX_TOTAL) throw new Error(`the archive would unpack to more than ${MAX_TOTAL / 1024 ** 3} GB`);
    entries.push({ name, size: usize, method, encrypted: !!(flags & 1), read: (onHead) => readEntry(u8, dv, local, csize, usize, method, flags, name, onHead) });
  }
  return entries;
}

function findEocd(u8, dv) {
  const stop = Math.max(0, u8.length - 22 - 65535);
  for (let i = u8.length - 22; i >= stop; i--) {
    if (u8[i] === 0x50 && dv.getUint32(i, true) === 0x06054b50) return i;
  }
  throw new Error("not a zip archive, or truncated (no end of central directory)");
}

const HEAD_BYTES = 16 * 1024;

async function readEntry(u8, dv, local, csize, usize, method, flags, name, onHead) {
  if (flags & 1) throw new Error(`${name}: encrypted entries are not supported`);
  if (dv.getUint32(local, true) !== 0x04034b50) throw new Error(`${name}: damaged local header`);
  const start = local + 30 + dv.getUint16(local + 26, true) + dv.getUint16(local + 28, true);
  const data = u8.subarray(start, start + csize);
  if (data.length < csize) throw new Error(`${name}: truncated`);
  if (method === 0) {
    if (onHead) onHead(data.subarray(0, HEAD_BYTES));
    return data.slice();
  }
  if (method !== 8) throw new Error(`${name}: compression method ${method} is not supported (only stored and deflate)`);
  return await inflateRaw(data, usize, name, onHead);
}

async function inflateRaw(data, expected, name, onHead) {
  // The compressed bytes go in 16 kB at a time, each only once the inflated bytes before it were taken: a deflate
  // stream of zeros inflates ~1000:1 (16 MB per step), and a transform handed the whole member at once would inflate it all
  // before anyone could stop it.
  const ds = new DecompressionStream("deflate-raw");
  const writer = ds.writable.getWriter();
  const reader = ds.readable.getReader();
  let stopped = false;
  (async () => {
    try {
      for (let i = 0; i < data.length && !stopped; i += 16384) {
        await writer.ready;
        await writer.write(data.subarray(i, i + 16384));
      }
      if (!stopped) await writer.close();
    } catch { /* a damaged stream: the reader below reports it */ }
  })();
  const stop = () => { stopped = true; reader.cancel().catch(() => {}); };
  // The first bytes go to a small buffer, shown to onHead; the member's full size is allocated only once they pass.
  const headLen = Math.min(expected, HEAD_BYTES);
  const head = new Uint8Array(headLen);
  let out = headLen === expected ? head : null;
  let n = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    if (n + value.length > expected) {
      stop();
      throw new Error(`${name}: inflates past its declared size (${expected} bytes): damaged or hostile archive`);
    }
    let v = value;
    if (n < headLen) {
      const k = Math.min(headLen - n, v.length);
      head.set(v.subarray(0, k), n);
      n += k;
      v = v.subarray(k);
      if (n === headLen) {
        if (onHead) {
          try { onHead(head); } catch (e) { stop(); throw e; }
        }
        if (!out) { out = new Uint8Array(expected); out.set(head); }
      }
    }
    if (v.length) { out.set(v, n); n += v.length; }
  }
  if (n !== expected) throw new Error(`${name}: inflated to ${n} bytes, ${expected} declared (damaged archive)`);
  return out;
}
