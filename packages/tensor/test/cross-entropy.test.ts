// softmaxCrossEntropy (the fused native kernel) against the composite it replaces, written
// here in float64 from tensor ops (logSoftmax, indexSelect, mean): values, gradients of a
// random projection, float64 finite differences, strided and extreme logits, leaks, errors.
import { describe, expect, it } from 'vitest';

import {
  ArgumentError, DTypeError, DeviceError, ShapeError, castTo, logSoftmax, manualSeed, randn, softmaxCrossEntropy, tensor, testing, tidy,
  type DType, type Device, type Tensor,
} from '../src/index';

const { describeEachDevice, expectClose, expectNoLeaks, gradCheck } = testing;

/** Fresh labels in [0, c) that differ from row to row (a fixed LCG, so runs repeat). */
function labelsFor(n: number, c: number, device: Device): Tensor {
  return tensor(Int32Array.from({ length: n }, (_, i) => (i * 7919 + 13) % c), { shape: [n], device });
}

/** The per-sample losses as composed of tensor ops: -(1 - eps) logp[i, y_i] - eps mean_c logp[i, c]. */
function composite(logits: Tensor, labels: Tensor, eps: number): Tensor {
  const [n, c] = logits.shape as [number, number];
  const logp = logSoftmax(logits, 1);
  const positions = tensor(Int32Array.from(labels.data(), (y, i) => i * c + y), { shape: [n], device: logits.device });
  const nll = logp.reshape([n * c]).indexSelect(0, positions).neg();
  return nll.mul(1 - eps).sub(logp.mean(1).mul(eps));
}

/** A float64 leaf with `x`'s values, for the reference. */
function leaf64Of(x: Tensor): Tensor {
  const r = castTo(x.detach(), 'float64');
  r.requiresGrad = true;
  return r;
}

const tolerance: Record<'float32' | 'float64', { rtol: number; atol: number }> = {
  float32: { rtol: 2e-5, atol: 2e-6 },
  float64: { rtol: 1e-12, atol: 1e-13 },
};

/** Odd N and C, C = 1, one row, and rows wider than a warp (the CUDA kernel's unit). */
const shapes: [number, number][] = [[1, 1], [5, 1], [1, 7], [7, 3], [33, 17], [3, 1001]];

