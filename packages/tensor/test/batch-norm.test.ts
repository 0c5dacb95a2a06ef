import { describe, expect, it } from 'vitest';

import {
  ArgumentError, DTypeError, ShapeError, batchNorm2d, batchNorm2dRelu, manualSeed, noGrad, ones, rand, randn, testing, tidy, zeros,
  type BatchNormOptions, type DType, type Device, type Tensor,
} from '../src/index';
import { leaf64 } from './reference';

const { describeEachDevice, expectClose, expectNoLeaks, gradCheck } = testing;

/**
 * Batch norm composed of tensor ops (mean, pow, sqrt, broadcasting, relu): the reference
 * the fused kernels are tested against, running-statistics update included.
 */
function batchNormComposite(x: Tensor, o: BatchNormOptions, relu: boolean): Tensor {
  const c = x.shape[1]!;
  const perChannel = (t: Tensor): Tensor => t.reshape([1, c, 1, 1]);
  const momentum = o.momentum ?? 0.1;
  const eps = o.eps ?? 1e-5;
  let mean: Tensor;
  let variance: Tensor;
  if (o.training) {
    mean = x.mean([0, 2, 3], true);
    variance = x.sub(mean).pow(2).mean([0, 2, 3], true);
    const m = x.numel / c;
    noGrad(() => {
      o.runningMean?.mul_(1 - momentum).add_(mean.reshape([c]).mul(momentum));
      o.runningVar?.mul_(1 - momentum).add_(variance.reshape([c]).mul((momentum * m) / (m - 1)));
    });
  } else {
    mean = perChannel(o.runningMean!);
    variance = perChannel(o.runningVar!);
  }
  let y = x.sub(mean).div(variance.add(eps).sqrt());
  if (o.weight) y = y.mul(perChannel(o.weight));
  if (o.bias) y = y.add(perChannel(o.bias));
  return relu ? y.relu() : y;
}

interface Setup {
  training: boolean;
  relu: boolean;
  affine: boolean;
}

const setups: Setup[] = [true, false].flatMap((training) =>
  [false, true].flatMap((relu) => [true, false].map((affine) => ({ training, relu, affine }))),
);

function describeSetup(s: Setup): string {
  return `${s.training ? 'training' : 'eval'}${s.relu ? ' + ReLU' : ''}${s.affine ? '' : ', no weight or bias'}`;
}

/** Runs three steps of the fused op and of the composite on the same inputs on `device` and compares everything. */
function compareWithComposite(device: Device, dtype: DType, s: Setup, shape: number[], tol: { rtol: number; atol: number }): void {
  const c = shape[1]!;
  tidy(() => {
    const make = () => ({
      weight: s.affine ? randn([c], { device, dtype, requiresGrad: true }) : null,
      bias: s.affine ? randn([c], { device, dtype, requiresGrad: true }) : null,
      runningMean: randn([c], { device, dtype }),
      runningVar: rand([c], { device, dtype, low: 0.5, high: 2 }),
    });
    const fused = make();
    const composite = {
      weight: fused.weight?.detach().clone() ?? null,
      bias: fused.bias?.detach().clone() ?? null,
      runningMean: fused.runningMean.clone(),
      runningVar: fused.runningVar.clone(),
    };
    if (composite.weight) composite.weight.requiresGrad = true;
    if (composite.bias) composite.bias.requiresGrad = true;
    for (let step = 0; step < 3; step++) {
      // Channels get different offsets and scales, so a per-channel mix-up shows.
      const base = randn(shape, { device, dtype }).mul(rand([1, c, 1, 1], { device, dtype, low: 0.5, high: 3 })).add(randn([1, c, 1, 1], { device, dtype }));
      const x1 = base.clone();
      const x2 = base.clone();
      x1.requiresGrad = true;
      x2.requiresGrad = true;
      const opts = { training: s.training, momentum: 0.3, eps: 1e-4 };
      const y1 = (s.relu ? batchNorm2dRelu : batchNorm2d)(x1, { ...fused, ...opts });
      const y2 = batchNormComposite(x2, { ...composite, ...opts }, s.relu);
      expectClose(y1, y2, { ...tol, what: `step ${step} y` });
      const wt = randn(shape, { device, dtype });
      y1.mul(wt).sum().backward();
      y2.mul(wt).sum().backward();
      expectClose(x1.grad!, x2.grad!, { ...tol, what: `step ${step} dx` });
      expectClose(fused.runningMean, composite.runningMean, { ...tol, what: `step ${step} running mean` });
      expectClose(fused.runningVar, composite.runningVar, { ...tol, what: `step ${step} running var` });
    }
    // weight and bias gradients accumulated over the three steps.
    if (s.affine) {
      expectClose(fused.weight!.grad!, composite.weight!.grad!, { ...tol, what: 'dweight' });
      expectClose(fused.bias!.grad!, composite.bias!.grad!, { ...tol, what: 'dbias' });
    }
  });
}

