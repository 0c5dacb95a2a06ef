// The classes against PyTorch (fixtures/optim_parity.py), driven with the fixture's
// gradients through `.grad`; SGD = LARS where the formulas coincide; state dicts resume
// bit for bit.
import { describe, expect, it } from 'vitest';

import { excludeOneDimensional, LARS, SGD, type NamedParameter, type Optimizer, type SgdHyper } from '../src/index';
import { caseOptions, gradsAt, initialParams, parity, type ParityCase } from './parity-fixture';
import { randomNormal, seededRandom } from './random';
import { disposeAll, expectTensorsClose, namedParams, setGrads, valuesOf } from './tensor-params';

// Our float64-norm arithmetic against PyTorch's float32 kernels (as parity.test.ts).
const TOLERANCE = 2e-6;

/** The fixture's parameters, under their PyTorch names. */
function fixtureParams(): NamedParameter[] {
  return namedParams(initialParams(), parity.shapes).map(([, p], i) => [parity.names[i]!, p] as const);
}

function fixtureOptimizer(c: ParityCase, named: NamedParameter[]): SGD | LARS {
  const { names: _names, exclude: _exclude, ...options } = caseOptions(c);
  if (c.optimizer === 'sgd') return new SGD(named, { ...options, lr: c.lrs[0]! });
  return new LARS(named, { ...options, lr: c.lrs[0]!, ...(c.options.exclude === '1d' ? { exclude: excludeOneDimensional } : {}) });
}

const toArrays = (tensors: (number[] | null)[]) => tensors.map((t) => (t ? Float32Array.from(t) : null));

describe('the classes equal the PyTorch fixtures', () => {
  it.each(parity.cases.map((c) => [c.name, c] as const))('%s', (_name, c) => {
    const named = fixtureParams();
    const params = named.map(([, p]) => p);
    const opt = fixtureOptimizer(c, named);
    for (let t = 0; t < parity.steps; t++) {
      opt.paramGroups[0]!.lr = c.lrs[t]!;
      setGrads(params, gradsAt(t));
      opt.step();
      if (t === 0) expectTensorsClose('after step 1', valuesOf(params), toArrays(c.afterFirstStep), TOLERANCE);
    }
    expectTensorsClose('final', valuesOf(params), toArrays(c.final), TOLERANCE);
    const buffers = opt.stateDict().paramGroups[0]!.params.map((s) => s.momentumBuffer);
    expect(buffers.map((b) => b === null)).toEqual(c.momentumBuffers.map((b) => b === null));
    expectTensorsClose('momentum', buffers as Float32Array[], toArrays(c.momentumBuffers), TOLERANCE);
    opt.dispose();
    disposeAll(params);
  });
});

describe('SGD equals LARS where the formulas coincide', () => {
  it("LARS 'paper' with every tensor excluded = momentum SGD without weight decay (constant lr; buffer = lr·SGD's)", () => {
    const random = seededRandom(1);
    const shapes = [[1], [10], [30, 10], [4096]];
    const initial = shapes.map((s) => randomNormal(random, s.reduce((a, b) => a * b, 1), 0.1));
    const [sgdNamed, larsNamed] = [namedParams(initial, shapes), namedParams(initial, shapes)];
    const lr = 0.3;
    const sgd = new SGD(sgdNamed, { lr, momentum: 0.9 });
    const lars = new LARS(larsNamed, { lr, momentum: 0.9, weightDecay: 5e-3, exclude: () => true });
    for (let t = 0; t < 10; t++) {
      const grads = initial.map((v) => randomNormal(random, v.length, 0.05));
      setGrads(sgdNamed.map(([, p]) => p), grads);
      setGrads(larsNamed.map(([, p]) => p), grads);
      sgd.step();
      lars.step();
    }
    expectTensorsClose('params', valuesOf(larsNamed.map(([, p]) => p)), valuesOf(sgdNamed.map(([, p]) => p)), 1e-6);
    const sgdBuffers = sgd.stateDict().paramGroups[0]!.params.map((s) => s.momentumBuffer!);
    const larsBuffers = lars.stateDict().paramGroups[0]!.params.map((s) => s.momentumBuffer!.map((v) => v / lr));
    expectTensorsClose('momentum', larsBuffers, sgdBuffers, 1e-6);
    [sgd, lars].forEach((o) => o.dispose());
    disposeAll([...sgdNamed, ...larsNamed].map(([, p]) => p));
  });
});

describe('stateDict / loadStateDict', () => {
  const shapes = [[3, 5], [5], [200], [40, 50]];
  type AnyOptimizer = Optimizer<unknown, SgdHyper, unknown>;
  const resumeCases: [string, (named: NamedParameter[]) => AnyOptimizer][] = [
    ['SGD nesterov', (named) => new SGD(named, { lr: 0.1, momentum: 0.9, weightDecay: 5e-4, nesterov: true })],
    ['SGD dampening, two groups', (named) => new SGD([{ params: named.slice(0, 2), lr: 0.5 }, { params: named.slice(2) }], { lr: 0.1, momentum: 0.8, dampening: 0.3 })],
    ["LARS 'paper' with exclude and clip", (named) => new LARS(named, { lr: 0.1, weightDecay: 5e-4, trustCoefficient: 0.02, clip: true, exclude: excludeOneDimensional })],
    ["LARS 'study'", (named) => new LARS(named, { lr: 0.1, weightDecay: 5e-3, trustCoefficient: 0.1, variant: 'study' })],
  ];

  it.each(resumeCases)('%s: 10 steps = 5 steps, save, load into a fresh optimizer, 5 steps (bit for bit)', (_name, make) => {
    const random = seededRandom(11);
    const initial = shapes.map((s) => randomNormal(random, s.reduce((a, b) => a * b, 1), 0.1));
    const grads = Array.from({ length: 10 }, () => initial.map((v) => randomNormal(random, v.length, 0.05)));
    const lrAt = (t: number) => 0.2 * (1 - t / 10) ** 2 + 0.01; // a decaying schedule
    const run = (opt: AnyOptimizer, params: NamedParameter[], from: number, to: number) => {
      for (let t = from; t < to; t++) {
        opt.paramGroups.forEach((g) => (g.lr = lrAt(t)));
        setGrads(params.map(([, p]) => p), grads[t]!);
        opt.step();
      }
    };
    const straight = namedParams(initial, shapes);
    const straightOpt = make(straight);
    run(straightOpt, straight, 0, 10);

    const first = namedParams(initial, shapes);
    const firstOpt = make(first);
    run(firstOpt, first, 0, 5);
    const saved = firstOpt.stateDict();
    const resumed = namedParams(valuesOf(first.map(([, p]) => p)), shapes);
    const resumedOpt = make(resumed);
    resumedOpt.paramGroups.forEach((g) => (g.lr = 123));
    firstOpt.dispose(); // the state dict holds copies
    resumedOpt.loadStateDict(saved);
    expect(resumedOpt.paramGroups.map((g) => g.lr)).toEqual(saved.paramGroups.map((g) => (g.options as SgdHyper).lr));
    run(resumedOpt, resumed, 5, 10);

    const [a, b] = [valuesOf(straight.map(([, p]) => p)), valuesOf(resumed.map(([, p]) => p))];
    a.forEach((v, i) => expect(b[i], `param ${i}`).toEqual(v));
    expect(resumedOpt.stateDict()).toEqual(straightOpt.stateDict());
    [straightOpt, resumedOpt].forEach((o) => o.dispose());
    disposeAll([...straight, ...first, ...resumed].map(([, p]) => p));
  });
});
