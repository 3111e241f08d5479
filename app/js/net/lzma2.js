// An LZMA2 decoder (the raw chunk stream that `xz` wraps; Python's lzma module writes it with FORMAT_RAW), for the
// runtime's largest files: a gzip host sends Pyodide's wasm as 3.2 MB, LZMA2 as 2.2 MB (docs/decisions.md,
// "A smaller runtime on the wire"). Browsers decompress only gzip and deflate themselves (DecompressionStream), so
// this is the viewer's own, written from the format's description (the LZMA specification in the LZMA SDK, xz's
// LZMA2 chunk headers).
//
// It decodes as the bytes arrive: `push()` decodes every chunk whose bytes are all in (an LZMA2 chunk holds at most
// 64 KiB of compressed data and restarts its range coder), so decoding overlaps the download and the consumer
// (WebAssembly's streaming compiler) gets the output in pieces. The output size is known beforehand (the build
// records it): one buffer holds the whole output, which is also the dictionary.

const PROBS_INIT = 1024; // ½ in 11-bit probabilities
const LIT_SIZE = 0x300;
// offsets into one Uint16Array of probabilities (the LZMA specification's decoder state)
const IS_MATCH = 0; // [12 states][16 posStates]
const IS_REP = 192;
const IS_REP_G0 = 204;
const IS_REP_G1 = 216;
const IS_REP_G2 = 228;
const IS_REP0_LONG = 240; // [12][16]
const POS_SLOT = 432; // [4 len states][64]
const SPEC_POS = 688; // 114 + 1 (bit-tree indices start at 1)
const ALIGN = 803; // 16
const LEN = 819; // a length coder: choice, choice2, low [16][8], mid [16][8], high [256] = 514
const REP_LEN = LEN + 514;
const LITERAL = REP_LEN + 514; // [1 << (lc + lp)][0x300]
const L_CHOICE = 0;
const L_CHOICE2 = 1;
const L_LOW = 2;
const L_MID = 130;
const L_HIGH = 258;

export class Lzma2Error extends Error {}

export class Lzma2Decoder {
  /** @param {number} outSize bytes the stream decodes to; @param {number} [inSize] its compressed size, if known */
  constructor(outSize, inSize = 0) {
    this.out = new Uint8Array(outSize);
    this.outPos = 0;
    this.input = new Uint8Array(inSize || 1 << 16);
    this.inLen = 0; // bytes received
    this.inPos = 0; // start of the next chunk
    this.ended = false;
    this.needDictReset = true;
    this.needProps = true;
    this.dictStart = 0; // output position of the last dictionary reset
    this.probs = null;
    this.lc = 0;
    this.lp = 0;
    this.pb = 0;
    this.state = 0;
    this.reps = [0, 0, 0, 0];
    // range coder
    this.range = 0;
    this.code = 0;
    this.ip = 0;
  }

  /** Take the next compressed bytes and decode every chunk now complete. Returns the output decoded so far. */
  push(bytes) {
    if (this.ended) {
      if (bytes.length) throw new Lzma2Error("data after the end of the LZMA2 stream");
      return this.outPos;
    }
    if (this.inLen + bytes.length > this.input.length) {
      const grown = new Uint8Array(Math.max(this.input.length * 2, this.inLen + bytes.length));
      grown.set(this.input.subarray(0, this.inLen));
      this.input = grown;
    }
    this.input.set(bytes, this.inLen);
    this.inLen += bytes.length;
    while (!this.ended && this.chunk());
    return this.outPos;
  }

  /** The whole output; throws unless the stream ended where it should. */
  finish() {
    if (!this.ended) throw new Lzma2Error(`the LZMA2 stream is cut short (${this.inLen} bytes read)`);
    if (this.outPos !== this.out.length) {
      throw new Lzma2Error(`the LZMA2 stream decodes to ${this.outPos} bytes, ${this.out.length} expected`);
    }
    return this.out;
  }

