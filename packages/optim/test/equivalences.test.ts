// SGD equals LARS where their formulas coincide (tinygrad's check), on random tensors.
import { describe, expect, it } from 'vitest';

import { createOptimizerState, larsStep, sgdStep } from '../src/pure';
import { relativeError } from './parity-fixture';
import { randomNormal, seededRandom } from './random';

const SIZES = [1, 10, 300, 4096];
const STEPS = 10;

function setup(seed: number) {
  const random = seededRandom(seed);
  const params = SIZES.map((n) => randomNormal(random, n, 0.1));
  const grads = Array.from({ length: STEPS }, () => SIZES.map((n) => randomNormal(random, n, 0.05)));
  return { params, grads };
}

function expectClose(a: Float32Array[], b: Float32Array[], tolerance: number) {
  a.forEach((x, i) => expect(relativeError(x, b[i]!).error, `tensor ${i}`).toBeLessThanOrEqual(tolerance));
}

describe('SGD equals LARS where the formulas coincide', () => {
  it("LARS 'paper' with every tensor excluded = momentum SGD without weight decay (constant lr; buffer = lr·SGD's)", () => {
    const { params, grads } = setup(1);
    const sgd = params.map((p) => p.slice());
    const lars = params.map((p) => p.slice());
    const sgdState = createOptimizerState();
    const larsState = createOptimizerState();
    const lr = 0.3;
    for (const g of grads) {
      sgdStep(sgd, g, sgdState, { lr, momentum: 0.9 });
      const ratios = larsStep(lars, g, larsState, { lr, momentum: 0.9, weightDecay: 5e-3, exclude: () => true });
      expect(ratios.every((r) => r === 1)).toBe(true);
    }
    expectClose(lars, sgd, 1e-6);
    expectClose(larsState.momentumBuffers.map((b) => b!.map((v) => v / lr)), sgdState.momentumBuffers.map((b) => b!), 1e-6);
  });

  it("LARS 'paper' clipped at ratio 1 (LARC with a large η) = SGD with the same weight decay, momentum 0", () => {
    const { params, grads } = setup(2);
    const sgd = params.map((p) => p.slice());
    const lars = params.map((p) => p.slice());
    const state = createOptimizerState();
    grads.forEach((g, t) => {
      const lr = 0.05 * (t + 1); // changing every step
      sgdStep(sgd, g, state, { lr, weightDecay: 1e-3 });
      const ratios = larsStep(lars, g, createOptimizerState(), { lr, momentum: 0, weightDecay: 1e-3, trustCoefficient: 1e6, clip: true });
      expect(ratios.every((r) => r === 1)).toBe(true);
    });
    expectClose(lars, sgd, 1e-6);
  });

  it("all-zero tensors get ratio 1 in 'paper': the first step is SGD's (weight decay applied)", () => {
    const random = seededRandom(3);
    const zeros = SIZES.map((n) => new Float32Array(n));
    const g = SIZES.map((n) => randomNormal(random, n, 0.05));
    const sgd = zeros.map((p) => p.slice());
    const lars = zeros.map((p) => p.slice());
    sgdStep(sgd, g, createOptimizerState(), { lr: 0.2, momentum: 0.9, weightDecay: 1e-2 });
    larsStep(lars, g, createOptimizerState(), { lr: 0.2, momentum: 0.9, weightDecay: 1e-2, trustCoefficient: 0.001 });
    expectClose(lars, sgd, 0);
  });
});
