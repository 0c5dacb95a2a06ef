import { describe, expect, it } from 'vitest';

import { ArgumentError, DTypeError, ShapeError, cropFlipNormalize, tensor, testing, tidy } from '../src/index';

const { describeEachDevice, expectNoLeaks } = testing;

/** Deterministic pseudo-random integers in [0, bound) (xorshift32). */
function integers(count: number, bound: number, seed: number): number[] {
  let s = seed >>> 0 || 1;
  return Array.from({ length: count }, () => {
    s ^= s << 13;
    s >>>= 0;
    s ^= s >>> 17;
    s ^= s << 5;
    s >>>= 0;
    return s % bound;
  });
}

/** The definition, written out: crop from the zero-padded image, mirror, (v/255 - mean)/std in float32 steps. */
function reference(bytes: readonly number[], [n, c, h, w]: readonly [number, number, number, number], top: readonly number[], left: readonly number[], flip: readonly number[], pad: number, mean: readonly number[], std: readonly number[]): number[] {
  const out: number[] = [];
  for (let b = 0; b < n; b++)
    for (let ch = 0; ch < c; ch++)
      for (let y = 0; y < h; y++)
        for (let x = 0; x < w; x++) {
          const sy = y + top[b]! - pad;
          const sx = (flip[b] ? w - 1 - x : x) + left[b]! - pad;
          const v = sy >= 0 && sy < h && sx >= 0 && sx < w ? bytes[((b * c + ch) * h + sy) * w + sx]! : 0;
          out.push(Math.fround(Math.fround(Math.fround(v / 255) - Math.fround(mean[ch]!)) / Math.fround(std[ch]!)));
        }
  return out;
}

describeEachDevice(describe, 'cropFlipNormalize', (device) => {
  it('equals the definition bit for bit on odd sizes, offsets at both ends and past them, with and without flips', () => {
    const shape: [number, number, number, number] = [5, 3, 7, 9];
    const pad = 2;
    const bytes = integers(shape.reduce((a, b) => a * b, 1), 256, 11);
    const top = [0, 4, 2, 5, -1];
    const left = [4, 0, 1, 2, 6];
    const flip = [1, 0, 1, 0, 7];
    const mean = [0.4914, 0.4822, 0.4465];
    const std = [0.2023, 0.1994, 0.201];
    tidy(() => {
      const images = tensor(bytes, { shape: [...shape], dtype: 'uint8', device });
      const int = (v: number[]) => tensor(v, { dtype: 'int32', device });
      const crops = [int(top), int(left), int(flip)] as const;
      const run = () => cropFlipNormalize(images, ...crops, { padding: pad, mean, std });
      expectNoLeaks(() => run().dispose());
      const out = run();
      expect(out.dtype).toBe('float32');
      expect(out.device).toBe(device);
      expect(out.shape).toEqual([...shape]);
      expect(Array.from(out.data())).toEqual(reference(bytes, shape, top, left, flip, pad, mean, std));
    });
  });

  it('defaults to no padding and x / 255; reads non-contiguous inputs; 1 and 4 channels', () => {
    for (const c of [1, 4]) {
      const shape: [number, number, number, number] = [2, c, 3, 4];
      const bytes = integers(shape.reduce((a, b) => a * b, 1), 256, 5 + c);
      tidy(() => {
        // images as an NHWC tensor permuted to NCHW: a strided view the op must copy first.
        const nhwc = tensor(bytes, { shape: [2, 3, 4, c], dtype: 'uint8', device });
        const images = nhwc.permute([0, 3, 1, 2]);
        const contiguousBytes = Array.from(images.contiguous().data());
        const offsets = tensor([0, 0, 0, 0], { dtype: 'int32', device }).slice(0, 0, 4, 2);
        const flips = tensor([0, 1], { dtype: 'int32', device });
        const out = cropFlipNormalize(images, offsets, offsets, flips);
        const unit = new Array<number>(c).fill(1);
        expect(Array.from(out.data())).toEqual(reference(contiguousBytes, shape, [0, 0], [0, 0], [0, 1], 0, new Array<number>(c).fill(0), unit));
      });
    }
  });

  it('rejects bad arguments, naming them, and leaks nothing when it does', () => {
    tidy(() => {
      const images = tensor(integers(2 * 3 * 2 * 2, 256, 3), { shape: [2, 3, 2, 2], dtype: 'uint8', device });
      const pair = tensor([1, 0], { dtype: 'int32', device });
      const call = (o: Parameters<typeof cropFlipNormalize>[4], x = images, top = pair) => () => expectNoLeaks(() => cropFlipNormalize(x, top, pair, pair, o));
      expect(call({}, images.toDType('float32'))).toThrow(DTypeError);
      expect(call({}, images.toDType('float32'))).toThrow(/images.dtype must be 'uint8', got 'float32'/);
      expect(call({}, images.reshape([2, 3, 4]))).toThrow(ShapeError);
      expect(call({}, images, tensor([1, 0, 1], { dtype: 'int32', device }))).toThrow(/top.shape must be \[2\] \(one per image\), got \[3\]/);
      expect(call({}, images, pair.toDType('float32'))).toThrow(/top.dtype must be 'int32'/);
      expect(call({ padding: -1 })).toThrow(ArgumentError);
      expect(call({ padding: 1.5 })).toThrow(/options.padding must be an integer in \[0, 2\^31\), got 1.5/);
      expect(call({ mean: [0, 0] })).toThrow(/options.mean must be 3 finite numbers \(one per channel\), got \[0, 0\]/);
      expect(call({ std: [1, 0, 1] })).toThrow(/options.std must be 3 positive and finite numbers/);
      expect(call({}, tensor(integers(2 * 5, 256, 1), { shape: [2, 5, 1, 1], dtype: 'uint8', device }))).toThrow(/images.shape\[1\] must be 1 to 4 channels, got 5/);
    });
  });
});