  /** Decode the chunk at inPos if all of it is in; false when it is not (yet). */
  chunk() {
    const inp = this.input;
    const p = this.inPos;
    const avail = this.inLen - p;
    if (avail < 1) return false;
    const control = inp[p];
    if (control === 0) {
      this.ended = true;
      this.inPos = p + 1;
      if (this.inPos !== this.inLen) throw new Lzma2Error("data after the end of the LZMA2 stream");
      return false;
    }
    if (control === 1 || control === 2) { // stored bytes (1: after a dictionary reset)
      if (avail < 3) return false;
      const size = ((inp[p + 1] << 8) | inp[p + 2]) + 1;
      if (avail < 3 + size) return false;
      if (control === 1) this.resetDict();
      else if (this.needDictReset) throw new Lzma2Error("LZMA2 stream does not start with a dictionary reset");
      this.room(size);
      this.out.set(inp.subarray(p + 3, p + 3 + size), this.outPos);
      this.outPos += size;
      this.inPos = p + 3 + size;
      return true;
    }
    if (control < 0x80) throw new Lzma2Error(`invalid LZMA2 control byte 0x${control.toString(16)}`);
    const reset = (control >> 5) & 3; // 0 nothing, 1 state, 2 state + properties, 3 + dictionary
    const head = reset >= 2 ? 6 : 5;
    if (avail < head) return false;
    const unpacked = ((control & 0x1f) << 16) + (inp[p + 1] << 8) + inp[p + 2] + 1;
    const packed = (inp[p + 3] << 8) + inp[p + 4] + 1;
    if (avail < head + packed) return false;
    if (reset === 3) this.resetDict();
    else if (this.needDictReset) throw new Lzma2Error("LZMA2 stream does not start with a dictionary reset");
    if (reset >= 2) this.setProps(inp[p + 5]);
    else if (this.needProps) throw new Lzma2Error("LZMA2 chunk without properties");
    if (reset >= 1) this.resetState();
    this.room(unpacked);
    this.ip = p + head;
    this.initRange();
    this.decode(this.outPos + unpacked);
    // a chunk's range coder ends on a zero code, having read exactly the chunk's bytes
    if (this.ip !== p + head + packed || this.code !== 0) throw new Lzma2Error("corrupt LZMA2 chunk (its end)");
    this.inPos = p + head + packed;
    return true;
  }

  room(n) {
    if (this.outPos + n > this.out.length) {
      throw new Lzma2Error(`the LZMA2 stream decodes to more than the ${this.out.length} bytes expected`);
    }
  }

  resetDict() {
    this.needDictReset = false;
    this.dictStart = this.outPos;
  }

  setProps(byte) {
    if (byte > 224) throw new Lzma2Error("invalid LZMA properties");
    const lc = byte % 9;
    const rest = (byte / 9) | 0;
    const lp = rest % 5;
    const pb = (rest / 5) | 0;
    if (lc + lp > 4) throw new Lzma2Error("invalid LZMA2 properties (lc + lp > 4)");
    this.lc = lc;
    this.lp = lp;
    this.pb = pb;
    this.needProps = false;
    const size = LITERAL + (LIT_SIZE << (lc + lp));
    if (!this.probs || this.probs.length !== size) this.probs = new Uint16Array(size);
  }

  resetState() {
    this.probs.fill(PROBS_INIT);
    this.state = 0;
    this.reps[0] = this.reps[1] = this.reps[2] = this.reps[3] = 0;
  }

  initRange() {
    const inp = this.input;
    let ip = this.ip;
    if (inp[ip] !== 0) throw new Lzma2Error("corrupt LZMA2 chunk (range coder)");
    this.code = (inp[ip + 1] << 24) | (inp[ip + 2] << 16) | (inp[ip + 3] << 8) | inp[ip + 4];
    this.range = -1; // 0xffffffff
    this.ip = ip + 5;
  }

