import { afterEach, describe, expect, it } from 'vitest';

import { ArgumentError, DTypeError, dropout, getNumThreads, manualSeed, ones, randn, setNumThreads, tensor, testing, tidy } from '../src/index';

const { expectClose, expectNoLeaks } = testing;

describe('dropout', () => {
  const threads = getNumThreads();
  afterEach(() => setNumThreads(threads));

  it('zeroes a fraction p and scales the rest by 1 / (1 - p); the gradient is the same mask', () => {
    tidy(() => {
      const n = 100_000;
      const p = 0.3;
      const x = ones([n], { requiresGrad: true });
      const y = dropout(x, p, true);
      const values = Array.from(y.data());
      const zeros = values.filter((v) => v === 0).length;
      expect(values.every((v) => v === 0 || Math.abs(v - 1 / (1 - p)) < 1e-6)).toBe(true);
      // The fraction of zeros is p within 5 standard deviations (sqrt(p (1 - p) / n) = 0.00145).
      expect(Math.abs(zeros / n - p)).toBeLessThan(5 * Math.sqrt((p * (1 - p)) / n));
      y.sum().backward();
      expectClose(x.grad!, values);
    });
  });

  it('is reproducible from the seed, whatever the thread count', () => {
    tidy(() => {
      const x = randn([3, 1000]);
      setNumThreads(1);
      manualSeed(42);
      const a = dropout(x, 0.5, true);
      setNumThreads(3);
      manualSeed(42);
      const b = dropout(x, 0.5, true);
      const c = dropout(x, 0.5, true); // the generator moved on
      expectClose(a, b, { rtol: 0, atol: 0 });
      expect(Array.from(c.data())).not.toEqual(Array.from(a.data()));
    });
  });

  it('passes x through when not training or p = 0, and gives zeros for p = 1', () => {
    tidy(() => {
      const x = randn([4, 5], { requiresGrad: true });
      for (const y of [dropout(x, 0.5, false), dropout(x, 0, true)]) {
        expect(y).not.toBe(x);
        expectClose(y, x);
      }
      dropout(x, 0.5, false).sum().backward();
      expectClose(x.grad!, new Array(20).fill(1));
      expectClose(dropout(x, 1, true), new Array(20).fill(0));
    });
  });

  it('leaks no tensors, forward or backward', () => {
    const x = randn([8, 8], { requiresGrad: true });
    for (const training of [true, false]) {
      expectNoLeaks(() => dropout(x, 0.25, training).dispose());
      expectNoLeaks(() => {
        tidy(() => dropout(x, 0.25, training).sum().backward());
        x.grad = null;
      });
    }
    x.dispose();
  });

  it('rejects p outside [0, 1] and integer tensors', () => {
    tidy(() => {
      expect(() => dropout(ones([2]), 1.5)).toThrow(ArgumentError);
      expect(() => dropout(ones([2]), -0.1)).toThrow(/p must be a probability in \[0, 1\], got -0.1/);
      expect(() => dropout(ones([2]), Number.NaN)).toThrow(ArgumentError);
      expect(() => dropout(tensor([1], { dtype: 'int32' }), 0.5)).toThrow(DTypeError);
    });
  });
});
