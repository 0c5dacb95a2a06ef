import { describe, expect, it } from 'vitest';

import {
  ArgumentError, DTypeError, ShapeError, adaptiveAvgPool2d, avgPool2d, manualSeed, maxPool2d, randn, tensor, testing, tidy,
  type AvgPool2dOptions, type DType, type Device, type Tensor,
} from '../src/index';
import { leaf64 } from './reference';

const { describeEachDevice, expectClose, expectNoLeaks, gradCheck } = testing;

/** One output's window: rows [h0, h1), columns [w0, w1), and its divisor. */
interface Window {
  h0: number; h1: number; w0: number; w1: number; divisor: number;
}
type Windows = (p: number, q: number) => Window;

function sliding(h: number, w: number, o: AvgPool2dOptions): { p: number; q: number; at: Windows } {
  const [kh, kw] = typeof o.kernelSize === 'number' ? [o.kernelSize, o.kernelSize] : o.kernelSize;
  const [sh, sw] = o.stride === undefined ? [kh, kw] : typeof o.stride === 'number' ? [o.stride, o.stride] : o.stride;
  const [ph, pw] = o.padding === undefined ? [0, 0] : typeof o.padding === 'number' ? [o.padding, o.padding] : o.padding;
  const p = Math.floor((h + 2 * ph - kh) / sh) + 1;
  const q = Math.floor((w + 2 * pw - kw) / sw) + 1;
  const at = (i: number, j: number): Window => {
    const [hs, ws] = [i * sh - ph, j * sw - pw];
    const [h0, h1, w0, w1] = [Math.max(hs, 0), Math.min(hs + kh, h), Math.max(ws, 0), Math.min(ws + kw, w)];
    const divisor = o.countIncludePad === false ? (h1 - h0) * (w1 - w0) : kh * kw;
    return { h0, h1, w0, w1, divisor };
  };
  return { p, q, at };
}

function adaptive(h: number, w: number, [p, q]: [number, number]): { p: number; q: number; at: Windows } {
  const at = (i: number, j: number): Window => {
    const [h0, h1] = [Math.floor((i * h) / p), Math.ceil(((i + 1) * h) / p)];
    const [w0, w1] = [Math.floor((j * w) / q), Math.ceil(((j + 1) * w) / q)];
    return { h0, h1, w0, w1, divisor: (h1 - h0) * (w1 - w0) };
  };
  return { p, q, at };
}

/** Plain-loop float64 pooling with the gradient of sum(y * wt); max takes the first maximum. */
function poolRef(kind: 'max' | 'avg', x: Tensor, wt: Tensor | null, windows: { p: number; q: number; at: Windows }) {
  const [n, c, h, w] = x.shape as [number, number, number, number];
  const { p, q, at } = windows;
  const xs = Array.from(x.data());
  const ws = wt ? Array.from(wt.data()) : null;
  const y: number[] = [];
  const dx = new Array<number>(xs.length).fill(0);
  for (let plane = 0; plane < n * c; plane++) for (let i = 0; i < p; i++) for (let j = 0; j < q; j++) {
    const win = at(i, j);
    const g = ws ? ws[y.length]! : 0;
    const cells: number[] = [];
    for (let r = win.h0; r < win.h1; r++) for (let s = win.w0; s < win.w1; s++) cells.push(plane * h * w + r * w + s);
    if (kind === 'max') {
      const best = cells.reduce((b, k) => (xs[k]! > xs[b]! ? k : b), cells[0]!);
      y.push(xs[best]!);
      dx[best]! += g;
    } else {
      y.push(cells.reduce((acc, k) => acc + xs[k]!, 0) / win.divisor);
      for (const k of cells) dx[k]! += g / win.divisor;
    }
  }
  return { y, dx, shape: [n, c, p, q] };
}

