import { describe, expect, it } from 'vitest';

import { ArgumentError, DTypeError, manualSeed, randn, testing, zeros } from '@largebatch/tensor';
import {
  type Nonlinearity, calculateGain, fanInAndFanOut, kaimingNormal_, kaimingUniform_, normal_, ones_, uniform_, xavierNormal_,
  xavierUniform_, zeros_,
} from '../src/index';
import { readFixture } from './fixtures';
import { stats } from './stats';

const { expectNoLeaks } = testing;

interface InitFixture {
  gains: Record<string, number>;
  fans: { shape: number[]; fanIn: number; fanOut: number; kaimingUniformStd: number; kaimingDefaultBound: number; xavierBound: number }[];
}
const fixture = readFixture<InitFixture>('init.json');

/** Checks a large draw: inside [lo, hi] when bounded, and mean / variance within a few standard errors. */
function expectDistribution(values: ArrayLike<number>, expected: { mean: number; variance: number; bound?: number }): void {
  const s = stats(values);
  const n = values.length;
  if (expected.bound !== undefined) {
    expect(s.max).toBeLessThanOrEqual(expected.bound);
    expect(s.min).toBeGreaterThanOrEqual(-expected.bound);
    expect(s.max).toBeGreaterThan(0.99 * expected.bound);
  }
  expect(Math.abs(s.mean - expected.mean)).toBeLessThan(5 * Math.sqrt(expected.variance / n));
  // The sample variance's relative standard error is about sqrt(2 / n) (normal) or less (uniform).
  expect(Math.abs(s.variance / expected.variance - 1)).toBeLessThan(5 * Math.sqrt(2 / n));
}

describe('gains and fans (against torch.nn.init, init.json)', () => {
  it('calculateGain', () => {
    for (const [name, gain] of Object.entries(fixture.gains)) {
      const value = name === 'leaky_relu(0.2)' ? calculateGain('leaky_relu', 0.2) : calculateGain(name as Nonlinearity);
      expect(value, name).toBeCloseTo(gain, 14);
    }
    expect(() => calculateGain('swish' as Nonlinearity)).toThrow(/nonlinearity must be one of .*got 'swish'/);
  });

  it('fanInAndFanOut and the bounds that follow', () => {
    for (const f of fixture.fans) {
      const t = zeros(f.shape);
      expect(fanInAndFanOut(t)).toEqual({ fanIn: f.fanIn, fanOut: f.fanOut });
      t.dispose();
    }
    const bias = zeros([4]);
    expect(() => fanInAndFanOut(bias)).toThrow(/at least 2 dimensions .* got shape \[4\]/);
    expect(() => kaimingUniform_(bias)).toThrow(ArgumentError);
    bias.dispose();
  });
});

describe('initialisers draw the right distributions', () => {
  it('kaimingUniform_: U(-b, b) with b = gain sqrt(3 / fan), as PyTorch on the same shapes', () => {
    manualSeed(31);
    for (const f of fixture.fans.filter((g) => g.shape.reduce((a, b) => a * b) > 5000)) {
      const w = zeros(f.shape);
      expectNoLeaks(() => kaimingUniform_(w));
      const b = f.kaimingDefaultBound;
      expectDistribution(w.data(), { mean: 0, variance: (b * b) / 3, bound: b });
      // PyTorch's own draw on this shape has the same spread.
      expect(Math.sqrt(stats(w.data()).variance) / f.kaimingUniformStd).toBeCloseTo(1, 1);
      kaimingUniform_(w, { a: Math.sqrt(5), mode: 'fan_out' });
      const bo = Math.sqrt(3) * Math.sqrt(2 / 6) / Math.sqrt(f.fanOut);
      expectDistribution(w.data(), { mean: 0, variance: (bo * bo) / 3, bound: bo });
      w.dispose();
    }
  });

  it('kaimingNormal_, xavierUniform_, xavierNormal_', () => {
    manualSeed(32);
    const w = zeros([256, 128, 3, 3]);
    const [fanIn, fanOut] = [128 * 9, 256 * 9];
    kaimingNormal_(w, { mode: 'fan_out', nonlinearity: 'relu' });
    expectDistribution(w.data(), { mean: 0, variance: 2 / fanOut });
    kaimingNormal_(w, { nonlinearity: 'tanh' });
    expectDistribution(w.data(), { mean: 0, variance: (25 / 9) / fanIn });
    const xb = 2 * Math.sqrt(6 / (fanIn + fanOut));
    xavierUniform_(w, { gain: 2 });
    expectDistribution(w.data(), { mean: 0, variance: (xb * xb) / 3, bound: xb });
    xavierNormal_(w);
    expectDistribution(w.data(), { mean: 0, variance: 2 / (fanIn + fanOut) });
    w.dispose();
  });

  it('uniform_, normal_, zeros_, ones_ on float32 and float64, on a parameter that requires grad', () => {
    manualSeed(33);
    for (const dtype of ['float32', 'float64'] as const) {
      const t = zeros([300, 400], { dtype, requiresGrad: true });
      expectNoLeaks(() => uniform_(t, { low: -3, high: 1 }));
      expectDistribution(t.data(), { mean: -1, variance: 16 / 12 });
      expect(stats(t.data()).min).toBeGreaterThanOrEqual(-3);
      normal_(t, { mean: 2, std: 0.5 });
      expectDistribution(t.data(), { mean: 2, variance: 0.25 });
      expect(t.isLeaf && t.requiresGrad).toBe(true);
      expect(stats(zeros_(t).data())).toMatchObject({ min: 0, max: 0 });
      expect(stats(ones_(t).data())).toMatchObject({ min: 1, max: 1 });
      t.dispose();
    }
  });

  it('is reproducible from the seed', () => {
    const a = zeros([50, 20]);
    const b = zeros([50, 20]);
    manualSeed(34);
    kaimingUniform_(a);
    manualSeed(34);
    kaimingUniform_(b);
    expect(Array.from(a.data())).toEqual(Array.from(b.data()));
    for (const t of [a, b]) t.dispose();
  });

  it('rejects bad arguments', () => {
    const t = randn([4, 4]);
    expect(() => uniform_(t, { low: 1, high: 0 })).toThrow(/low must be <= high, got low 1 and high 0/);
    expect(() => normal_(t, { std: -1 })).toThrow(/std must be >= 0, got -1/);
    expect(() => kaimingUniform_(t, { mode: 'fan_both' as 'fan_in' })).toThrow(/mode must be 'fan_in' or 'fan_out', got 'fan_both'/);
    const ints = zeros([4, 4], { dtype: 'int32' });
    expect(() => kaimingNormal_(ints)).toThrow(DTypeError);
    for (const x of [t, ints]) x.dispose();
  });
});
