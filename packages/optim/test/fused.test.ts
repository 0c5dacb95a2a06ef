import { DeviceCode, native, type BufferHandle } from '@largebatch/cuda-kernels';
import { DisposedError } from '@largebatch/tensor';
import { afterAll, describe, expect, it } from 'vitest';

import {
  createOptimizerState, FusedGroup, larsStep, NonFiniteGradientError, OptimizerArgumentError, OptimizerOptionError, sgdStep,
  type BufferSpan,
} from '../src/index';
import { CASES } from './cases';
import { relativeError } from './parity-fixture';
import { randomNormal, seededRandom } from './random';

// Sizes: one element, odd and small ones, two stepped whole by one thread, and one just
// above 2^20, which all threads step together in chunks (the last one short); index 2 is
// all zeros.
const SIZES = [1, 7, 16, 1000, 4099, (1 << 17) + 5, 300_001, (1 << 20) + 5];
const ZERO = 2;
const STEPS = 5;
const TOLERANCE = 1e-6;

const allocated: BufferHandle[] = [];
afterAll(() => allocated.forEach((b) => native.free(b)));

function alloc(floats: number): BufferHandle {
  const b = native.alloc(DeviceCode.cpu, 4 * floats);
  allocated.push(b);
  return b;
}

/** Tensors of SIZES laid out as a model's storage: params packed in one buffer at offsets,
 * momentum and gradients in buffers of their own at a small offset. */
class NativeGroupFixture {
  readonly params: Float32Array[];
  readonly paramStore = alloc(SIZES.reduce((a, b) => a + b, 0) + 3);
  readonly offsets = SIZES.map((_, i) => 3 + SIZES.slice(0, i).reduce((a, b) => a + b, 0));
  readonly momenta = SIZES.map((n) => alloc(n + 1));
  readonly grads = SIZES.map((n) => alloc(n + 2));

  constructor(random: () => number) {
    this.params = SIZES.map((n, i) => randomNormal(random, n, i === ZERO ? 0 : 0.1));
    this.params.forEach((p, i) => native.write(this.paramStore, 4 * this.offsets[i]!, p));
    this.momenta.forEach((m, i) => native.write(m, 0, new Float32Array(SIZES[i]! + 1).fill(Number.NaN)));
  }

  group(excluded: (i: number) => boolean = () => false): FusedGroup {
    return new FusedGroup(SIZES.map((size, i) => ({
      name: `t${i}`, size, excluded: excluded(i),
      param: { buffer: this.paramStore, offset: this.offsets[i]! },
      momentum: { buffer: this.momenta[i]!, offset: 1 },
    })));
  }

  writeGrads(grads: Float32Array[]): BufferSpan[] {
    return grads.map((g, i) => {
      native.write(this.grads[i]!, 4 * 2, g);
      return { buffer: this.grads[i]!, offset: 2 };
    });
  }

  readParams(): Float32Array[] {
    return SIZES.map((n, i) => {
      const out = new Float32Array(n);
      native.read(this.paramStore, 4 * this.offsets[i]!, out);
      return out;
    });
  }

  readMomenta(): Float32Array[] {
    return SIZES.map((n, i) => {
      const out = new Float32Array(n);
      native.read(this.momenta[i]!, 4, out);
      return out;
    });
  }
}

function expectAllClose(label: string, actual: Float32Array[], expected: (Float32Array | undefined)[]): void {
  expected.forEach((ref, i) => {
    if (ref === undefined) return;
    const { error, worst } = relativeError(actual[i]!, ref);
    expect(error, `${label} tensor ${i}: relative error ${error} at ${worst}`).toBeLessThanOrEqual(TOLERANCE);
  });
}


