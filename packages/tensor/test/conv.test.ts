import { afterEach, describe, expect, it } from 'vitest';

import {
  ArgumentError, DTypeError, ShapeError, conv2d, getNumThreads, manualSeed, randn, setNumThreads, testing, tidy,
  type Conv2dOptions, type DType, type Device, type Tensor,
} from '../src/index';
import { leaf64 } from './reference';

const { describeEachDevice, expectClose, expectNoLeaks, gradCheck } = testing;

interface Geometry {
  x: [number, number, number, number];
  w: [number, number, number, number];
  stride?: [number, number];
  padding?: [number, number];
  dilation?: [number, number];
  groups?: number;
}

/**
 * The direct 7-loop convolution in float64, with the gradients of sum(y * wt): y, dx, dw
 * and dbias (dx and dw accumulate every product's share; no im2col, no GEMM).
 */
function conv2dRef(x: Float64Array, w: Float64Array, bias: Float64Array, wt: Float64Array | null, g: Geometry) {
  const [n, c, h, wd] = g.x;
  const [k, cg, r, s] = g.w;
  const [sh, sw] = g.stride ?? [1, 1];
  const [ph, pw] = g.padding ?? [0, 0];
  const [dh, dw] = g.dilation ?? [1, 1];
  const groups = g.groups ?? 1;
  const kg = k / groups;
  const p = Math.floor((h + 2 * ph - dh * (r - 1) - 1) / sh) + 1;
  const q = Math.floor((wd + 2 * pw - dw * (s - 1) - 1) / sw) + 1;
  const y = new Float64Array(n * k * p * q);
  const dx = new Float64Array(x.length);
  const dW = new Float64Array(w.length);
  const db = new Float64Array(k);
  for (let b = 0; b < n; b++) for (let o = 0; o < k; o++) for (let i = 0; i < p; i++) for (let j = 0; j < q; j++) {
    const at = ((b * k + o) * p + i) * q + j;
    const gy = wt ? wt[at]! : 0;
    let acc = bias[o]!;
    db[o]! += gy;
    const grp = Math.floor(o / kg);
    for (let cc = 0; cc < cg; cc++) for (let u = 0; u < r; u++) for (let v = 0; v < s; v++) {
      const ih = i * sh - ph + u * dh;
      const iw = j * sw - pw + v * dw;
      if (ih < 0 || ih >= h || iw < 0 || iw >= wd) continue;
      const xi = ((b * c + grp * cg + cc) * h + ih) * wd + iw;
      const wi = ((o * cg + cc) * r + u) * s + v;
      acc += x[xi]! * w[wi]!;
      dx[xi]! += gy * w[wi]!;
      dW[wi]! += gy * x[xi]!;
    }
    y[at] = acc;
  }
  return { y, dx, dW, db, shape: [n, k, p, q] };
}

function optionsOf(g: Geometry, bias: Tensor | null): Conv2dOptions {
  return { bias, stride: g.stride, padding: g.padding, dilation: g.dilation, groups: g.groups };
}

