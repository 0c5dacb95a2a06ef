// The SGD and LARS classes against the functional steps (sgdStep / larsStep over plain
// Float32Array copies), step for step, for every case of cases.ts; param groups; layout
// rebuilds when a group's tensors change.
import { memory, testing, type Tensor } from '@largebatch/tensor';
import { describe, expect, it } from 'vitest';

import { createOptimizerState, LARS, larsStep, SGD, sgdStep, type OptimizerState } from '../src/index';
import { CASES, type Case } from './cases';
import { randomNormal, seededRandom } from './random';
import { disposeAll, expectTensorsClose, namedParams, setGrads, valuesOf } from './tensor-params';

// A scalar-like tensor, small ones, a 2-D one, and one above the kernel's 2^17 split;
// index 2 is all zeros (a zero-initialised bias).
const SHAPES = [[1], [7], [16], [10, 100], [4099], [(1 << 17) + 5]];
const SIZES = SHAPES.map((s) => s.reduce((a, b) => a * b, 1));
const ZERO = 2;
const STEPS = 5;
const TOLERANCE = 1e-6;

function initialValues(random: () => number): Float32Array[] {
  return SIZES.map((n, i) => randomNormal(random, n, i === ZERO ? 0 : 0.1));
}

function randomGrads(random: () => number): Float32Array[] {
  return SIZES.map((n) => randomNormal(random, n, 0.05));
}

/** The class for a case, over named params `t0`, `t1`, ... */
function optimizerFor(c: Case, params: ReturnType<typeof namedParams>, lr: number): SGD | LARS {
  if (c.optimizer === 'sgd') return new SGD(params, { ...c.options, lr });
  const excluded = c.excluded;
  return new LARS(params, { ...c.options, lr, ...(excluded ? { exclude: (name: string) => excluded(Number(name.slice(1))) } : {}) });
}

/** The functional reference step for a case. */
function referenceStep(c: Case, values: Float32Array[], grads: (Float32Array | null)[], state: OptimizerState, lr: number): void {
  if (c.optimizer === 'sgd') {
    sgdStep(values, grads, state, { ...c.options, lr });
  } else {
    const excluded = c.excluded;
    larsStep(values, grads, state, { ...c.options, lr, ...(excluded ? { exclude: (_n: string, _p: Float32Array, i: number) => excluded(i) } : {}) });
  }
}

testing.describeEachDevice(describe, 'SGD and LARS classes equal the functional steps', (device) => {
  it.each(CASES.map((c, k) => [c.name, c, k] as const))('%s', (_name, c, k) => {
    const random = seededRandom(200 + k);
    const initial = initialValues(random);
    const named = namedParams(initial, SHAPES, device);
    const params = named.map(([, p]) => p);
    const opt = optimizerFor(c, named, 0.1);
    const reference = initial.map((v) => v.slice());
    const state = createOptimizerState();
    for (let t = 0; t < STEPS; t++) {
      const grads: (Float32Array | null)[] = randomGrads(random);
      if (t === 1) grads[3] = null; // no gradient this step: skipped by both
      const lr = 0.05 + 0.2 * random(); // as a scheduler sets it
      opt.paramGroups[0]!.lr = lr;
      setGrads(params, grads);
      opt.step();
      referenceStep(c, reference, grads, state, lr);
      expectTensorsClose(`step ${t}`, valuesOf(params), reference, TOLERANCE);
    }
    const saved = opt.stateDict().paramGroups[0]!.params.map((s) => s.momentumBuffer);
    if ((c.options.momentum ?? (c.optimizer === 'lars' ? 0.9 : 0)) === 0) {
      expect(saved.every((b) => b === null)).toBe(true);
    } else {
      expectTensorsClose('momentum', saved as Float32Array[], state.momentumBuffers, TOLERANCE);
    }
    opt.dispose();
    disposeAll(params);
  });
});

