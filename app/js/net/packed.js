// The runtime's largest start-up files as LZMA2 (build.py's PACKED: Pyodide's wasm and standard library), for a
// first visit: fetched as such, decoded as they arrive (./lzma2.js) and handed to Pyodide as the plain file's
// response, whose bytes the worker also keeps in Cache Storage for repeat visits (runtime.js). A gzip host sends
// these two as 3.9 MB, LZMA2 as 2.7 MB: on a 20 Mbit/s link the wasm is in ~0.4 s sooner (docs/benchmarks.md). (The
// page decodes the site's and numpy's copies itself: rpc.js.)

import { checkSha256 } from "./archive.js";
import { Lzma2Decoder } from "./lzma2.js";

/**
 * A Response carrying the decoded bytes of a packed file, streamed as they are decoded (WebAssembly compiles the
 * wasm while its rest is on the way). `fetched`: the promise of the packed file's response (requested before this
 * module arrived); `info`: runtime.json's entry ({url, bytes, rawBytes, sha256, type}). Null when the packed file
 * could not be fetched: the caller then fetches the plain one. Its `packed` ({bytes, rawBytes, listen(fn), outcome})
 * says how many bytes travel, `listen` calls fn(n) as each n arrive, `outcome` resolves with null once the file is
 * whole and checked, or with the error that ended its body ({code: "integrity", message}; code "runtime" when the
 * link failed). The body's last byte is held back until the whole output has the sha256 the build recorded, so a
 * damaged or wrong file errors the body (naming the file) and nothing runs it.
 */
export async function unpacked(fetched, info, base) {
  let res;
  try {
    res = await fetched;
  } catch {
    return null;
  }
  if (!res.ok || !res.body) return null;
  const url = new URL(info.url, base).href;
  const reader = res.body.getReader();
  let controller;
  const body = new ReadableStream({ start(c) { controller = c; }, cancel() { reader.cancel().catch(() => {}); } });
  const decoding = decodeChecked(info, url, (piece) => controller.enqueue(piece));
  // Who counts the bytes on the wire (the progress bar, the pace of the chain of downloads, runtime.js) listens
  // here: the decoded bytes come in bursts, a chunk of LZMA2 at a time, and their rate says nothing of the link's.
  let received = 0;
  let listener = null;
  let settle;
  const outcome = new Promise((resolve) => (settle = resolve)); // null once whole and checked, else the error
  const listen = (fn) => {
    listener = fn;
    if (received) fn(received); // what came before anyone listened: a backlog, as Pace counts it
  };
  (async () => {
    try {
      for (;;) {
        let next;
        try {
          next = await reader.read();
        } catch (e) { // the link, not the file
          throw { code: "runtime", message: `${url}: cannot load it: ${e.message || e}` };
        }
        const { done, value } = next;
        if (done) break;
        received += value.byteLength;
        if (listener) listener(value.byteLength);
        decoding.feed(value);
      }
      await decoding.end();
      controller.close();
      settle(null);
    } catch (e) {
      reader.cancel().catch(() => {});
      const error = e && e.code ? { code: e.code, message: e.message } : { code: "integrity", message: `${url}: ${e.message || e}` };
      controller.error(new Error(error.message));
      settle(error); // Pyodide may not say why its download failed (a standard library it could not read: exit(1))
    }
  })();
  const response = new Response(body, { status: 200, headers: { "Content-Type": info.type || "application/octet-stream" } });
  return Object.assign(response, { packed: { bytes: info.bytes, rawBytes: info.rawBytes, listen, outcome },
    answeredAt: res.answeredAt });
}


/**
 * An LZMA2 copy decoded as its bytes come: feed(chunk) takes the next compressed bytes and hands on the decoded
 * ones (onPiece: views of one buffer); end() hands on the last byte only once the whole output has the build's
 * sha256 (`info.sha256`) and resolves with it. A damaged stream or the wrong file throws {code: "integrity",
 * message} naming `url`. Serves the worker's stream (above) and the page's runtime archives (rpc.js).
 */
export function decodeChecked(info, url, onPiece = () => {}) {
  const decoder = new Lzma2Decoder(info.rawBytes, info.bytes);
  const hold = Math.max(0, info.rawBytes - 1);
  const damaged = (e) => ({ code: "integrity", message: `${url}: ${e.message || e}` });
  let sent = 0;
  return {
    feed(chunk) {
      let upTo;
      try {
        upTo = Math.min(decoder.push(chunk), hold);
      } catch (e) {
        throw damaged(e);
      }
      if (upTo > sent) {
        onPiece(decoder.out.subarray(sent, upTo));
        sent = upTo;
      }
    },
    async end() {
      let out;
      try {
        out = decoder.finish();
      } catch (e) {
        throw damaged(e);
      }
      await checkSha256(out, info.sha256, url);
      if (out.length > sent) onPiece(out.subarray(sent));
      return out;
    },
  };
}