// Shapes no multiple of any tile: odd H and W, channels not a multiple of 8, batch 1 and 3,
// strides 1 and 2, padding 0, 1 and 3, kernels 1x1, 3x3 and 7x7, groups, dilation.
const geometries: [string, Geometry][] = [
  ['1x1 pointwise, batch 1 (reads x in place)', { x: [1, 5, 9, 7], w: [6, 5, 1, 1] }],
  ['1x1 pointwise, batch 3, small planes (chunks of images)', { x: [3, 13, 3, 5], w: [11, 13, 1, 1] }],
  // float32 1x1 stride 1: one GEMM over the batch, read and written in place as batched columns.
  ['1x1 pointwise on 2x2 planes (GEMM tiles span images)', { x: [5, 40, 2, 2], w: [19, 40, 1, 1] }],
  ['1x1 pointwise on 1x1 planes', { x: [5, 9, 1, 1], w: [7, 9, 1, 1] }],
  ['1x1 pointwise groups 2, 2 output channels per group', { x: [3, 6, 3, 3], w: [4, 3, 1, 1], groups: 2 }],
  ['1x1 stride 2 (a ResNet downsample)', { x: [3, 7, 9, 11], w: [10, 7, 1, 1], stride: [2, 2] }],
  ['3x3 pad 1', { x: [3, 5, 11, 9], w: [7, 5, 3, 3], padding: [1, 1] }],
  ['3x3 stride 2 pad 1, batch 1', { x: [1, 6, 13, 9], w: [9, 6, 3, 3], stride: [2, 2], padding: [1, 1] }],
  ['3x3 pad 0', { x: [3, 3, 7, 5], w: [4, 3, 3, 3] }],
  ['7x7 stride 2 pad 3 (the ResNet stem)', { x: [3, 3, 17, 15], w: [10, 3, 7, 7], stride: [2, 2], padding: [3, 3] }],
  ['3x3 groups 3', { x: [3, 9, 7, 9], w: [12, 3, 3, 3], padding: [1, 1], groups: 3 }],
  ['3x3 depthwise (groups = channels)', { x: [3, 6, 7, 5], w: [6, 1, 3, 3], padding: [1, 1], groups: 6 }],
  ['3x3 dilation 2 pad 2', { x: [3, 5, 11, 13], w: [6, 5, 3, 3], padding: [2, 2], dilation: [2, 2] }],
  ['non-square: 3x5 kernel, stride [2, 1], padding [1, 3], dilation [1, 2]', { x: [3, 4, 9, 12], w: [5, 4, 3, 5], stride: [2, 1], padding: [1, 3], dilation: [1, 2] }],
  ['kernel exactly the padded input', { x: [1, 3, 4, 5], w: [2, 3, 6, 7], padding: [1, 1] }],
  ['3x3 pad 1 on 1x1 planes (only the centre tap reads pixels)', { x: [3, 6, 1, 1], w: [5, 6, 3, 3], padding: [1, 1] }],
  ['3x3 stride 2 pad 1 on 2x2 planes (4 of 9 taps read pixels)', { x: [2, 5, 2, 2], w: [7, 5, 3, 3], stride: [2, 2], padding: [1, 1] }],
  ['1x1 stride 2 pad 1 on 1x1 planes (every output reads padding only)', { x: [2, 3, 1, 1], w: [4, 3, 1, 1], stride: [2, 2], padding: [1, 1] }],
  // Stride 1 (rows and images sharing their zero borders) on planes where a padded copy
  // wastes little: float32 takes the shifted-window
  // implicit GEMM (conv2d_shifted_cpu.cc), float64 still unfolds; with at least 8 input
  // channels per group the float32 backward data is the adjoint convolution's forward.
  ['3x3 pad 1 on 20x17 planes, 5 input channels (backward data unfolds)', { x: [3, 5, 20, 17], w: [7, 5, 3, 3], padding: [1, 1] }],
  ['3x3 pad 1 on 20x17 planes (shifted windows)', { x: [3, 9, 20, 17], w: [7, 9, 3, 3], padding: [1, 1] }],
  ['3x3 pad 0 on 30x30 planes (shifted windows)', { x: [2, 8, 30, 30], w: [4, 8, 3, 3] }],
  ['3x3 groups 2 on 19x21 planes (shifted windows)', { x: [2, 16, 19, 21], w: [10, 8, 3, 3], padding: [1, 1], groups: 2 }],
  ['3x3 dilation 2 pad 2 on 30x28 planes (shifted windows)', { x: [2, 8, 30, 28], w: [5, 8, 3, 3], padding: [2, 2], dilation: [2, 2] }],
  ['3x5 kernel pad [1, 2] on 29x27 planes (shifted windows)', { x: [3, 8, 29, 27], w: [6, 8, 3, 5], padding: [1, 2] }],
  ['3x3 pad 1 on 5x6 planes, 8 input channels (backward data as the adjoint forward, unfolded)', { x: [3, 8, 5, 6], w: [6, 8, 3, 3], padding: [1, 1] }],
  ['3x3 pad 3 on 30x30 planes (padding beyond the kernel: borders not shared)', { x: [2, 8, 30, 30], w: [4, 8, 3, 3], padding: [3, 3] }],
  ['3x3 pad 1 on 8x8 planes (shifted windows for backward weight only)', { x: [2, 4, 8, 8], w: [5, 4, 3, 3], padding: [1, 1] }],
  // Strides above 1 split the padded input into phase planes (every other row and column).
  ['3x3 stride 2 pad 1 on 25x23 planes (shifted windows over 4 phases)', { x: [3, 4, 25, 23], w: [6, 4, 3, 3], stride: [2, 2], padding: [1, 1] }],
  ['3x3 stride [2, 1] pad 1 on 41x19 planes (shifted windows over 2 phases)', { x: [2, 3, 41, 19], w: [5, 3, 3, 3], stride: [2, 1], padding: [1, 1] }],
  ['3x3 stride 2 dilation 2 pad 2 on 50x50 planes (every tap in one phase)', { x: [2, 3, 50, 50], w: [4, 3, 3, 3], stride: [2, 2], padding: [2, 2], dilation: [2, 2] }],
];