function checkPool(device: Device, dtype: DType, kind: 'max' | 'avg', shape: number[], run: (x: Tensor) => Tensor, windows: (h: number, w: number) => { p: number; q: number; at: Windows }): void {
  tidy(() => {
    const x = randn(shape, { device, dtype, requiresGrad: true });
    const y = run(x);
    const wt = randn(y.shape, { device, dtype });
    const ref = poolRef(kind, x, wt, windows(shape[2]!, shape[3]!));
    expect(y.shape).toEqual(ref.shape);
    const tol = dtype === 'float64' ? { rtol: 1e-12, atol: 1e-12 } : { rtol: 1e-5, atol: 1e-6 };
    expectClose(y, ref.y, { ...tol, what: 'y' });
    y.mul(wt).sum().backward();
    expectClose(x.grad!, ref.dx, { ...tol, what: 'dx' });
  });
}

const slidingCases: [number[], AvgPool2dOptions][] = [
  [[3, 5, 17, 15], { kernelSize: 3, stride: 2, padding: 1 }], // the ResNet stem's pool
  [[1, 7, 9, 11], { kernelSize: 2 }],
  [[3, 3, 8, 7], { kernelSize: [3, 2], stride: [1, 2], padding: [1, 0] }],
  [[3, 2, 7, 7], { kernelSize: 7 }],
  [[1, 3, 5, 6], { kernelSize: 4, stride: 3, padding: 2 }],
];

describeEachDevice(describe, 'maxPool2d', (device) => {
  for (const [shape, o] of slidingCases) {
    for (const dtype of ['float32', 'float64'] as const) {
      it(`[${shape}] ${JSON.stringify(o)}, ${dtype}: values and gradient match a plain-loop reference`, () => {
        manualSeed(shape[1]!);
        checkPool(device, dtype, 'max', shape, (x) => maxPool2d(x, o), (h, w) => sliding(h, w, o));
      });
    }
  }

  it('routes ties to the first maximum, never to padding, and propagates NaN', () => {
    tidy(() => {
      const x = tensor([[[[1, 1, 1], [1, 1, 1], [1, 1, 1]]]], { device, requiresGrad: true });
      maxPool2d(x, { kernelSize: 2, stride: 1, padding: 1 }).sum().backward();
      // Each 2x2 window's first in-bounds cell takes its gradient.
      expect(x.grad!.toArray()).toEqual([[[[4, 2, 2], [2, 1, 1], [2, 1, 1]]]]);
      const neg = tensor([[[[-5, -7], [-6, -8]]]], { device });
      expect(maxPool2d(neg, { kernelSize: 2, padding: 1 }).toArray()).toEqual([[[[-5, -7], [-6, -8]]]]);
      const withNaN = tensor([[[[1, Number.NaN], [3, 2]]]], { device });
      expect(Number.isNaN(maxPool2d(withNaN, { kernelSize: 2 }).item())).toBe(true);
    });
  });

  it('float64 gradient matches finite differences', () => {
    manualSeed(2);
    const x = leaf64([2, 3, 7, 6], false, device);
    gradCheck((xi) => maxPool2d(xi!, { kernelSize: 3, stride: 2, padding: 1 }), [x]);
    x.dispose();
  });
});

describeEachDevice(describe, 'avgPool2d', (device) => {
  for (const [shape, o] of slidingCases) {
    for (const countIncludePad of [true, false]) {
      for (const dtype of ['float32', 'float64'] as const) {
        const opts = { ...o, countIncludePad };
        it(`[${shape}] ${JSON.stringify(opts)}, ${dtype}: values and gradient match a plain-loop reference`, () => {
          manualSeed(shape[1]! + 1);
          checkPool(device, dtype, 'avg', shape, (x) => avgPool2d(x, opts), (h, w) => sliding(h, w, opts));
        });
      }
    }
  }

  it('counts padding in the divisor by default, as PyTorch', () => {
    tidy(() => {
      const y = avgPool2d(tensor([[[[4, 4], [4, 4]]]], { device }), { kernelSize: 2, stride: 2, padding: 1 });
      expect(y.toArray()).toEqual([[[[1, 1], [1, 1]]]]);
    });
  });

  it('float64 gradient matches finite differences, with and without the padding counted', () => {
    manualSeed(3);
    const x = leaf64([2, 3, 6, 7], false, device);
    gradCheck((xi) => avgPool2d(xi!, { kernelSize: 3, stride: 2, padding: 1 }), [x]);
    gradCheck((xi) => avgPool2d(xi!, { kernelSize: 3, stride: 2, padding: 1, countIncludePad: false }), [x]);
    x.dispose();
  });
});

