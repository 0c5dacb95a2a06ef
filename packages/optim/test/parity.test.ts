import { describe, expect, it } from 'vitest';

import { createOptimizerState, larsStep, sgdStep } from '../src/index';
import { caseOptions, gradsAt, initialParams, parity, relativeError, type ParityCase } from './parity-fixture';

// Our float64-norm, double-then-round arithmetic against PyTorch's float32 kernels.
const TOLERANCE = 2e-6;

function expectTensorsClose(label: string, actual: (Float32Array | undefined)[], expected: (number[] | null)[]): void {
  expected.forEach((ref, i) => {
    const name = parity.names[i];
    if (ref === null) {
      expect(actual[i], `${label} ${name}: no buffer expected`).toBeUndefined();
      return;
    }
    expect(actual[i], `${label} ${name}`).toBeDefined();
    const { error, worst } = relativeError(actual[i]!, ref);
    expect(error, `${label} ${name}: relative error ${error} at index ${worst}`).toBeLessThanOrEqual(TOLERANCE);
  });
}

function run(c: ParityCase) {
  const params = initialParams();
  const state = createOptimizerState();
  let afterFirst: Float32Array[] = [];
  let ratios: (number | undefined)[] = [];
  for (let t = 0; t < parity.steps; t++) {
    const options = { ...caseOptions(c), lr: c.lrs[t]! };
    if (c.optimizer === 'sgd') sgdStep(params, gradsAt(t), state, options);
    else ratios = larsStep(params, gradsAt(t), state, options);
    if (t === 0) afterFirst = params.map((p) => p.slice());
  }
  return { params, state, afterFirst, ratios };
}

describe('parity with PyTorch fixtures (fixtures/optim_parity.py)', () => {
  it('covers SGD, LARS paper and LARS study, with an all-zero tensor among the params', () => {
    expect(new Set(parity.cases.map((c) => c.optimizer))).toEqual(new Set(['sgd', 'paper', 'study']));
    expect(parity.steps).toBeGreaterThanOrEqual(20);
    expect(parity.initial.some((t) => t.every((v) => v === 0))).toBe(true);
    expect(parity.grads[0]!.every((g) => g.some((v) => v !== 0))).toBe(true);
  });

  it.each(parity.cases.map((c) => [c.name, c] as const))('%s equals the fixture step for step', (_name, c) => {
    const { params, state, afterFirst, ratios } = run(c);
    expectTensorsClose('after step 1', afterFirst, c.afterFirstStep);
    expectTensorsClose('final', params, c.final);
    expectTensorsClose('momentum', parity.names.map((_, i) => state.momentumBuffers[i]), c.momentumBuffers);
    if (c.lastTrustRatios) {
      c.lastTrustRatios.forEach((r, i) => expect(Math.abs(ratios[i]! - r)).toBeLessThanOrEqual(1e-6 * Math.abs(r)));
    }
  });

  it("'study' never moves the all-zero tensor and keeps a zero buffer for it (λ = 0)", () => {
    const zero = parity.initial.findIndex((t) => t.every((v) => v === 0));
    const c = parity.cases.find((x) => x.name === 'lars-study')!;
    const { params, state } = run(c);
    expect(Array.from(params[zero]!).every((v) => v === 0)).toBe(true);
    expect(Array.from(state.momentumBuffers[zero]!).every((v) => v === 0)).toBe(true);
  });

  it("'paper' moves the all-zero tensor on its first step (ratio 1, plain momentum SGD)", () => {
    const zero = parity.initial.findIndex((t) => t.every((v) => v === 0));
    const c = parity.cases.find((x) => x.name === 'lars-paper')!;
    const { afterFirst } = run(c);
    const g = gradsAt(0)[zero]!;
    afterFirst[zero]!.forEach((v, i) => expect(v).toBe(Math.fround(-Math.fround(c.lrs[0]! * g[i]!))));
  });
});
