/**
 * Philox4x32-10 (Salmon et al., "Parallel random numbers: as easy as 1, 2, 3", SC'11), the
 * counter-based generator of @largebatch/cuda-kernels (`philox.h`): a block of four 32-bit
 * words is a pure function of a 64-bit key and a 128-bit counter, so any draw can be made
 * anywhere (a worker, a GPU thread) without carrying generator state. With c2 = c3 = 0 it
 * equals `lb::philox4x32_10(seed, c0 + 2^32·c1)`.
 *
 * Counter layout of this package (c2 names the stream, so streams never overlap):
 * | stream | c0 | c1 | c2 |
 * |---|---|---|---|
 * | epoch shuffle | block of the draw sequence | epoch | {@link Stream.Shuffle} |
 * | augmentation | image index | epoch | {@link Stream.Augment} |
 * | synthetic class look | class | block (0, 1) | {@link Stream.SyntheticClass} |
 * | synthetic image | block within the image | image index | {@link Stream.SyntheticImage} |
 */

export const Stream = { Shuffle: 1, Augment: 2, SyntheticClass: 3, SyntheticImage: 4 } as const;
export type Stream = (typeof Stream)[keyof typeof Stream];

/** High and low 32 bits of the 64-bit product of two unsigned 32-bit integers (exact, from 16-bit halves). */
export function mulHi32(a: number, b: number): number {
  const al = a & 0xffff;
  const ah = a >>> 16;
  const bl = b & 0xffff;
  const bh = b >>> 16;
  const lh = al * bh;
  const hl = ah * bl;
  const carry = (((al * bl) >>> 16) + (lh & 0xffff) + (hl & 0xffff)) >>> 16;
  return (ah * bh + (lh >>> 16) + (hl >>> 16) + carry) >>> 0;
}

const M0 = 0xd2511f53;
const M1 = 0xcd9e8d57;
const W0 = 0x9e3779b9;
const W1 = 0xbb67ae85;

/** A 64-bit key from a seed in [0, 2^53): low and high 32-bit words. */
export function seedKey(seed: number): [number, number] {
  return [seed >>> 0, Math.floor(seed / 0x1_0000_0000) >>> 0];
}

/** One Philox4x32-10 block written into `out` (4 unsigned 32-bit words). */
export function philox(key: readonly [number, number], c0: number, c1: number, c2: number, c3: number, out: Uint32Array): Uint32Array {
  let [k0, k1] = key;
  let x0 = c0 >>> 0;
  let x1 = c1 >>> 0;
  let x2 = c2 >>> 0;
  let x3 = c3 >>> 0;
  for (let round = 0; round < 10; round++) {
    const hi0 = mulHi32(M0, x0);
    const lo0 = Math.imul(M0, x0) >>> 0;
    const hi1 = mulHi32(M1, x2);
    const lo1 = Math.imul(M1, x2) >>> 0;
    x0 = (hi1 ^ x1 ^ k0) >>> 0;
    x1 = lo1;
    x2 = (hi0 ^ x3 ^ k1) >>> 0;
    x3 = lo0;
    k0 = (k0 + W0) >>> 0;
    k1 = (k1 + W1) >>> 0;
  }
  out[0] = x0;
  out[1] = x1;
  out[2] = x2;
  out[3] = x3;
  return out;
}

/** An integer uniform in [0, n) from one 32-bit word by multiply-shift (bias below n / 2^32). */
export function scaleToRange(word: number, n: number): number {
  return mulHi32(word, n);
}

/**
 * A sequence of 32-bit words: blocks (c0 = 0, 1, 2, …; c1, c2 fixed) read word by word.
 * `below(n)` is exactly uniform (Lemire's multiply-shift with rejection).
 */
export class PhiloxStream {
  private readonly block = new Uint32Array(4);
  private nextBlock = 0;
  private word = 4;

  constructor(
    private readonly key: readonly [number, number],
    private readonly c1: number,
    private readonly stream: Stream,
  ) {}

  next(): number {
    if (this.word === 4) {
      philox(this.key, this.nextBlock++, this.c1, this.stream, 0, this.block);
      this.word = 0;
    }
    return this.block[this.word++]!;
  }

  /** Uniform in [0, n), for 1 <= n <= 2^31. */
  below(n: number): number {
    // Reject the low products below 2^32 mod n: each result then has the same number of words.
    const threshold = (0x1_0000_0000 - n) % n;
    for (;;) {
      const word = this.next();
      if ((Math.imul(word, n) >>> 0) >= threshold) return mulHi32(word, n);
    }
  }
}
