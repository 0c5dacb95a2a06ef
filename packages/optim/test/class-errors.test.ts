// Bad input to the SGD and LARS classes: typed errors naming the option, argument or
// tensor, and nothing changed by a call that throws.
import { DisposedError, noGrad, tensor, testing, type Device, type Tensor } from '@largebatch/tensor';
import { describe, expect, it } from 'vitest';

import {
  createOptimizerState, LARS, NonFiniteGradientError, OptimizerArgumentError, OptimizerOptionError, SGD, sgdStep, type NamedParameter, type OptimizerStateDict,
} from '../src/index';
import { setGrads, valuesOf } from './tensor-params';

const leaf = (values: number[], shape = [values.length], device: Device = 'cpu') => tensor(values, { shape, requiresGrad: true, device });

/** The error `fn` throws (the test fails if it does not). */
function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a throw');
}

describe('options', () => {
  const params = () => [leaf([1, 2])];
  it.each([
    ['SGD lr', () => new SGD(params(), { lr: -0.1 }), 'lr', -0.1],
    ['SGD momentum', () => new SGD(params(), { lr: 0.1, momentum: -0.9 }), 'momentum', -0.9],
    ['SGD weightDecay', () => new SGD(params(), { lr: 0.1, weightDecay: -1e-4 }), 'weightDecay', -1e-4],
    ['LARS trustCoefficient 0', () => new LARS(params(), { lr: 0.1, trustCoefficient: 0 }), 'trustCoefficient', 0],
    ['LARS trustCoefficient < 0', () => new LARS(params(), { lr: 0.1, trustCoefficient: -1 }), 'trustCoefficient', -1],
    ['LARS variant', () => new LARS(params(), { lr: 0.1, variant: 'ver3' as never }), 'variant', 'ver3'],
    ['LARS exclude with study', () => new LARS(params(), { lr: 0.1, variant: 'study', exclude: () => true }), 'exclude', undefined],
    ['LARS exclude not a function', () => new LARS(params(), { lr: 0.1, exclude: 'bias' as never }), 'exclude', 'bias'],
    ['a group override', () => new SGD([{ params: params() }, { params: params(), lr: -2 }], { lr: 0.1 }), 'lr', -2],
  ] as const)('%s: OptimizerOptionError naming the option and the value', (_name, make, option, value) => {
    const e = thrown(make);
    expect(e).toBeInstanceOf(OptimizerOptionError);
    expect((e as OptimizerOptionError).option).toBe(option);
    if (value !== undefined) expect((e as OptimizerOptionError).value).toBe(value);
  });

  it('names the group whose option is bad, and a bad option set between steps changes nothing', () => {
    const [a, b] = [leaf([1, 2]), leaf([3])];
    expect(() => new SGD([{ params: [a] }, { params: [b], lr: -2 }], { lr: 0.1 })).toThrow(/SGD.addParamGroup \(paramGroups\[1\]\): option 'lr' must be a finite number >= 0, got -2/);
    const opt = new SGD([{ params: [a] }, { params: [b] }], { lr: 0.1 });
    setGrads([a, b], [Float32Array.of(1, 1), Float32Array.of(1)]);
    opt.paramGroups[1]!.momentum = -0.5;
    expect(() => opt.step()).toThrow(/SGD.step \(paramGroups\[1\]\): option 'momentum'/);
    expect(valuesOf([a, b])).toEqual([Float32Array.of(1, 2), Float32Array.of(3)]);
  });
});

