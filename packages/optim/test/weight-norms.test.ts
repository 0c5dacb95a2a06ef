// The LARS classes keep each weight's ‖w‖² from one step's update pass for the next step
// (FusedGroup's keepWeightNorms). These tests hold that to a run that reads w afresh at
// every step, bit for bit, and check that a parameter written between steps, through the
// tensor API, has its norm taken afresh.
import { native } from '@largebatch/cuda-kernels';
import { memory, noGrad, tidy, type Tensor } from '@largebatch/tensor';
import { describe, expect, it } from 'vitest';

import { LARS } from '../src/index';
import { randomNormal, seededRandom } from './random';
import { disposeAll, namedParams, setGrads, valuesOf } from './tensor-params';

// Small tensors stepped whole, and one above 2^20 elements that all threads step together.
const SIZES = [1, 7, 4099, (1 << 17) + 5, (1 << 20) + 5];
const STEPS = 4;

function params(seed: number): Tensor[] {
  const random = seededRandom(seed);
  return namedParams(SIZES.map((n) => randomNormal(random, n, 0.1)), SIZES.map((n) => [n])).map(([, t]) => t);
}

function grads(step: number): Float32Array[] {
  const random = seededRandom(1000 + step);
  return SIZES.map((n) => randomNormal(random, n, 0.05));
}

/** Runs STEPS steps; `between(step, ps)` runs before each step. */
function run(variant: 'paper' | 'study', between: (step: number, ps: Tensor[]) => void): Float32Array[] {
  const ps = params(7);
  const opt = new LARS(ps, { lr: 0.5, momentum: 0.9, weightDecay: 5e-3, trustCoefficient: 0.02, variant });
  for (let step = 0; step < STEPS; step++) {
    between(step, ps);
    setGrads(ps, grads(step));
    opt.step();
  }
  const values = valuesOf(ps);
  opt.dispose();
  disposeAll(ps);
  for (const p of ps) p.grad?.dispose();
  return values;
}

const afresh = (_: number, ps: Tensor[]) => ps.forEach((p) => p.storage.markWritten());

function expectBitEqual(actual: Float32Array[], expected: Float32Array[]): void {
  actual.forEach((a, i) => expect(Buffer.from(a.buffer).equals(Buffer.from(expected[i]!.buffer)), `tensor ${i}`).toBe(true));
}

describe('LARS keeps ‖w‖² between steps', () => {
  for (const variant of ['paper', 'study'] as const) {
    it(`'${variant}': equal bit for bit to reading w at every step`, () => {
      const before = memory().numTensors;
      expectBitEqual(run(variant, () => {}), run(variant, afresh));
      expect(memory().numTensors).toBe(before);
    });
  }

  it('a parameter written between steps (copy_, mul_) has its norm taken afresh', () => {
    const before = memory().numTensors;
    const write = (step: number, ps: Tensor[]) => {
      if (step !== 2) return;
      tidy(() => noGrad(() => {
        ps[4]!.mul_(3);
        ps[1]!.copy_(ps[1]!.neg());
      }));
    };
    const kept = run('paper', write);
    expectBitEqual(kept, run('paper', (step, ps) => {
      write(step, ps);
      afresh(step, ps);
    }));
    // A raw write that does not call markWritten() leaves the old norm in use: the same
    // change then gives other weights, which shows the norm really is kept.
    const stale = run('paper', (step, ps) => {
      if (step !== 2) return;
      const p = ps[4]!;
      native.write(p.storage.handle, 4 * p.offset, (p.data() as Float32Array).map((v) => 3 * v));
    });
    expect(Buffer.from(stale[4]!.buffer).equals(Buffer.from(kept[4]!.buffer))).toBe(false);
    expect(memory().numTensors).toBe(before);
  });
});