function checkAgainstReference(device: Device, dtype: DType, g: Geometry, withBias: boolean): void {
  tidy(() => {
    const x = randn(g.x, { device, dtype, requiresGrad: true });
    const w = randn(g.w, { device, dtype, requiresGrad: true });
    const b = withBias ? randn([g.w[0]], { device, dtype, requiresGrad: true }) : null;
    const y = conv2d(x, w, optionsOf(g, b));
    const wt = randn(y.shape, { device, dtype });
    const ref = conv2dRef(
      Float64Array.from(x.data()), Float64Array.from(w.data()),
      b ? Float64Array.from(b.data()) : new Float64Array(g.w[0]), Float64Array.from(wt.data()), g,
    );
    expect(y.shape).toEqual(ref.shape);
    // float32 sums of up to Cg*R*S products: a relative error well below 1e-4 of the scale.
    const tol = dtype === 'float64' ? { rtol: 1e-10, atol: 1e-10 } : { rtol: 1e-4, atol: 1e-4 };
    expectClose(y, ref.y, { ...tol, what: 'y' });
    y.mul(wt).sum().backward();
    expectClose(x.grad!, ref.dx, { ...tol, what: 'dx' });
    expectClose(w.grad!, ref.dW, { ...tol, what: 'dw' });
    if (b) expectClose(b.grad!, ref.db, { ...tol, what: 'dbias' });
  });
}