describe('param groups', () => {
  it('each group steps with its own options, and a group option changed between steps takes effect', () => {
    const random = seededRandom(7);
    const initial = initialValues(random);
    const named = namedParams(initial, SHAPES);
    const params = named.map(([, p]) => p);
    const opt = new LARS(
      [{ params: named.slice(0, 3), weightDecay: 0, nesterov: true }, { params: named.slice(3), variant: 'study', trustCoefficient: 0.1 }],
      { lr: 0.1, momentum: 0.9, weightDecay: 5e-3, trustCoefficient: 0.02 },
    );
    expect(opt.paramGroups.map((g) => g.variant)).toEqual(['paper', 'study']);
    expect(opt.paramGroups[1]!.names).toEqual(['t3', 't4', 't5']);
    const first = initial.slice(0, 3).map((v) => v.slice());
    const second = initial.slice(3).map((v) => v.slice());
    const [s1, s2] = [createOptimizerState(), createOptimizerState()];
    for (let t = 0; t < STEPS; t++) {
      const grads = randomGrads(random);
      opt.paramGroups[1]!.lr = 0.1 / (t + 1);
      setGrads(params, grads);
      opt.step();
      larsStep(first, grads.slice(0, 3), s1, { lr: 0.1, momentum: 0.9, weightDecay: 0, trustCoefficient: 0.02, nesterov: true });
      larsStep(second, grads.slice(3), s2, { lr: 0.1 / (t + 1), momentum: 0.9, weightDecay: 5e-3, trustCoefficient: 0.1, variant: 'study' });
      expectTensorsClose(`step ${t}`, valuesOf(params), [...first, ...second], TOLERANCE);
    }
    opt.dispose();
    disposeAll(params);
  });

  it('a tensor added to a group, or a new group, joins the next step with fresh momentum; the others keep theirs', () => {
    const random = seededRandom(8);
    const initial = initialValues(random);
    const named = namedParams(initial, SHAPES);
    const params = named.map(([, p]) => p);
    const opt = new SGD(named.slice(0, 3), { lr: 0.1, momentum: 0.9, weightDecay: 1e-3 });
    const reference = initial.map((v) => v.slice());
    const state = createOptimizerState();
    for (let t = 0; t < 4; t++) {
      if (t === 2) {
        opt.paramGroups[0]!.params.push(params[3]!);
        opt.paramGroups[0]!.names.push('t3');
        opt.addParamGroup({ params: named.slice(4) });
      }
      const live = t < 2 ? 3 : SIZES.length;
      const grads = randomGrads(random).map((g, i) => (i < live ? g : null));
      setGrads(params, grads);
      opt.step();
      sgdStep(reference, grads, state, { lr: 0.1, momentum: 0.9, weightDecay: 1e-3 });
      expectTensorsClose(`step ${t}`, valuesOf(params), reference, TOLERANCE);
    }
    opt.dispose();
    disposeAll(params);
  });

  it('momentum switched on between steps starts the buffers afresh', () => {
    const random = seededRandom(9);
    const initial = initialValues(random);
    const named = namedParams(initial, SHAPES);
    const params = named.map(([, p]) => p);
    const opt = new SGD(named, { lr: 0.1 });
    const reference = initial.map((v) => v.slice());
    const state = createOptimizerState();
    const plain = createOptimizerState();
    for (let t = 0; t < 4; t++) {
      const momentum = t < 2 ? 0 : 0.9;
      opt.paramGroups[0]!.momentum = momentum;
      const grads = randomGrads(random);
      setGrads(params, grads);
      opt.step();
      sgdStep(reference, grads, momentum === 0 ? plain : state, { lr: 0.1, momentum });
      expectTensorsClose(`step ${t}`, valuesOf(params), reference, TOLERANCE);
    }
    opt.dispose();
    disposeAll(params);
  });
});

describe('memory', () => {
  it('steps, zeroGrad and state dicts leak no tensor; dispose frees the momentum buffers', () => {
    const random = seededRandom(10);
    const before = memory();
    const named = namedParams(initialValues(random), SHAPES);
    const params = named.map(([, p]) => p);
    const withParams = memory();
    const opt = new LARS(named, { lr: 0.1, momentum: 0.9, weightDecay: 5e-4 });
    setGrads(params, randomGrads(random));
    opt.step(); // creates the momentum buffers, one float32 tensor per parameter
    setGrads(params, randomGrads(random));
    testing.expectNoLeaks(() => {
      opt.step();
      opt.step();
      opt.loadStateDict(opt.stateDict());
      opt.step();
    });
    opt.zeroGrad();
    expect(params.every((p: Tensor) => p.grad === null)).toBe(true);
    const buffers = memory();
    expect(buffers.numTensors - withParams.numTensors).toBe(SIZES.length);
    expect(buffers.numBytes - withParams.numBytes).toBe(4 * SIZES.reduce((a, b) => a + b, 0));
    opt.dispose();
    expect(memory()).toEqual(withParams);
    disposeAll(params);
    expect(memory()).toEqual(before);
  });
});
