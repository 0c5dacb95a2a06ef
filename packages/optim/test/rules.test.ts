import { describe, expect, it } from 'vitest';

import {
  addDecayedWeights, allFinite, applyUpdate, l2Norm, scaleByLearningRate, scaleByTrustRatio, trace, trustRatio, type TrustRatioOptions,
} from '../src/pure';
import { randomNormal, seededRandom } from './random';

const random = seededRandom(2024);

/** float64 reference values of a float32 array. */
const f64 = (x: Float32Array) => Array.from(x);

describe('l2Norm', () => {
  it('equals a float64 reference (Math.hypot in blocks) on a large random tensor', () => {
    const x = randomNormal(random, 100_003, 3);
    const blocks: number[] = [];
    for (let i = 0; i < x.length; i += 1000) blocks.push(Math.hypot(...x.subarray(i, i + 1000)));
    expect(Math.abs(l2Norm(x) - Math.hypot(...blocks))).toBeLessThanOrEqual(1e-12 * Math.hypot(...blocks));
  });
  it('keeps float32 values beyond float32 range when squared (float64 accumulation)', () => {
    const x = new Float32Array([3e30, 4e30]);
    expect(l2Norm(x)).toBe(Math.hypot(x[0]!, x[1]!));
  });
});

describe('allFinite', () => {
  it('finds NaN, +Inf and -Inf anywhere', () => {
    const x = randomNormal(random, 257, 1);
    expect(allFinite(x)).toBe(true);
    for (const bad of [Number.NaN, Infinity, -Infinity]) {
      const y = x.slice();
      y[200] = bad;
      expect(allFinite(y)).toBe(false);
    }
  });
});

describe('addDecayedWeights / scaleByLearningRate / applyUpdate', () => {
  it('compute u + βw, γ·u and w − u elementwise (float64 reference, rounded once)', () => {
    const u = randomNormal(random, 33, 1);
    const w = randomNormal(random, 33, 1);
    const beta = random() * 1e-2;
    const lr = random();
    const expected = f64(u).map((v, i) => Math.fround(Math.fround(v + beta * w[i]!) * lr));
    const ref = f64(w).map((v, i) => Math.fround(v - expected[i]!));
    addDecayedWeights(u, w, beta);
    scaleByLearningRate(u, lr);
    expect(f64(u)).toEqual(expected);
    applyUpdate(w, u);
    expect(f64(w)).toEqual(ref);
  });
});

describe('trace (torch momentum)', () => {
  const d1 = randomNormal(random, 9, 1);
  const d2 = randomNormal(random, 9, 1);
  it('first step: buffer = d; then m·buf + (1 − dampening)·d', () => {
    const m = 0.5 + 0.4 * random();
    const damp = 0.3;
    const u1 = d1.slice();
    const buf = trace(u1, undefined, { momentum: m, dampening: damp, nesterov: false })!;
    expect(f64(buf)).toEqual(f64(d1));
    expect(f64(u1)).toEqual(f64(d1));
    const u2 = d2.slice();
    trace(u2, buf, { momentum: m, dampening: damp, nesterov: false });
    const expected = f64(d1).map((b, i) => Math.fround(m * b + (1 - damp) * d2[i]!));
    expect(f64(buf)).toEqual(expected);
    expect(f64(u2)).toEqual(expected);
  });
  it('nesterov: update = d + m·buf', () => {
    const m = 0.9;
    const u1 = d1.slice();
    const buf = trace(u1, undefined, { momentum: m, dampening: 0, nesterov: true })!;
    expect(f64(u1)).toEqual(f64(d1).map((d) => Math.fround(d + m * d)));
    expect(f64(buf)).toEqual(f64(d1));
  });
  it('momentum 0: no buffer, update untouched', () => {
    const u = d1.slice();
    expect(trace(u, undefined, { momentum: 0, dampening: 0, nesterov: false })).toBeUndefined();
    expect(f64(u)).toEqual(f64(d1));
  });
});

describe('trustRatio', () => {
  const paper: TrustRatioOptions = { variant: 'paper', trustCoefficient: 0.02, weightDecay: 5e-4, eps: 1e-9, clip: false, lr: 0.5 };
  const wn = 1 + random();
  const gn = random();
  it("'paper': η‖w‖/(‖g‖ + β‖w‖ + eps)", () => {
    expect(trustRatio(wn, gn, paper)).toBe((0.02 * wn) / (gn + 5e-4 * wn + 1e-9));
  });
  it("'paper': 1 when either norm is 0", () => {
    expect(trustRatio(0, gn, paper)).toBe(1);
    expect(trustRatio(wn, 0, paper)).toBe(1);
    expect(trustRatio(0, 0, paper)).toBe(1);
  });
  it("'paper' with clip (LARC): min(λ/lr, 1)", () => {
    const clipped = { ...paper, clip: true };
    expect(trustRatio(wn, gn, clipped)).toBe(Math.min((0.02 * wn) / (gn + 5e-4 * wn + 1e-9) / 0.5, 1));
    expect(trustRatio(1e6, 1e-6, clipped)).toBe(1);
    expect(trustRatio(0, gn, clipped)).toBe(1);
  });
  it("'study': η‖w‖/(‖g‖ + β‖w‖), 0 for a zero tensor, NaN when both norms are 0", () => {
    const study: TrustRatioOptions = { ...paper, variant: 'study', trustCoefficient: 0.1, weightDecay: 5e-3 };
    expect(trustRatio(wn, gn, study)).toBe(0.1 * (wn / (gn + 5e-3 * wn)));
    expect(trustRatio(0, gn, study)).toBe(0);
    expect(trustRatio(0, 0, study)).toBeNaN();
  });
  it('scaleByTrustRatio scales by the ratio of the norms of param and raw gradient', () => {
    const w = randomNormal(random, 50, 0.1);
    const g = randomNormal(random, 50, 0.01);
    const u = g.slice();
    const r = scaleByTrustRatio(u, w, g, paper);
    expect(r).toBe(trustRatio(l2Norm(w), l2Norm(g), paper));
    expect(f64(u)).toEqual(f64(g).map((v) => Math.fround(v * r)));
  });
});
