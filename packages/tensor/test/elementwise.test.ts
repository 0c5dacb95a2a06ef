import { describe, expect, it } from 'vitest';

import {
  DTypeError, ShapeError, abs, add, clamp, div, eq, exp, ge, gt, le, log, lt, manualSeed, maximum, minimum, mul, ne, neg,
  pow, rand, randn, sqrt, sub, tensor, testing, tidy, where, type Tensor,
} from '../src/index';
import { binaryRef, leaf64, ref } from './reference';

const { describeEachDevice, expectClose, expectNoLeaks, gradCheck } = testing;

const shapesToBroadcast: [number[], number[]][] = [
  [[5], [5]],
  [[3, 1], [1, 4]],
  [[2, 3, 4], [4]],
  [[2, 1, 5], [3, 1]],
  [[1], [7, 3]],
  [[], [3, 2]],
];

const binaryCases: [string, (a: Tensor, b: Tensor) => Tensor, (x: number, y: number) => number, boolean][] = [
  ['add', add, (x, y) => x + y, false],
  ['sub', sub, (x, y) => x - y, false],
  ['mul', mul, (x, y) => x * y, false],
  ['div', div, (x, y) => x / y, false],
  ['pow', pow, (x, y) => x ** y, true],
  ['maximum', maximum, Math.max, false],
  ['minimum', minimum, Math.min, false],
];

describeEachDevice(describe, 'binary elementwise ops', (device) => {
  for (const [name, op, f, positive] of binaryCases) {
    for (const [sa, sb] of shapesToBroadcast) {
      it(`${name} [${sa}] x [${sb}] matches a float64 reference, without leaks`, () => {
        manualSeed(sa.length * 31 + sb.length);
        tidy(() => {
          const a = positive ? rand(sa, { device, low: 0.5, high: 2 }) : randn(sa, { device });
          const b = positive ? rand(sb, { device, low: -1.5, high: 1.5 }) : randn(sb, { device });
          const out = expectNoLeaks(() => op(a, b).dispose());
          void out;
          const result = op(a, b);
          const expected = binaryRef(ref(a), ref(b), (x, y) => Math.fround(f(x, y)));
          expect(result.shape).toEqual(expected.shape);
          expectClose(result, expected.data, { rtol: 2e-6 });
        });
      });
    }
    it(`${name} gradients match finite differences (float64, broadcasting)`, () => {
      const a = leaf64([2, 3], positive, device);
      const b = leaf64([3], false, device);
      gradCheck(op, [a, b]);
      a.dispose();
      b.dispose();
    });
  }

  it('scalar operands keep the tensor dtype; a fractional scalar lifts int32 to float32', () => {
    tidy(() => {
      const i = tensor([1, 2, 3], { device, dtype: 'int32' });
      expect(add(i, 2).dtype).toBe('int32');
      expect(add(i, 2).toArray()).toEqual([3, 4, 5]);
      expect(mul(i, 0.5).dtype).toBe('float32');
      expect(div(i, 2).toArray()).toEqual([0.5, 1, 1.5]);
      expect(add(tensor([1], { device, dtype: 'float64' }), tensor([1], { device })).dtype).toBe('float64');
      expect(sub(1, tensor([3], { device })).toArray()).toEqual([-2]);
    });
  });

  it('comparisons give uint8 0/1 with broadcasting', () => {
    tidy(() => {
      const a = tensor([[1, 2, 3]], { device });
      const b = tensor([[2], [1]], { device });
      expect(eq(a, b).toArray()).toEqual([[0, 1, 0], [1, 0, 0]]);
      expect(ne(a, b).toArray()).toEqual([[1, 0, 1], [0, 1, 1]]);
      expect(lt(a, 2).toArray()).toEqual([[1, 0, 0]]);
      expect(le(a, 2).toArray()).toEqual([[1, 1, 0]]);
      expect(gt(a, 2).toArray()).toEqual([[0, 0, 1]]);
      expect(ge(a, 2).dtype).toBe('uint8');
    });
  });

  it('maximum and minimum propagate NaN and split ties in the gradient', () => {
    tidy(() => {
      expect(maximum(tensor([NaN, 1], { device }), tensor([0, 2], { device })).toArray()).toEqual([NaN, 2]);
      const a = tensor([1, 2], { device, requiresGrad: true });
      const b = tensor([1, 3], { device, requiresGrad: true });
      maximum(a, b).sum().backward();
      expect(a.grad!.toArray()).toEqual([0.5, 0]);
      expect(b.grad!.toArray()).toEqual([0.5, 1]);
    });
  });

  it('shapes that do not broadcast give a ShapeError naming both shapes', () => {
    tidy(() => {
      expect(() => add(randn([2, 3], { device }), randn([4], { device }))).toThrow(ShapeError);
      expect(() => add(randn([2, 3], { device }), randn([4], { device }))).toThrow(/\[2, 3\] and \[4\]/);
    });
  });
});

const unaryCases: [string, (x: Tensor) => Tensor, (x: number) => number, boolean][] = [
  ['neg', neg, (x) => -x, false],
  ['exp', exp, Math.exp, false],
  ['log', log, Math.log, true],
  ['sqrt', sqrt, Math.sqrt, true],
  ['abs', abs, Math.abs, false],
  ['pow 3', (x) => pow(x, 3), (x) => x ** 3, false],
  ['pow -0.5', (x) => pow(x, -0.5), (x) => x ** -0.5, true],
  ['clamp', (x) => clamp(x, { min: -0.5, max: 0.7 }), (x) => Math.min(Math.max(x, -0.5), 0.7), false],
];

describeEachDevice(describe, 'unary elementwise ops', (device) => {
  for (const [name, op, f, positive] of unaryCases) {
    it(`${name} matches a float64 reference on a strided view, without leaks`, () => {
      tidy(() => {
        const base = positive ? rand([4, 6], { device, low: 0.1, high: 3 }) : randn([4, 6], { device });
        const x = base.transpose(0, 1).slice(0, 1, 6, 2); // non-contiguous
        expectNoLeaks(() => op(x).dispose());
        const expected = Array.from(x.data(), (v) => Math.fround(f(v)));
        expectClose(op(x), expected, { rtol: 2e-6 });
      });
    });
    it(`${name} gradient matches finite differences`, () => {
      const x = leaf64([3, 4], positive, device);
      gradCheck(op, [x]);
      x.dispose();
    });
  }

  it('float-only ops lift integer inputs to float32', () => {
    tidy(() => {
      const out = exp(tensor([0, 1], { device, dtype: 'int32' }));
      expect(out.dtype).toBe('float32');
      expectClose(out, [1, Math.E]);
    });
  });
});

describeEachDevice(describe, 'where', (device) => {
  it('selects with broadcasting and routes gradients to the chosen side', () => {
    const a = leaf64([3, 4], false, device);
    const b = leaf64([4], false, device);
    const cond = tidy(() => randn([3, 4], { device }).gt(0));
    gradCheck((x, y) => where(cond, x, y), [a, b]);
    tidy(() => {
      const expected = Array.from(cond.data(), (c, i) => (c ? a.data()[i]! : b.data()[i % 4]!));
      expectClose(where(cond, a, b), expected);
    });
    [a, b, cond].forEach((t) => t.dispose());
  });

  it('needs a uint8 condition', () => {
    tidy(() => expect(() => where(randn([2], { device }), randn([2], { device }), 0)).toThrow(DTypeError));
  });
});