describe('parameters', () => {
  it.each([
    ['an empty list', () => new SGD([], { lr: 0.1 }), /argument 'params' must be a non-empty list/],
    ['not a list', () => new SGD(5 as never, { lr: 0.1 }), /argument 'params'/],
    ['a number among tensors', () => new SGD([leaf([1]), 2 as never], { lr: 0.1 }), /argument 'paramGroups\[0\].params\[1\]' must be a Tensor, got 2/],
    ['a non-leaf', () => new SGD([leaf([1]).mul(2)], { lr: 0.1 }), /must be a leaf tensor/],
    ['float64', () => new SGD([tensor([1], { dtype: 'float64' })], { lr: 0.1 }), /must be a float32 tensor \(dtype is 'float64'\)/],
    ['a non-contiguous view', () => new SGD([noGrad(() => leaf([1, 2, 3, 4], [2, 2]).transpose(0, 1))], { lr: 0.1 }), /must be a contiguous tensor/],
    ['a disposed tensor', () => { const t = leaf([1]); t.dispose(); return new SGD([t], { lr: 0.1 }); }, /must be a live tensor/],
    ['a tensor twice', () => { const t = leaf([1]); return new SGD([{ params: [t] }, { params: [t] }], { lr: 0.1 }); }, /'paramGroups\[1\].params\[0\]' must be a tensor in no other param group/],
    ['groups mixed with tensors', () => new SGD([leaf([1]), { params: [leaf([2])] }] as never, { lr: 0.1 }), /not a mix/],
    ['an empty group', () => new SGD([{ params: [] }], { lr: 0.1 }), /'paramGroups\[0\].params' must be a non-empty list/],
  ] as const)('%s: OptimizerArgumentError', (_name, make, message) => {
    const e = thrown(make);
    expect(e).toBeInstanceOf(OptimizerArgumentError);
    expect(e.message).toMatch(message);
  });

  it('rejects a non-contiguous gradient by name', () => {
    const w = leaf([1, 2, 3, 4], [2, 2]);
    const opt = new SGD([['fc.weight', w]], { lr: 0.1 });
    w.grad = noGrad(() => tensor([1, 2, 3, 4], { shape: [2, 2] }).transpose(0, 1));
    expect(() => opt.step()).toThrow(/argument 'fc.weight.grad' must be a contiguous tensor/);
  });

  it('a parameter disposed after construction: step names it', () => {
    const [a, b] = [leaf([1]), leaf([2])];
    const opt = new SGD([['a', a], ['b', b]], { lr: 0.1 });
    opt.step();
    b.dispose();
    expect(() => opt.step()).toThrow(/SGD.step: argument 'b' must be a live tensor, got "a disposed tensor"/);
  });

  it('steps after dispose() throw DisposedError', () => {
    const opt = new SGD([leaf([1])], { lr: 0.1 });
    opt.dispose();
    expect(() => opt.step()).toThrow(DisposedError);
    expect(() => opt.stateDict()).toThrow(/SGD.stateDict: the optimizer was disposed/);
  });
});

/**
 * The NonFiniteGradientError of one step: the step throws it on the CPU; on CUDA the step
 * does not wait for the device, and synchronize() throws it.
 */
function stepError(opt: SGD | LARS, device: Device): NonFiniteGradientError {
  if (device === 'cpu') return thrown(() => opt.step()) as NonFiniteGradientError;
  opt.step();
  return thrown(() => opt.synchronize()) as NonFiniteGradientError;
}

testing.describeEachDevice(describe, 'gradients', (device) => {
  it('skips a parameter without a gradient, as PyTorch', () => {
    const [a, b] = [leaf([1, 2], undefined, device), leaf([3], undefined, device)];
    const opt = new SGD([a, b], { lr: 0.5, momentum: 0.9 });
    setGrads([a, b], [Float32Array.of(1, -1), null]);
    opt.step();
    expect(valuesOf([a, b])).toEqual([Float32Array.of(0.5, 2.5), Float32Array.of(3)]);
    expect(opt.stateDict().paramGroups[0]!.params.map((s) => s.momentumBuffer)).toEqual([Float32Array.of(1, -1), null]);
  });

  it('a NaN or Inf gradient: the others are updated, those are not, and the error names the first (indices across groups)', () => {
    const [a, b, c, d] = [leaf([1, 2], undefined, device), leaf([3], undefined, device), leaf([4, 5], undefined, device), leaf([6], undefined, device)];
    const opt = new LARS([{ params: [['a', a], ['b', b]] as NamedParameter[] }, { params: [['c', c], ['d', d]] as NamedParameter[] }], { lr: 0.1 });
    setGrads([a, b, c, d], [Float32Array.of(1, 1), Float32Array.of(Number.NaN), Float32Array.of(1, Number.POSITIVE_INFINITY), Float32Array.of(1)]);
    const e = stepError(opt, device);
    expect(e).toBeInstanceOf(NonFiniteGradientError);
    expect(e.indices).toEqual([1, 2]);
    expect(e.tensorName).toBe('b');
    expect(e.fromPreviousStep).toBe(device === 'cuda');
    expect(e.message).toMatch(device === 'cpu'
      ? /LARS.step: the gradient of tensor 1 \('b'\) holds NaN or Inf \(and 1 more: 2\)/
      : /LARS.synchronize: the gradient of tensor 1 \('b'\) held NaN or Inf in the previous step \(reported now: a CUDA step does not wait for the device\) \(and 1 more: 2\)/);
    const [va, vb, vc, vd] = valuesOf([a, b, c, d]);
    expect(vb).toEqual(Float32Array.of(3));
    expect(vc).toEqual(Float32Array.of(4, 5));
    expect(va).not.toEqual(Float32Array.of(1, 2));
    expect(vd).not.toEqual(Float32Array.of(6));
    expect(() => opt.synchronize()).not.toThrow(); // reported once
    opt.dispose();
  });

  it('after a NaN step the next step runs (on CUDA it then reports the NaN), and first-step momentum is not taken as ready', () => {
    // With dampening, a momentum buffer's first step (buf = g) differs from a later one
    // (buf = 0.9 buf + 0.5 g): 'b' had NaN at its first step, so its second is its first.
    const options = { lr: 0.1, momentum: 0.9, dampening: 0.5 };
    const steps = [[Float32Array.of(1, -2), Float32Array.of(Number.NaN)], [Float32Array.of(0.5, 0.25), Float32Array.of(2)]];
    const reference = [Float32Array.of(1, 2), Float32Array.of(3)];
    const state = createOptimizerState();
    const [a, b] = reference.map((v) => leaf([...v], undefined, device)) as [Tensor, Tensor];
    const opt = new SGD([['a', a], ['b', b]], options);
    const reported: (number[] | null)[] = [];
    for (const grads of steps) {
      try {
        sgdStep(reference, grads, state, options);
      } catch (e) {
        expect(e).toBeInstanceOf(NonFiniteGradientError);
      }
      setGrads([a, b], grads);
      try {
        opt.step();
        reported.push(null);
      } catch (e) {
        expect(e).toBeInstanceOf(NonFiniteGradientError);
        reported.push([...(e as NonFiniteGradientError).indices]);
      }
    }
    opt.synchronize();
    // The CPU reports the NaN at its step, CUDA at the step after (which has run).
    expect(reported).toEqual(device === 'cpu' ? [[1], null] : [null, [1]]);
    const values = valuesOf([a, b]);
    values.forEach((v, i) => v.forEach((x, j) => expect(x, `param ${i}[${j}]`).toBeCloseTo(reference[i]![j]!, 6)));
    opt.dispose();
  });
});

