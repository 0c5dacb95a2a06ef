import { describe, expect, it } from 'vitest';

import { PhiloxStream, Stream, mulHi32, philox, seedKey } from '../src/random/philox';
import { chiSquareCritical001, chiSquareUniform } from './helpers';

const hex = (words: Uint32Array): string[] => [...words].map((w) => w.toString(16).padStart(8, '0'));

describe('Philox4x32-10', () => {
  // Known-answer vectors of Random123 (kat_vectors: philox4x32 10 rounds).
  it('matches the Random123 known answers', () => {
    const out = new Uint32Array(4);
    expect(hex(philox([0, 0], 0, 0, 0, 0, out))).toEqual(['6627e8d5', 'e169c58d', 'bc57ac4c', '9b00dbd8']);
    expect(hex(philox([0xffffffff, 0xffffffff], 0xffffffff, 0xffffffff, 0xffffffff, 0xffffffff, out))).toEqual(['408f276d', '41c83b0e', 'a20bc7c6', '6d5451fd']);
    expect(hex(philox([0xa4093822, 0x299f31d0], 0x243f6a88, 0x85a308d3, 0x13198a2e, 0x03707344, out))).toEqual(['d16cfe09', '94fdcceb', '5001e420', '24126ea1']);
  });

  it('mulHi32 is the exact high word of the 64-bit product', () => {
    const stream = new PhiloxStream(seedKey(7), 0, Stream.Shuffle);
    for (let i = 0; i < 2000; i++) {
      const a = stream.next();
      const b = i < 4 ? 0xffffffff : stream.next();
      expect(mulHi32(a, b)).toBe(Number((BigInt(a) * BigInt(b)) >> 32n));
    }
  });

  it('splits a 53-bit seed into two key words', () => {
    expect(seedKey(2 ** 53 - 1)).toEqual([0xffffffff, 0x1fffff]);
    expect(seedKey(5)).toEqual([5, 0]);
  });

  it('below(n) is uniform (chi-square) and in range', () => {
    const stream = new PhiloxStream(seedKey(1), 3, Stream.Shuffle);
    for (const n of [3, 10, 1000]) {
      const counts = new Array<number>(n).fill(0);
      for (let i = 0; i < 200 * n; i++) counts[stream.below(n)]! += 1;
      expect(chiSquareUniform(counts)).toBeLessThan(chiSquareCritical001(n - 1));
    }
    // Near 2^31 the rejection matters: without it the low half would be over-represented.
    const big = 0x80000000 - 3;
    for (let i = 0; i < 1000; i++) expect(stream.below(big)).toBeLessThan(big);
  });
});