describeEachDevice(describe, 'conv2d', (device) => {
  const threads = getNumThreads();
  afterEach(() => setNumThreads(threads));

  for (const [name, g] of geometries) {
    for (const dtype of ['float32', 'float64'] as const) {
      it(`${name}, ${dtype}: y and every gradient match the direct 7-loop convolution`, () => {
        manualSeed(g.x[1] * 31 + g.w[0]);
        checkAgainstReference(device, dtype, g, true);
      });
    }
  }

  it.runIf(device === 'cpu')('gives the same values on 1, 2 and 3 threads (per-thread chunks, pooled GEMMs, shifted windows)', () => {
    const g = geometries.find(([name]) => name === '3x3 pad 1')![1];
    for (const n of [1, 2, 3]) {
      setNumThreads(n);
      manualSeed(5);
      checkAgainstReference(device, 'float32', g, false);
      checkAgainstReference(device, 'float32', { ...g, x: [8, 5, 3, 3] }, true);
      checkAgainstReference(device, 'float32', { ...g, x: [7, 5, 20, 17] }, true);
      checkAgainstReference(device, 'float32', { ...g, x: [7, 9, 20, 17], w: [7, 9, 3, 3] }, true);
      checkAgainstReference(device, 'float32', { ...g, x: [7, 5, 25, 23], stride: [2, 2] }, true);
      checkAgainstReference(device, 'float32', { x: [7, 13, 4, 4], w: [11, 13, 1, 1] }, true);
    }
  });

  it('handles a batch of 0', () => {
    tidy(() => {
      const x = randn([0, 3, 5, 5], { device, requiresGrad: true });
      const w = randn([4, 3, 3, 3], { device, requiresGrad: true });
      const b = randn([4], { device, requiresGrad: true });
      const y = conv2d(x, w, { bias: b });
      expect(y.shape).toEqual([0, 4, 3, 3]);
      y.sum().backward();
      expectClose(w.grad!, new Array(4 * 27).fill(0));
      expectClose(b.grad!, [0, 0, 0, 0]);
    });
  });

  it('reads strided views (a permuted input) like their contiguous copies', () => {
    tidy(() => {
      const base = randn([3, 9, 5, 4], { device });
      const x = base.permute([0, 3, 2, 1]); // [3, 4, 5, 9], not contiguous
      const w = randn([6, 4, 3, 3], { device });
      expectClose(conv2d(x, w, { padding: 1 }), conv2d(x.contiguous(), w, { padding: 1 }));
    });
  });

  it('computes only the gradients that are needed', () => {
    tidy(() => {
      const x = randn([2, 3, 6, 6], { device });
      const w = randn([4, 3, 3, 3], { device, requiresGrad: true });
      conv2d(x, w).sum().backward();
      expect(w.grad!.shape).toEqual([4, 3, 3, 3]);
      expect(x.grad).toBeNull();
    });
  });

  const gradCases: [string, Geometry][] = [
    ['3x3 stride 2 pad 1 with bias', { x: [2, 3, 5, 6], w: [4, 3, 3, 3], stride: [2, 2], padding: [1, 1] }],
    ['groups 2, dilation 2', { x: [2, 4, 5, 5], w: [6, 2, 2, 3], groups: 2, dilation: [2, 2], padding: [1, 0] }],
    ['1x1, batch 3 (chunked)', { x: [3, 3, 2, 3], w: [2, 3, 1, 1] }],
  ];
  for (const [name, g] of gradCases) {
    it(`${name}: float64 gradients match finite differences`, () => {
      manualSeed(11);
      const x = leaf64(g.x, false, device);
      const w = leaf64(g.w, false, device);
      const b = leaf64([g.w[0]], false, device);
      gradCheck((xi, wi, bi) => conv2d(xi!, wi!, optionsOf(g, bi!)), [x, w, b]);
      [x, w, b].forEach((t) => t.dispose());
    });
  }

  it('leaks no tensors in forward or backward', () => {
    const x = randn([3, 4, 7, 7], { device, requiresGrad: true });
    const w = randn([5, 4, 3, 3], { device, requiresGrad: true });
    const b = randn([5], { device, requiresGrad: true });
    expectNoLeaks(() => conv2d(x, w, { bias: b, stride: 2, padding: 1 }).dispose());
    expectNoLeaks(() => {
      tidy(() => conv2d(x, w, { bias: b, padding: 1 }).sum().backward());
      [x, w, b].forEach((t) => (t.grad = null));
    });
    [x, w, b].forEach((t) => t.dispose());
  });

  it('rejects bad input with typed errors that name the argument and the value', () => {
    tidy(() => {
      const x = randn([2, 6, 8, 8], { device });
      const w = randn([4, 6, 3, 3], { device });
      expect(() => conv2d(randn([6, 8, 8], { device }), w)).toThrow(ShapeError);
      expect(() => conv2d(randn([6, 8, 8], { device }), w)).toThrow(/x must be a 4-d tensor \[N, C, H, W\], got 'shape \[6, 8, 8\]'/);
      expect(() => conv2d(x, randn([4, 6, 3], { device }))).toThrow(/weight must be a 4-d tensor/);
      expect(() => conv2d(x, randn([4, 5, 3, 3], { device }))).toThrow(/expects 5 input channels, but x of shape \[2, 6, 8, 8\] has 6/);
      expect(() => conv2d(x, randn([4, 2, 3, 3], { device }), { groups: 2 })).toThrow(/with groups 2 expects 4 input channels/);
      expect(() => conv2d(x, randn([5, 3, 3, 3], { device }), { groups: 2 })).toThrow(/output channels\) must be divisible by groups 2, got 5/);
      expect(() => conv2d(x, w, { groups: 0 })).toThrow(ArgumentError);
      expect(() => conv2d(x, w, { stride: 0 })).toThrow(/stride must be an integer >= 1 or a pair of them, got 0/);
      expect(() => conv2d(x, w, { stride: [1, -2] })).toThrow(ArgumentError);
      expect(() => conv2d(x, w, { padding: -1 })).toThrow(/padding must be an integer >= 0/);
      expect(() => conv2d(x, w, { dilation: 0 })).toThrow(/dilation must be/);
      expect(() => conv2d(x, randn([4, 6, 11, 3], { device }), { padding: 1 })).toThrow(ShapeError);
      expect(() => conv2d(x, randn([4, 6, 11, 3], { device }), { padding: 1 })).toThrow(/kernel's height 11 .* larger than the padded input's 10/);
      expect(() => conv2d(x, randn([4, 6, 3, 3], { device }), { dilation: 4 })).toThrow(/kernel's height 9 \(dilation included\)/);
      expect(() => conv2d(x, w, { bias: randn([5], { device }) })).toThrow(/bias must be of shape \[4\], got 'shape \[5\]'/);
      expect(() => conv2d(x, randn([4, 6, 3, 3], { device, dtype: 'float64' }))).toThrow(DTypeError);
      expect(() => conv2d(x.toDType('int32'), w)).toThrow(/x.dtype must be 'float32' or 'float64', got 'int32'/);
      expect(() => conv2d(randn([2, 0, 8, 8], { device }), w)).toThrow(/non-empty dims/);
    });
  });
});