describeEachDevice(describe, 'softmaxCrossEntropy', (device) => {
  for (const dtype of ['float32', 'float64'] as const satisfies readonly DType[]) {
    it(`${dtype}: equals the float64 composite, losses and logits' gradient, for label smoothing 0, 0.1 and 1`, () => {
      manualSeed(31);
      for (const [n, c] of shapes) {
        for (const eps of [0, 0.1, 1]) {
          tidy(() => {
            const what = `[${n}, ${c}] eps ${eps}`;
            const logits = randn([n, c], { device, dtype, std: 3, requiresGrad: true });
            const ref = leaf64Of(logits);
            const labels = labelsFor(n, c, device);
            const fused = softmaxCrossEntropy(logits, labels, { labelSmoothing: eps });
            const expected = composite(ref, labels, eps);
            expect(fused.shape).toEqual([n]);
            expect(fused.dtype).toBe(dtype);
            expectClose(fused, expected, { ...tolerance[dtype], what: `loss ${what}` });
            const wt = randn([n], { device, dtype: 'float64' });
            fused.mul(wt.toDType(dtype)).sum().backward();
            expected.mul(wt).sum().backward();
            expectClose(logits.grad!, ref.grad!, { ...tolerance[dtype], what: `grad ${what}` });
          });
        }
      }
    });
  }

  it('takes an upstream gradient that is a broadcast view (sum and mean of the losses)', () => {
    manualSeed(32);
    tidy(() => {
      const logits = randn([9, 5], { device, dtype: 'float64', requiresGrad: true });
      const ref = leaf64Of(logits);
      const labels = labelsFor(9, 5, device);
      softmaxCrossEntropy(logits, labels, { labelSmoothing: 0.1 }).mean().backward();
      composite(ref, labels, 0.1).mean().backward();
      expectClose(logits.grad!, ref.grad!, tolerance.float64);
    });
  });

  it('float64 gradients equal finite differences (C = 1 and odd sizes, smoothing 0, 0.1 and 1)', () => {
    manualSeed(33);
    for (const [n, c] of [[5, 1], [7, 3], [3, 11]] as const) {
      const labels = labelsFor(n, c, device);
      for (const eps of [0, 0.1, 1]) {
        const logits = randn([n, c], { device, dtype: 'float64', std: 2, requiresGrad: true });
        expectNoLeaks(() => gradCheck((x) => softmaxCrossEntropy(x!, labels, { labelSmoothing: eps }), [logits]));
        logits.dispose();
      }
      labels.dispose();
    }
  });

  it('reads strided logits (a transposed view) as their contiguous copy, gradient included', () => {
    manualSeed(34);
    tidy(() => {
      const base = randn([6, 9], { device, requiresGrad: true });
      const copy = base.detach().clone();
      copy.requiresGrad = true;
      const labels = labelsFor(9, 6, device);
      const strided = softmaxCrossEntropy(base.transpose(0, 1), labels, { labelSmoothing: 0.1 });
      const dense = softmaxCrossEntropy(copy.transpose(0, 1).contiguous(), labels, { labelSmoothing: 0.1 });
      expectClose(strided, dense, { rtol: 0, atol: 0 });
      strided.sum().backward();
      dense.sum().backward();
      expectClose(base.grad!, copy.grad!, { rtol: 0, atol: 0 });
    });
  });

  it('stays finite for logits far apart (max-shifted), as the composite', () => {
    tidy(() => {
      const logits = tensor([[1000, 0, -1000], [1000, 0, -1000], [-5e3, 5e3, 0]], { device, dtype: 'float64', requiresGrad: true });
      const labels = tensor([0, 2, 1], { device, dtype: 'int32' });
      const loss = softmaxCrossEntropy(logits, labels);
      expectClose(loss, [0, 2000, 0], tolerance.float64);
      loss.sum().backward();
      expectClose(logits.grad!, [[0, 0, 0], [1, 0, -1], [0, 0, 0]], tolerance.float64);
    });
  });

  it('gives an empty [0] for no rows', () => {
    tidy(() => {
      const loss = softmaxCrossEntropy(randn([0, 4], { device }), tensor(new Int32Array(0), { shape: [0], device }));
      expect(loss.shape).toEqual([0]);
    });
  });

  it('leaks no tensors, forward, backward or refused', () => {
    const logits = randn([4, 6], { device, requiresGrad: true });
    const labels = labelsFor(4, 6, device);
    const bad = tensor([0, 1, 6, 2], { device, dtype: 'int32' });
    expectNoLeaks(() => softmaxCrossEntropy(logits, labels).dispose());
    expectNoLeaks(() => {
      tidy(() => softmaxCrossEntropy(logits.transpose(0, 1).transpose(0, 1), labels, { labelSmoothing: 0.2 }).mean().backward());
      logits.grad = null;
    });
    expectNoLeaks(() => expect(() => softmaxCrossEntropy(logits, bad)).toThrow(ArgumentError));
    [logits, labels, bad].forEach((t) => t.dispose());
  });

  it('rejects bad arguments with a typed error naming the argument, the value and what was expected', () => {
    tidy(() => {
      const logits = randn([2, 3], { device });
      const labels = tensor([0, 2], { device, dtype: 'int32' });
      const labelsOf = (values: number[]) => tensor(values, { device, dtype: 'int32' });
      expect(() => softmaxCrossEntropy(labelsOf([0, 3]) as never, labels)).toThrow(/logits.dtype must be 'float32' or 'float64', got 'int32'/);
      expect(() => softmaxCrossEntropy([1, 2] as never, labels)).toThrow(ArgumentError);
      expect(() => softmaxCrossEntropy(logits, tensor([0, 2], { device }))).toThrow(DTypeError);
      expect(() => softmaxCrossEntropy(logits, tensor([0, 2], { device }))).toThrow(/labels.dtype must be 'int32', got 'float32'/);
      expect(() => softmaxCrossEntropy(randn([6], { device }), labels)).toThrow(ShapeError);
      expect(() => softmaxCrossEntropy(randn([2, 0], { device }), labels)).toThrow(/logits must be an \[N, C\] tensor with C >= 1, got 'shape \[2, 0\]'/);
      expect(() => softmaxCrossEntropy(logits, labelsOf([0]))).toThrow(/labels must be of shape \[2\] \(one per row of logits\), got 'shape \[1\]'/);
      expect(() => softmaxCrossEntropy(logits, labelsOf([0, 3]))).toThrow(/softmaxCrossEntropy: labels\[1\] must be a class index in \[0, 3\), got 3/);
      expect(() => softmaxCrossEntropy(logits, labelsOf([-1, 0]))).toThrow(/labels\[0\] must be a class index in \[0, 3\), got -1/);
      for (const eps of [1.5, -0.1, Number.NaN]) {
        expect(() => softmaxCrossEntropy(logits, labels, { labelSmoothing: eps })).toThrow(/labelSmoothing must be a number in \[0, 1\]/);
      }
      if (device === 'cuda') expect(() => softmaxCrossEntropy(logits, labels.to('cpu'))).toThrow(DeviceError);
    });
  });
});