describe('FusedGroup equals the for-loop reference (sgdStep / larsStep)', () => {
  it.each(CASES.map((c, k) => [c.name, c, k] as const))('%s', (_name, c, k) => {
    const random = seededRandom(100 + k);
    const fx = new NativeGroupFixture(random);
    const excluded = c.optimizer === 'lars' ? c.excluded : undefined;
    const group = fx.group(excluded);
    const params = fx.params.map((p) => p.slice());
    const state = createOptimizerState();
    const ratiosOut = alloc(SIZES.length);
    for (let t = 0; t < STEPS; t++) {
      const grads = SIZES.map((n) => randomNormal(random, n, 0.05));
      const lr = 0.05 + 0.2 * random(); // a new rate every step, as a scheduler sets it
      const spans = fx.writeGrads(grads);
      if (c.optimizer === 'sgd') {
        group.sgdStep(spans, { ...c.options, lr });
        sgdStep(params, grads, state, { ...c.options, lr });
      } else {
        group.larsStep(spans, { ...c.options, lr }, { buffer: ratiosOut, offset: 0 });
        const ratios = larsStep(params, grads, state, { ...c.options, lr, ...(excluded ? { exclude: (_n, _p, i) => excluded(i) } : {}) });
        const fusedRatios = new Float32Array(SIZES.length);
        native.read(ratiosOut, 0, fusedRatios);
        ratios.forEach((r, i) => expect(Math.abs(fusedRatios[i]! - r!), `ratio ${i}`).toBeLessThanOrEqual(1e-6 * Math.abs(r!)));
      }
      expectAllClose(`step ${t} params`, fx.readParams(), params);
    }
    const momentum = c.options.momentum ?? 0;
    if (momentum !== 0) {
      expectAllClose('momentum', fx.readMomenta(), state.momentumBuffers);
      SIZES.forEach((_, i) => expect(group.momentumReady(i)).toBe(true));
    } else {
      // Without momentum the buffers are never touched (they were filled with NaN).
      fx.readMomenta().forEach((m) => expect(Number.isNaN(m[0])).toBe(true));
    }
  });

  it("'study' leaves the all-zero tensor at zero; 'paper' moves it with ratio 1", () => {
    const random = seededRandom(5);
    const fx = new NativeGroupFixture(random);
    const study = fx.group();
    const spans = fx.writeGrads(SIZES.map((n) => randomNormal(random, n, 0.05)));
    study.larsStep(spans, { variant: 'study', lr: 0.1, momentum: 0.9, weightDecay: 5e-3, trustCoefficient: 0.1 });
    expect(fx.readParams()[ZERO]!.every((v) => v === 0)).toBe(true);
    const ratios = alloc(SIZES.length);
    fx.group().larsStep(spans, { lr: 0.1, trustCoefficient: 0.1 }, { buffer: ratios, offset: 0 });
    const out = new Float32Array(SIZES.length);
    native.read(ratios, 0, out);
    expect(out[ZERO]).toBe(1);
    expect(fx.readParams()[ZERO]!.some((v) => v !== 0)).toBe(true);
  });

  it('skips tensors without a gradient and reports NaN/Inf gradients by index and name, leaving those tensors unchanged', () => {
    const random = seededRandom(9);
    const fx = new NativeGroupFixture(random);
    const group = fx.group();
    const params = fx.params.map((p) => p.slice());
    const state = createOptimizerState();
    const grads = SIZES.map((n) => randomNormal(random, n, 0.05));
    grads[3]![17] = Number.NaN;
    grads[6]![299_999] = Number.NEGATIVE_INFINITY; // in the last chunk of a split tensor
    const spans: (BufferSpan | null)[] = fx.writeGrads(grads);
    spans[1] = null;
    const withNull = grads.map((g, i) => (i === 1 ? null : g));
    const options = { lr: 0.1, momentum: 0.9, weightDecay: 5e-4, trustCoefficient: 0.02 };
    let fusedError: unknown;
    try {
      group.larsStep(spans, options);
    } catch (e) {
      fusedError = e;
    }
    expect(fusedError).toBeInstanceOf(NonFiniteGradientError);
    const err = fusedError as NonFiniteGradientError;
    expect(err.index).toBe(3);
    expect(err.indices).toEqual([3, 6]);
    expect(err.tensorName).toBe('t3');
    expect(err.message).toMatch(/tensor 3 \('t3'\) holds NaN or Inf \(and 1 more: 6\)/);
    expect(() => larsStep(params, withNull, state, options)).toThrow(NonFiniteGradientError);
    const after = fx.readParams();
    for (const i of [1, 3, 6]) expect(after[i]!.every((v, j) => v === fx.params[i]![j]), `tensor ${i} untouched`).toBe(true);
    expectAllClose('others', after, params);
    for (const i of [1, 3, 6]) expect(group.momentumReady(i)).toBe(false);
    expect(group.momentumReady(0)).toBe(true);
    expect(() => group.synchronize()).not.toThrow(); // a CPU step reports itself
  });

  it('rejects bad options and arguments with typed errors, and bad spans with the addon error', () => {
    const fx = new NativeGroupFixture(seededRandom(3));
    const spans = fx.writeGrads(SIZES.map((n) => new Float32Array(n).fill(0.5)));
    const group = fx.group();
    expect(() => group.larsStep(spans, { lr: -1 })).toThrow(/FusedGroup.larsStep: option 'lr' must be a finite number >= 0, got -1/);
    expect(() => group.larsStep(spans, { lr: 1, variant: 'ver3' as never })).toThrow(OptimizerOptionError);
    expect(() => group.sgdStep(spans.slice(1), { lr: 1 })).toThrow(OptimizerArgumentError);
    expect(() => fx.group((i) => i === 0).larsStep(spans, { lr: 1, variant: 'study' })).toThrow(/option 'excluded'/);
    const noMomentum = new FusedGroup([{ name: 'w', size: 1, param: { buffer: fx.paramStore, offset: 0 } }]);
    expect(() => noMomentum.sgdStep([spans[0]!], { lr: 1, momentum: 0.9 })).toThrow(/argument 'tensors\[0\].momentum' must be a buffer span, since momentum is 0.9/);
    const tooFar = new FusedGroup([{ name: 'w', size: 8, param: { buffer: fx.grads[0]!, offset: 0 } }]);
    expect(() => tooFar.sgdStep([spans[1]!], { lr: 1 })).toThrow(/largebatch kernel 'optimStep': elements \[0, 8\) are outside a buffer of 3/);
    group.dispose();
    group.dispose();
    expect(() => group.sgdStep(spans, { lr: 1 })).toThrow(DisposedError);
    expect(() => group.momentumReady(0)).toThrow(/FusedGroup: the group was disposed/);
  });
});
