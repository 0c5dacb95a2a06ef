import { describe, expect, it } from 'vitest';

import { ArgumentError, DTypeError, ShapeError, manualSeed, randn, tensor, testing, tidy, type Tensor } from '@largebatch/tensor';
import { crossEntropy } from '../src/index';
import { type Entry, fromEntry, readFixture } from './fixtures';

const { expectClose, expectNoLeaks, gradCheck } = testing;

interface Case {
  labelSmoothing: number;
  reduction: 'mean' | 'sum' | 'none';
  loss: Entry;
  projection: Entry;
  grad: Entry;
}
const fixture = readFixture<{ logits: Entry; labels: number[]; cases: Case[] }>('cross_entropy.json');

/** Per-sample loss straight from the definition, in float64 on the host. */
function referenceLosses(logits: ArrayLike<number>, labels: ArrayLike<number>, c: number, eps: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < labels.length; i++) {
    const row = Array.from({ length: c }, (_, j) => logits[i * c + j]!);
    const top = Math.max(...row);
    const lse = top + Math.log(row.reduce((s, v) => s + Math.exp(v - top), 0));
    const logp = row.map((v) => v - lse);
    out.push(-(1 - eps) * logp[labels[i]!]! - (eps / c) * logp.reduce((s, v) => s + v, 0));
  }
  return out;
}

describe('crossEntropy', () => {
  it('equals F.cross_entropy, values and gradients, for each label smoothing and reduction', () => {
    const labels = tensor(fixture.labels, { dtype: 'int32' });
    for (const k of fixture.cases) {
      const logits = fromEntry(fixture.logits);
      logits.requiresGrad = true;
      const projection = fromEntry(k.projection);
      expectNoLeaks(() => {
        tidy(() => {
          const loss = crossEntropy(logits, labels, { labelSmoothing: k.labelSmoothing, reduction: k.reduction });
          expect(loss.shape).toEqual(k.loss.shape);
          expectClose(loss, k.loss.values, { rtol: 1e-12, atol: 1e-14, what: `${k.reduction} ${k.labelSmoothing}` });
          loss.mul(projection).sum().backward();
        });
        expectClose(logits.grad!, k.grad.values, { rtol: 1e-10, atol: 1e-14, what: `grad ${k.reduction} ${k.labelSmoothing}` });
        logits.grad = null;
      });
      logits.dispose();
      projection.dispose();
    }
    labels.dispose();
  });

  it('matches the definition on fresh random float32 logits: odd N and C, C = 1, smoothing 0, 0.1 and 1, each reduction', () => {
    manualSeed(21);
    for (const [n, c] of [[33, 10], [7, 1], [5, 13]] as const) {
      const logits = randn([n, c], { std: 4 });
      const labels = tensor(Int32Array.from({ length: n }, (_, i) => (i * 7 + 3) % c), { shape: [n] });
      for (const eps of [0, 0.1, 1]) {
        const expected = referenceLosses(logits.data(), labels.data(), c, eps);
        const total = expected.reduce((a, b) => a + b, 0);
        const what = `[${n}, ${c}] eps ${eps}`;
        expectNoLeaks(() =>
          tidy(() => {
            expectClose(crossEntropy(logits, labels, { labelSmoothing: eps, reduction: 'none' }), expected, { rtol: 1e-5, atol: 1e-5, what });
            expectClose(crossEntropy(logits, labels, { labelSmoothing: eps, reduction: 'sum' }), total, { rtol: 1e-5, atol: 1e-5, what });
            expectClose(crossEntropy(logits, labels, { labelSmoothing: eps }), total / n, { rtol: 1e-5, atol: 1e-5, what });
          }),
        );
      }
      logits.dispose();
      labels.dispose();
    }
  });

  it('has float64 gradients equal to finite differences (C = 1 and odd sizes, smoothing 0, 0.1 and 1, each reduction)', () => {
    manualSeed(22);
    for (const [n, c] of [[5, 6], [7, 1], [3, 9]] as const) {
      const labels = tensor(Int32Array.from({ length: n }, (_, i) => (i * 5 + 2) % c), { shape: [n] });
      for (const eps of [0, 0.1, 1]) {
        for (const reduction of ['mean', 'sum', 'none'] as const) {
          const logits = randn([n, c], { dtype: 'float64', std: 2, requiresGrad: true });
          expectNoLeaks(() => gradCheck((x: Tensor) => crossEntropy(x, labels, { labelSmoothing: eps, reduction }), [logits]));
          logits.dispose();
        }
      }
      labels.dispose();
    }
  });

  it('rejects bad arguments with a typed error naming them', () => {
    const logits = randn([2, 3]);
    const labels = tensor([0, 2], { dtype: 'int32' });
    expect(() => crossEntropy(logits, tensor([0, 3], { dtype: 'int32' }))).toThrow(/labels\[1\] must be a class index in \[0, 3\), got 3/);
    expect(() => crossEntropy(logits, tensor([-1, 0], { dtype: 'int32' }))).toThrow(ArgumentError);
    expect(() => crossEntropy(logits, tensor([0, 1]))).toThrow(DTypeError);
    expect(() => crossEntropy(logits, tensor([0], { dtype: 'int32' }))).toThrow(/labels must have shape \[2\]/);
    expect(() => crossEntropy(randn([6]), labels)).toThrow(ShapeError);
    expect(() => crossEntropy(logits, labels, { labelSmoothing: 1.5 })).toThrow(/labelSmoothing must be a number in \[0, 1\], got 1.5/);
    expect(() => crossEntropy(logits, labels, { reduction: 'avg' as 'mean' })).toThrow(/reduction must be/);
    logits.dispose();
    labels.dispose();
  });
});