describe('loadStateDict', () => {
  function trained(): { opt: SGD; params: Tensor[]; saved: OptimizerStateDict<unknown> } {
    const params = [leaf([1, 2, 3, 4], [2, 2]), leaf([5, 6])];
    const opt = new SGD([['w', params[0]!], ['b', params[1]!]], { lr: 0.1, momentum: 0.9 });
    setGrads(params, [Float32Array.of(1, 2, 3, 4), Float32Array.of(1, 1)]);
    opt.step();
    return { opt, params, saved: opt.stateDict() };
  }
  type Edit = (sd: { optimizer: string; paramGroups: { options: Record<string, unknown>; params: { name: string; shape: number[]; momentumBuffer: Float32Array | null }[] }[] }) => void;

  it.each<[string, Edit, RegExp, typeof OptimizerArgumentError | typeof OptimizerOptionError]>([
    ['another optimizer', (sd) => (sd.optimizer = 'LARS'), /argument 'stateDict.optimizer' must be 'SGD'.*, got "LARS"/, OptimizerArgumentError],
    ['another group count', (sd) => sd.paramGroups.push(sd.paramGroups[0]!), /'stateDict.paramGroups' must be an array of 1 param groups/, OptimizerArgumentError],
    ['another parameter count', (sd) => sd.paramGroups[0]!.params.pop(), /'stateDict.paramGroups\[0\].params' must be an array of 2 parameter states/, OptimizerArgumentError],
    ['another name', (sd) => (sd.paramGroups[0]!.params[1]!.name = 'bias'), /'stateDict.paramGroups\[0\].params\[1\].name' must be 'b'.*, got "bias"/, OptimizerArgumentError],
    ['another shape', (sd) => (sd.paramGroups[0]!.params[0]!.shape = [4]), /'stateDict.paramGroups\[0\].params\[0\].shape' must be \[2, 2\]/, OptimizerArgumentError],
    ['a buffer of another length', (sd) => (sd.paramGroups[0]!.params[1]!.momentumBuffer = new Float32Array(3)), /momentumBuffer' must be a Float32Array of length 2, or null, got a Float32Array of length 3/, OptimizerArgumentError],
    ['a bad option', (sd) => (sd.paramGroups[0]!.options.lr = -1), /SGD.loadStateDict \(stateDict.paramGroups\[0\].options\): option 'lr'/, OptimizerOptionError],
  ])('%s: a typed error naming it, and nothing changes', (_name, edit, message, type) => {
    const { opt, params, saved } = trained();
    const before = opt.stateDict();
    const bad = structuredClone(saved) as Parameters<Edit>[0];
    edit(bad);
    const e = thrown(() => opt.loadStateDict(bad as OptimizerStateDict<never>));
    expect(e).toBeInstanceOf(type);
    expect(e.message).toMatch(message);
    expect(opt.stateDict()).toEqual(before);
    opt.dispose();
    params.forEach((p) => p.dispose());
  });
});
