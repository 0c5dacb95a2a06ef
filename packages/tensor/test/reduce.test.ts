import { describe, expect, it } from 'vitest';

import { ShapeError, argmax, argmin, manualSeed, max, mean, min, randn, sum, tensor, testing, tidy } from '../src/index';
import { leaf64, reduceRef, ref } from './reference';

const { describeEachDevice, expectClose, expectNoLeaks, gradCheck } = testing;

const dimCases: (number[] | undefined)[] = [undefined, [0], [1], [2], [0, 2], [1, 2], [0, 1, 2]];
const sumOf = (xs: number[]): number => xs.reduce((a, b) => a + b, 0);

describeEachDevice(describe, 'reductions', (device) => {
  for (const dims of dimCases) {
    for (const keepdim of [false, true]) {
      it(`sum/mean/max/min over ${dims ? `[${dims}]` : 'all'} (keepdim ${keepdim}) match a reference`, () => {
        manualSeed(7);
        tidy(() => {
          const x = randn([3, 5, 4], { device }).permute([0, 2, 1]).contiguous().permute([0, 2, 1]); // strided input
          const all = dims ?? [0, 1, 2];
          const outShape = keepdim ? x.shape.map((s, i) => (all.includes(i) ? 1 : s)) : x.shape.filter((_, i) => !all.includes(i));
          const cases: [typeof sum, (xs: number[]) => number][] = [
            [sum, sumOf],
            [mean, (xs) => sumOf(xs) / xs.length],
            [max, (xs) => Math.max(...xs)],
            [min, (xs) => Math.min(...xs)],
          ];
          for (const [op, f] of cases) {
            expectNoLeaks(() => op(x, dims, keepdim).dispose());
            const out = op(x, dims, keepdim);
            expect(out.shape).toEqual(outShape);
            expectClose(out, reduceRef(ref(x), all, f).data, { rtol: 1e-5, atol: 1e-6 });
          }
        });
      });
    }
  }

  it('long rows (split over the thread pool) sum like a float64 reference', () => {
    tidy(() => {
      const x = randn([1, 300001], { device }).add(0.25);
      const values = x.data();
      let total = 0;
      for (const v of values) total += v;
      expectClose(sum(x), [total], { rtol: 1e-6 });
      expectClose(sum(x, 1), [total], { rtol: 1e-6 });
      const rows = randn([2, 200000], { device }).abs();
      const rowValues = rows.data();
      const rowSums = [0, 0];
      rowValues.forEach((v, i) => (rowSums[i < 200000 ? 0 : 1]! += v));
      expectClose(sum(rows, 1), rowSums, { rtol: 1e-6 });
    });
  });

  it('gradients of sum, mean, max and min match finite differences', () => {
    const x = leaf64([3, 4, 2], false, device);
    gradCheck((t) => sum(t, [0, 2]), [x]);
    gradCheck((t) => mean(t, 1, true), [x]);
    gradCheck((t) => max(t, 1), [x]);
    gradCheck((t) => min(t), [x]);
    x.dispose();
  });

  it('max shares the gradient among ties (amax)', () => {
    tidy(() => {
      const x = tensor([1, 3, 3], { requiresGrad: true, device });
      max(x).backward();
      expect(x.grad!.toArray()).toEqual([0, 0.5, 0.5]);
    });
  });

  it('argmax/argmin return int32 first indices, along a dim or flattened', () => {
    tidy(() => {
      const x = tensor([[1, 5, 5], [7, 0, 7]], { device });
      expect(argmax(x, 1).toArray()).toEqual([1, 0]);
      expect(argmax(x, 1).dtype).toBe('int32');
      expect(argmin(x, 0, true).toArray()).toEqual([[0, 1, 0]]);
      expect(argmax(x).item()).toBe(3);
      expect(argmax(tensor([1, NaN, 3], { device })).item()).toBe(1);
    });
  });

  it('integer sums give int32; max propagates NaN', () => {
    tidy(() => {
      const s = sum(tensor([200, 100], { dtype: 'uint8', device }));
      expect(s.dtype).toBe('int32');
      expect(s.item()).toBe(300);
      expect(max(tensor([1, NaN], { device })).item()).toBeNaN();
    });
  });

  it('an empty dim cannot be maxed; a bad dim is named', () => {
    tidy(() => {
      expect(() => max(randn([0, 3], { device }), 0)).toThrow(ShapeError);
      expect(() => sum(randn([2, 3], { device }), 2)).toThrow(/dim must be an integer in \[-2, 1\], got 2/);
    });
  });
});
