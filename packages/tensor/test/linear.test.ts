import { describe, expect, it } from 'vitest';

import { DTypeError, ShapeError, linear, manualSeed, randn, testing, tidy, type Tensor } from '../src/index';
import { leaf64, matmulRef, ref } from './reference';

const { describeEachDevice, expectClose, expectNoLeaks, gradCheck } = testing;

/** x [rows, in] @ w^T + b with plain loops. */
function linearRef(x: Tensor, w: Tensor, b: Tensor | null): number[] {
  const [out, features] = w.shape as [number, number];
  const wt = ref(w.transpose(0, 1).contiguous());
  const rows = x.numel / features;
  const y = matmulRef({ data: Array.from(x.data()), shape: [rows, features] }, { data: wt.data, shape: [features, out] });
  const bias = b ? Array.from(b.data()) : new Array<number>(out).fill(0);
  return y.data.map((v, i) => v + bias[i % out]!);
}

describeEachDevice(describe, 'linear', (device) => {
  for (const xShape of [[7, 9], [2, 3, 9], [9]]) {
    it(`x [${xShape}] @ w^T + b matches a plain-loop reference`, () => {
      manualSeed(xShape.length);
      tidy(() => {
        const x = randn(xShape, { device });
        const w = randn([5, 9], { device });
        const b = randn([5], { device });
        const y = linear(x, w, b);
        expect(y.shape).toEqual([...xShape.slice(0, -1), 5]);
        expectClose(y, linearRef(x, w, b), { rtol: 1e-5, atol: 1e-5 });
        expectClose(linear(x, w), linearRef(x, w, null), { rtol: 1e-5, atol: 1e-5 });
      });
    });
  }

  it('float64 gradients match finite differences', () => {
    manualSeed(3);
    const [x, w, b] = [leaf64([2, 3, 4], false, device), leaf64([5, 4], false, device), leaf64([5], false, device)];
    gradCheck((xi, wi, bi) => linear(xi!, wi!, bi!), [x, w, b]);
    [x, w, b].forEach((t) => t.dispose());
  });

  it('leaks no tensors, forward or backward', () => {
    const [x, w, b] = [randn([4, 6], { device, requiresGrad: true }), randn([3, 6], { device, requiresGrad: true }), randn([3], { device, requiresGrad: true })];
    expectNoLeaks(() => linear(x, w, b).dispose());
    expectNoLeaks(() => {
      tidy(() => linear(x, w, b).sum().backward());
      [x, w, b].forEach((t) => (t.grad = null));
    });
    [x, w, b].forEach((t) => t.dispose());
  });

  it('rejects bad shapes and dtypes, naming the argument', () => {
    tidy(() => {
      const x = randn([4, 6], { device });
      expect(() => linear(x, randn([6], { device }))).toThrow(/weight must be a 2-d tensor \[out, in\], got 'shape \[6\]'/);
      expect(() => linear(x, randn([3, 5], { device }))).toThrow(ShapeError);
      expect(() => linear(x, randn([3, 5], { device }))).toThrow(/x must be a tensor \[\.\.\., 5\] \(weight is \[3, 5\]\), got 'shape \[4, 6\]'/);
      expect(() => linear(x, randn([3, 6], { device }), randn([4], { device }))).toThrow(/bias must be of shape \[3\], got 'shape \[4\]'/);
      expect(() => linear(x, randn([3, 6], { device, dtype: 'float64' }))).toThrow(DTypeError);
    });
  });
});