describeEachDevice(describe, 'batchNorm2d and batchNorm2dRelu', (device) => {
  for (const s of setups) {
    it(`${describeSetup(s)}: the fused kernel matches the composite over three steps (float64), running stats included`, () => {
      manualSeed(3);
      compareWithComposite(device, 'float64', s, [3, 5, 7, 9], { rtol: 1e-9, atol: 1e-10 });
    });
  }

  it('float32 matches the composite within float32 rounding, batch 1 with odd planes', () => {
    manualSeed(4);
    for (const s of setups) compareWithComposite(device, 'float32', s, [1, 11, 13, 7], { rtol: 2e-4, atol: 2e-4 });
  });

  it('keeps its statistics accurate when the mean is 10^4 times the spread (float32)', () => {
    tidy(() => {
      // A float32 one-pass variance would be lost to cancellation here (sum x^2 ~ 1e6 x M
      // against a variance of 1e-2); the input's own rounding allows about ulp(1000) / 0.1.
      const x = randn([4, 3, 9, 9], { device }).mul(0.1).add(1000);
      const y32 = batchNorm2d(x, { training: true });
      const y64 = batchNorm2d(x.toDType('float64'), { training: true });
      expectClose(y32, y64, { rtol: 0, atol: 1e-3 });
    });
  });

  const gradSetups: [string, (x: Tensor, w: Tensor, b: Tensor, rm: Tensor, rv: Tensor) => Tensor][] = [
    ['training', (x, w, b) => batchNorm2d(x, { weight: w, bias: b, training: true })],
    ['eval', (x, w, b, rm, rv) => batchNorm2d(x, { weight: w, bias: b, runningMean: rm, runningVar: rv })],
    ['training + ReLU', (x, w, b) => batchNorm2dRelu(x, { weight: w, bias: b, training: true })],
    ['eval + ReLU', (x, w, b, rm, rv) => batchNorm2dRelu(x, { weight: w, bias: b, runningMean: rm, runningVar: rv })],
  ];
  for (const [name, f] of gradSetups) {
    it(`${name}: float64 gradients match finite differences`, () => {
      manualSeed(9);
      const [x, w, b] = [leaf64([3, 4, 3, 5], false, device), leaf64([4], false, device), leaf64([4], false, device)];
      const [rm, rv] = noGrad(() => [randn([4], { device, dtype: 'float64' }), rand([4], { device, dtype: 'float64', low: 0.5, high: 2 })]);
      gradCheck((xi, wi, bi) => f(xi!, wi!, bi!, rm, rv), [x, w, b]);
      [x, w, b, rm, rv].forEach((t) => t.dispose());
    });
  }

  it('leaks no tensors in forward or backward', () => {
    const x = randn([3, 4, 5, 5], { device, requiresGrad: true });
    const weight = randn([4], { device, requiresGrad: true });
    const bias = randn([4], { device, requiresGrad: true });
    const runningMean = zeros([4], { device });
    const runningVar = ones([4], { device });
    for (const f of [batchNorm2d, batchNorm2dRelu]) {
      for (const training of [true, false]) {
        const o = { weight, bias, runningMean, runningVar, training };
        expectNoLeaks(() => f(x, o).dispose());
        expectNoLeaks(() => {
          tidy(() => f(x, o).sum().backward());
          [x, weight, bias].forEach((t) => (t.grad = null));
        });
      }
    }
    [x, weight, bias, runningMean, runningVar].forEach((t) => t.dispose());
  });

  it('rejects bad input with typed errors that name the argument and the value', () => {
    tidy(() => {
      const x = randn([2, 3, 4, 4], { device });
      const stats = { runningMean: zeros([3], { device }), runningVar: ones([3], { device }) };
      expect(() => batchNorm2d(randn([2, 3], { device }), { training: true })).toThrow(/x must be a 4-d tensor \[N, C, H, W\], got 'shape \[2, 3\]'/);
      expect(() => batchNorm2d(x)).toThrow(ArgumentError);
      expect(() => batchNorm2d(x)).toThrow(/eval mode .* needs runningMean and runningVar/);
      expect(() => batchNorm2d(randn([1, 3, 1, 1], { device }), { training: true })).toThrow(ShapeError);
      expect(() => batchNorm2d(randn([1, 3, 1, 1], { device }), { training: true })).toThrow(/more than one value per channel in training/);
      expect(() => batchNorm2d(x, { training: true, weight: ones([4], { device }) })).toThrow(/weight must be of shape \[3\], got 'shape \[4\]'/);
      expect(() => batchNorm2d(x, { training: true, bias: ones([3], { device, dtype: 'float64' }) })).toThrow(DTypeError);
      expect(() => batchNorm2d(x, { ...stats, runningMean: zeros([6], { device }).slice(0, 0, 6, 2) })).toThrow(/runningMean must be a contiguous tensor/);
      expect(() => batchNorm2d(x, { ...stats, runningMean: zeros([3], { device, requiresGrad: true }) })).toThrow(/runningMean must be a tensor that does not require grad/);
      expect(() => batchNorm2d(x, { training: true, momentum: Number.NaN })).toThrow(/momentum must be a finite number >= 0, got NaN/);
      expect(() => batchNorm2d(x, { training: true, eps: -1 })).toThrow(/eps must be/);
      expect(() => batchNorm2d(x.toDType('int32'), { training: true })).toThrow(/x.dtype must be 'float32' or 'float64', got 'int32'/);
    });
  });
});
