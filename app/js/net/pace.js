// When to ask for the next download of a chain, so that the link never idles and never splits between two files.
//
// The start-up needs its files in an order (the wasm, then the Python site, then numpy, then a shared case's first
// slice) and each is needed only once the one before has been used. Asked all at once they share the link and every
// one of them arrives late; asked one after the other the link idles for a round trip between them. A Pace watches one
// download and says when the bytes still to come take no longer than a request takes to bring its first byte: the
// next request, asked then, starts arriving as this one ends (measured: bench/coldlink.py).

const MIN_WATCH_MS = 50; // the rate is not trusted before this much of the download has been seen

export class Pace {
  /** `asked`: when the request was made, on the clock `now` (performance.now() unless a test gives its own). */
  constructor(asked = performance.now(), now = () => performance.now()) {
    this.now = now;
    this.asked = asked;
    this.answer = 0; // when its response headers came
    this.first = 0; // when its bytes were first seen
    this.seen = 0; // bytes already there then (a body read late finds a backlog: not a measure of the rate)
    this.got = 0;
  }

  /** The response's headers came (at `at`). */
  answered(at = this.now()) {
    if (!this.answer) this.answer = at;
  }

  /** `n` more bytes arrived. */
  add(n) {
    this.got += n;
    if (!this.first) {
      this.first = this.now();
      this.seen = n;
    }
  }

  /**
   * True once the rest of `total` bytes (counted as add() counts them) should arrive within one request's wait:
   * the time from asking to the answer, with a quarter and 30 ms to spare for the message that asks. False while
   * the total or the rate are unknown.
   */
  nearlyDone(total) {
    if (!total) return false;
    if (this.got >= total) return true;
    const watched = this.now() - this.first;
    if (!this.first || watched < MIN_WATCH_MS || this.got <= this.seen) return false;
    const rate = (this.got - this.seen) / watched; // bytes per ms
    const wait = Math.max(0, (this.answer || this.first) - this.asked);
    return (total - this.got) / rate <= wait * 1.25 + 30;
  }
}