describeEachDevice(describe, 'adaptiveAvgPool2d', (device) => {
  const cases: [number[], [number, number]][] = [
    [[3, 5, 7, 7], [1, 1]], // ResNet's global pool
    [[1, 4, 7, 5], [3, 2]],
    [[3, 2, 3, 3], [4, 5]], // more outputs than inputs: overlapping windows
    [[2, 3, 9, 7], [2, 3]],
  ];
  for (const [shape, size] of cases) {
    for (const dtype of ['float32', 'float64'] as const) {
      it(`[${shape}] to [${size}], ${dtype}: values and gradient match a plain-loop reference`, () => {
        manualSeed(shape[2]!);
        checkPool(device, dtype, 'avg', shape, (x) => adaptiveAvgPool2d(x, size), (h, w) => adaptive(h, w, size));
      });
    }
  }

  it('float64 gradient matches finite differences', () => {
    manualSeed(4);
    const x = leaf64([2, 3, 7, 5], false, device);
    gradCheck((xi) => adaptiveAvgPool2d(xi!, [3, 2]), [x]);
    x.dispose();
  });
});

describeEachDevice(describe, 'pooling', (device) => {
  it('leaks no tensors in forward or backward', () => {
    const x = randn([3, 4, 9, 9], { device, requiresGrad: true });
    const ops = [
      (t: Tensor) => maxPool2d(t, { kernelSize: 3, stride: 2, padding: 1 }),
      (t: Tensor) => avgPool2d(t, { kernelSize: 3, stride: 2, padding: 1 }),
      (t: Tensor) => adaptiveAvgPool2d(t, 1),
    ];
    for (const op of ops) {
      expectNoLeaks(() => op(x).dispose());
      expectNoLeaks(() => {
        tidy(() => op(x).sum().backward());
        x.grad = null;
      });
    }
    x.dispose();
  });

  it('rejects bad input with typed errors that name the argument and the value', () => {
    tidy(() => {
      const x = randn([2, 3, 6, 6], { device });
      expect(() => maxPool2d(randn([3, 6, 6], { device }), { kernelSize: 2 })).toThrow(/x must be a 4-d tensor \[N, C, H, W\], got 'shape \[3, 6, 6\]'/);
      expect(() => maxPool2d(x, { kernelSize: 0 })).toThrow(/kernelSize must be an integer >= 1 or a pair of them, got 0/);
      expect(() => maxPool2d(x, { kernelSize: 2, stride: 0 })).toThrow(ArgumentError);
      expect(() => maxPool2d(x, { kernelSize: 3, padding: 2 })).toThrow(/padding must be at most half the kernel size \[3, 3\], got 2/);
      expect(() => maxPool2d(x, { kernelSize: 9, padding: 1 })).toThrow(ShapeError);
      expect(() => maxPool2d(x, { kernelSize: 9, padding: 1 })).toThrow(/kernel's height 9 .* larger than the padded input's 8/);
      expect(() => avgPool2d(x, { kernelSize: [2, 7] })).toThrow(/kernel's width 7/);
      expect(() => avgPool2d(x.toDType('int32'), { kernelSize: 2 })).toThrow(DTypeError);
      expect(() => adaptiveAvgPool2d(x, [0, 2])).toThrow(/outputSize must be an integer >= 1 or a pair of them, got \[0, 2\]/);
      expect(() => adaptiveAvgPool2d(randn([2, 3, 0, 4], { device }), 1)).toThrow(/non-empty dims/);
    });
  });
});