  /** Decode LZMA symbols until the output reaches `end` (a chunk's uncompressed size; LZMA2 has no end marker).
   * The range decoder lives in local variables and its bit decoding is written out where it is used (each block
   * that sets b from probs[i]): this loop decodes ~10 MB of wasm per download, and a method or a closure per bit
   * ran it at half to two thirds of the speed (measured under Node 20). */
  decode(end) {
    const MIN = -0x80000000; // the range coder's two 32-bit registers are kept as int32 bit patterns, compared
    // unsigned by flipping their top bits: V8 keeps them in integer registers
    const out = this.out;
    const probs = this.probs;
    const inp = this.input;
    const lc = this.lc;
    const lpMask = (1 << this.lp) - 1;
    const pbMask = (1 << this.pb) - 1;
    const dictStart = this.dictStart;
    const reps = this.reps;
    let state = this.state;
    let rep0 = reps[0];
    let rep1 = reps[1];
    let rep2 = reps[2];
    let rep3 = reps[3];
    let pos = this.outPos;
    let range = this.range;
    let code = this.code;
    let ip = this.ip;
    let i = 0;
    let b = 0;
    let p = 0;
    let bound = 0;
    let m = 0;
    while (pos < end) {
      const rel = pos - dictStart;
      const posState = rel & pbMask;
      i = IS_MATCH + (state << 4) + posState;
      p = probs[i];
      bound = Math.imul(range >>> 11, p);
      if ((code ^ MIN) < (bound ^ MIN)) { range = bound; probs[i] = p + ((2048 - p) >> 5); b = 0; }
      else { range = (range - bound) | 0; code = (code - bound) | 0; probs[i] = p - (p >> 5); b = 1; }
      if (range >>> 24 === 0) { range <<= 8; code = (code << 8) | inp[ip++]; }
      if (b === 0) { // a literal
        const prev = rel > 0 ? out[pos - 1] : 0;
        const base = LITERAL + LIT_SIZE * (((rel & lpMask) << lc) + (prev >>> (8 - lc)));
        let sym = 1;
        if (state >= 7) { // after a match: the byte at the last distance predicts this one's bits
          if (rep0 >= rel) throw new Lzma2Error("corrupt LZMA2 data (a distance before the dictionary)");
          let match = out[pos - rep0 - 1];
          while (sym < 0x100) {
            const mb = (match >>> 7) & 1;
            match <<= 1;
          i = base + ((1 + mb) << 8) + sym;
          p = probs[i];
          bound = Math.imul(range >>> 11, p);
          if ((code ^ MIN) < (bound ^ MIN)) { range = bound; probs[i] = p + ((2048 - p) >> 5); b = 0; }
          else { range = (range - bound) | 0; code = (code - bound) | 0; probs[i] = p - (p >> 5); b = 1; }
          if (range >>> 24 === 0) { range <<= 8; code = (code << 8) | inp[ip++]; }
            sym = (sym << 1) | b;
            if (mb !== b) break;
          }
        }
        while (sym < 0x100) {
          i = base + sym;
          p = probs[i];
          bound = Math.imul(range >>> 11, p);
          if ((code ^ MIN) < (bound ^ MIN)) { range = bound; probs[i] = p + ((2048 - p) >> 5); b = 0; }
          else { range = (range - bound) | 0; code = (code - bound) | 0; probs[i] = p - (p >> 5); b = 1; }
          if (range >>> 24 === 0) { range <<= 8; code = (code << 8) | inp[ip++]; }
          sym = (sym << 1) | b;
        }
        out[pos++] = sym & 0xff;
        state = state < 4 ? 0 : state < 10 ? state - 3 : state - 6;
        continue;
      }
      let len = 0;
      i = IS_REP + state;
      p = probs[i];
      bound = Math.imul(range >>> 11, p);
      if ((code ^ MIN) < (bound ^ MIN)) { range = bound; probs[i] = p + ((2048 - p) >> 5); b = 0; }
      else { range = (range - bound) | 0; code = (code - bound) | 0; probs[i] = p - (p >> 5); b = 1; }
      if (range >>> 24 === 0) { range <<= 8; code = (code << 8) | inp[ip++]; }
      if (b === 0) { // a match at a new distance
        rep3 = rep2;
        rep2 = rep1;
        rep1 = rep0;
        i = LEN + L_CHOICE;
        p = probs[i];
        bound = Math.imul(range >>> 11, p);
        if ((code ^ MIN) < (bound ^ MIN)) { range = bound; probs[i] = p + ((2048 - p) >> 5); b = 0; }
        else { range = (range - bound) | 0; code = (code - bound) | 0; probs[i] = p - (p >> 5); b = 1; }
        if (range >>> 24 === 0) { range <<= 8; code = (code << 8) | inp[ip++]; }
        if (b === 0) {
          m = 1;
          for (let k = 0; k < 3; k++) {
            i = LEN + L_LOW + (posState << 3) + m;
            p = probs[i];
            bound = Math.imul(range >>> 11, p);
            if ((code ^ MIN) < (bound ^ MIN)) { range = bound; probs[i] = p + ((2048 - p) >> 5); b = 0; }
            else { range = (range - bound) | 0; code = (code - bound) | 0; probs[i] = p - (p >> 5); b = 1; }
            if (range >>> 24 === 0) { range <<= 8; code = (code << 8) | inp[ip++]; }
            m = (m << 1) | b;
          }
          len = m - 8;
        } else {
          i = LEN + L_CHOICE2;
          p = probs[i];
          bound = Math.imul(range >>> 11, p);
          if ((code ^ MIN) < (bound ^ MIN)) { range = bound; probs[i] = p + ((2048 - p) >> 5); b = 0; }
          else { range = (range - bound) | 0; code = (code - bound) | 0; probs[i] = p - (p >> 5); b = 1; }
          if (range >>> 24 === 0) { range <<= 8; code = (code << 8) | inp[ip++]; }
          if (b === 0) {
            m = 1;
            for (let k = 0; k < 3; k++) {
              i = LEN + L_MID + (posState << 3) + m;
              p = probs[i];
              bound = Math.imul(range >>> 11, p);
              if ((code ^ MIN) < (bound ^ MIN)) { range = bound; probs[i] = p + ((2048 - p) >> 5); b = 0; }
              else { range = (range - bound) | 0; code = (code - bound) | 0; probs[i] = p - (p >> 5); b = 1; }
              if (range >>> 24 === 0) { range <<= 8; code = (code << 8) | inp[ip++]; }
              m = (m << 1) | b;
            }
            len = m - 8;
            len += 8;
          } else {
            m = 1;
            for (let k = 0; k < 8; k++) {
              i = LEN + L_HIGH + m;
              p = probs[i];
              bound = Math.imul(range >>> 11, p);
              if ((code ^ MIN) < (bound ^ MIN)) { range = bound; probs[i] = p + ((2048 - p) >> 5); b = 0; }
              else { range = (range - bound) | 0; code = (code - bound) | 0; probs[i] = p - (p >> 5); b = 1; }
              if (range >>> 24 === 0) { range <<= 8; code = (code << 8) | inp[ip++]; }
              m = (m << 1) | b;
            }
            len = m - 256;
            len += 16;
          }
        }
        state = state < 7 ? 7 : 10;
        let slot = 0;
        m = 1;
        for (let k = 0; k < 6; k++) {
          i = POS_SLOT + ((len < 3 ? len : 3) << 6) + m;
          p = probs[i];
          bound = Math.imul(range >>> 11, p);
          if ((code ^ MIN) < (bound ^ MIN)) { range = bound; probs[i] = p + ((2048 - p) >> 5); b = 0; }
          else { range = (range - bound) | 0; code = (code - bound) | 0; probs[i] = p - (p >> 5); b = 1; }
          if (range >>> 24 === 0) { range <<= 8; code = (code << 8) | inp[ip++]; }
          m = (m << 1) | b;
        }
        slot = m - 64;
        if (slot < 4) rep0 = slot;
        else {
          const nd = (slot >>> 1) - 1;
          let dist = ((2 | (slot & 1)) << nd) >>> 0;
          let low = 0;
          if (slot < 14) {
            m = 1;
            low = 0;
            for (let k = 0; k < nd; k++) {
              i = SPEC_POS + dist - slot + m;
              p = probs[i];
              bound = Math.imul(range >>> 11, p);
              if ((code ^ MIN) < (bound ^ MIN)) { range = bound; probs[i] = p + ((2048 - p) >> 5); b = 0; }
              else { range = (range - bound) | 0; code = (code - bound) | 0; probs[i] = p - (p >> 5); b = 1; }
              if (range >>> 24 === 0) { range <<= 8; code = (code << 8) | inp[ip++]; }
              m = (m << 1) | b;
              low |= b << k;
            }
          } else {
            for (let k = nd - 4; k > 0; k--) { // bits with probability ½
              range >>>= 1;
              let d = 0;
              if ((code ^ MIN) >= (range ^ MIN)) { code = (code - range) | 0; d = 1; }
              low = ((low << 1) | d) >>> 0;
              if (range >>> 24 === 0) { range <<= 8; code = (code << 8) | inp[ip++]; }
            }
            dist = (dist + low * 16) >>> 0;
            m = 1;
            low = 0;
            for (let k = 0; k < 4; k++) {
              i = ALIGN + m;
              p = probs[i];
              bound = Math.imul(range >>> 11, p);
              if ((code ^ MIN) < (bound ^ MIN)) { range = bound; probs[i] = p + ((2048 - p) >> 5); b = 0; }
              else { range = (range - bound) | 0; code = (code - bound) | 0; probs[i] = p - (p >> 5); b = 1; }
              if (range >>> 24 === 0) { range <<= 8; code = (code << 8) | inp[ip++]; }
              m = (m << 1) | b;
              low |= b << k;
            }
          }
          rep0 = (dist + low) >>> 0;
          if (rep0 === 0xffffffff) throw new Lzma2Error("corrupt LZMA2 data (an end marker inside a chunk)");
        }
      } else { // a match at one of the last four distances
        i = IS_REP_G0 + state;
        p = probs[i];
        bound = Math.imul(range >>> 11, p);
        if ((code ^ MIN) < (bound ^ MIN)) { range = bound; probs[i] = p + ((2048 - p) >> 5); b = 0; }
        else { range = (range - bound) | 0; code = (code - bound) | 0; probs[i] = p - (p >> 5); b = 1; }
        if (range >>> 24 === 0) { range <<= 8; code = (code << 8) | inp[ip++]; }
        if (b === 0) {
          i = IS_REP0_LONG + (state << 4) + posState;
          p = probs[i];
          bound = Math.imul(range >>> 11, p);
          if ((code ^ MIN) < (bound ^ MIN)) { range = bound; probs[i] = p + ((2048 - p) >> 5); b = 0; }
          else { range = (range - bound) | 0; code = (code - bound) | 0; probs[i] = p - (p >> 5); b = 1; }
          if (range >>> 24 === 0) { range <<= 8; code = (code << 8) | inp[ip++]; }
          if (b === 0) { // one byte at the last distance
            if (rep0 >= rel) throw new Lzma2Error("corrupt LZMA2 data (a distance before the dictionary)");
            state = state < 7 ? 9 : 11;
            out[pos] = out[pos - rep0 - 1];
            pos++;
            continue;
          }
        } else {
          let dist;
          i = IS_REP_G1 + state;
          p = probs[i];
          bound = Math.imul(range >>> 11, p);
          if ((code ^ MIN) < (bound ^ MIN)) { range = bound; probs[i] = p + ((2048 - p) >> 5); b = 0; }
          else { range = (range - bound) | 0; code = (code - bound) | 0; probs[i] = p - (p >> 5); b = 1; }
          if (range >>> 24 === 0) { range <<= 8; code = (code << 8) | inp[ip++]; }
          if (b === 0) dist = rep1;
          else {
            i = IS_REP_G2 + state;
            p = probs[i];
            bound = Math.imul(range >>> 11, p);
            if ((code ^ MIN) < (bound ^ MIN)) { range = bound; probs[i] = p + ((2048 - p) >> 5); b = 0; }
            else { range = (range - bound) | 0; code = (code - bound) | 0; probs[i] = p - (p >> 5); b = 1; }
            if (range >>> 24 === 0) { range <<= 8; code = (code << 8) | inp[ip++]; }
            if (b === 0) dist = rep2;
            else {
              dist = rep3;
              rep3 = rep2;
            }
            rep2 = rep1;
          }
          rep1 = rep0;
          rep0 = dist;
        }
        i = REP_LEN + L_CHOICE;
        p = probs[i];
        bound = Math.imul(range >>> 11, p);
        if ((code ^ MIN) < (bound ^ MIN)) { range = bound; probs[i] = p + ((2048 - p) >> 5); b = 0; }
        else { range = (range - bound) | 0; code = (code - bound) | 0; probs[i] = p - (p >> 5); b = 1; }
        if (range >>> 24 === 0) { range <<= 8; code = (code << 8) | inp[ip++]; }
        if (b === 0) {
          m = 1;
          for (let k = 0; k < 3; k++) {
            i = REP_LEN + L_LOW + (posState << 3) + m;
            p = probs[i];
            bound = Math.imul(range >>> 11, p);
            if ((code ^ MIN) < (bound ^ MIN)) { range = bound; probs[i] = p + ((2048 - p) >> 5); b = 0; }
            else { range = (range - bound) | 0; code = (code - bound) | 0; probs[i] = p - (p >> 5); b = 1; }
            if (range >>> 24 === 0) { range <<= 8; code = (code << 8) | inp[ip++]; }
            m = (m << 1) | b;
          }
          len = m - 8;
        } else {
          i = REP_LEN + L_CHOICE2;
          p = probs[i];
          bound = Math.imul(range >>> 11, p);
          if ((code ^ MIN) < (bound ^ MIN)) { range = bound; probs[i] = p + ((2048 - p) >> 5); b = 0; }
          else { range = (range - bound) | 0; code = (code - bound) | 0; probs[i] = p - (p >> 5); b = 1; }
          if (range >>> 24 === 0) { range <<= 8; code = (code << 8) | inp[ip++]; }
          if (b === 0) {
            m = 1;
            for (let k = 0; k < 3; k++) {
              i = REP_LEN + L_MID + (posState << 3) + m;
              p = probs[i];
              bound = Math.imul(range >>> 11, p);
              if ((code ^ MIN) < (bound ^ MIN)) { range = bound; probs[i] = p + ((2048 - p) >> 5); b = 0; }
              else { range = (range - bound) | 0; code = (code - bound) | 0; probs[i] = p - (p >> 5); b = 1; }
              if (range >>> 24 === 0) { range <<= 8; code = (code << 8) | inp[ip++]; }
              m = (m << 1) | b;
            }
            len = m - 8;
            len += 8;
          } else {
            m = 1;
            for (let k = 0; k < 8; k++) {
              i = REP_LEN + L_HIGH + m;
              p = probs[i];
              bound = Math.imul(range >>> 11, p);
              if ((code ^ MIN) < (bound ^ MIN)) { range = bound; probs[i] = p + ((2048 - p) >> 5); b = 0; }
              else { range = (range - bound) | 0; code = (code - bound) | 0; probs[i] = p - (p >> 5); b = 1; }
              if (range >>> 24 === 0) { range <<= 8; code = (code << 8) | inp[ip++]; }
              m = (m << 1) | b;
            }
            len = m - 256;
            len += 16;
          }
        }
        state = state < 7 ? 8 : 11;
      }
      len += 2;
      if (rep0 >= rel) throw new Lzma2Error("corrupt LZMA2 data (a distance before the dictionary)");
      if (pos + len > end) throw new Lzma2Error("corrupt LZMA2 data (a match past the chunk's end)");
      let src = pos - rep0 - 1;
      const stop = pos + len;
      while (pos < stop) out[pos++] = out[src++];
    }
    this.state = state;
    reps[0] = rep0;
    reps[1] = rep1;
    reps[2] = rep2;
    reps[3] = rep3;
    this.outPos = pos;
    this.range = range;
    this.code = code;
    this.ip = ip;
  }
}
