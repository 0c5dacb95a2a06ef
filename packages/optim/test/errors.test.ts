import { describe, expect, it } from 'vitest';

import {
  createOptimizerState, larsStep, NonFiniteGradientError, OptimizerArgumentError, OptimizerOptionError, sgdStep,
} from '../src/pure';
import { randomNormal, seededRandom } from './random';

const random = seededRandom(77);
const params = () => [randomNormal(random, 5, 0.1), randomNormal(random, 3, 0.1)];
const grads = () => [randomNormal(random, 5, 0.1), randomNormal(random, 3, 0.1)];

describe('bad options throw OptimizerOptionError naming the option and the value', () => {
  it.each([
    ['lr', { lr: -0.1 }, /option 'lr' must be a finite number >= 0, got -0.1/],
    ['lr', { lr: Number.NaN }, /option 'lr' must be a finite number >= 0, got NaN/],
    ['momentum', { lr: 0.1, momentum: -0.9 }, /option 'momentum' must be a finite number >= 0, got -0.9/],
    ['weightDecay', { lr: 0.1, weightDecay: -1e-4 }, /option 'weightDecay' must be a finite number >= 0, got -0.0001/],
    ['dampening', { lr: 0.1, momentum: 0.9, dampening: 2 }, /option 'dampening' must be in \[0, 1\], got 2/],
    ['nesterov', { lr: 0.1, nesterov: true }, /option 'nesterov' must be false unless momentum > 0 and dampening is 0/],
  ] as const)('sgdStep: %s', (option, options, message) => {
    const call = () => sgdStep(params(), grads(), createOptimizerState(), options);
    expect(call).toThrow(OptimizerOptionError);
    expect(call).toThrow(message);
    try {
      call();
    } catch (e) {
      expect((e as OptimizerOptionError).option).toBe(option);
    }
  });

  it.each([
    ['trustCoefficient', { lr: 0.1, trustCoefficient: 0 }, /larsStep: option 'trustCoefficient' must be a finite number > 0, got 0/],
    ['trustCoefficient', { lr: 0.1, trustCoefficient: -0.1 }, /option 'trustCoefficient' must be a finite number >= 0, got -0.1/],
    ['variant', { lr: 0.1, variant: 'ver2' }, /option 'variant' must be 'paper' or 'study', got "ver2"/],
    ['eps', { lr: 0.1, eps: -1 }, /option 'eps' must be a finite number >= 0, got -1/],
    ['clip', { lr: 0.1, clip: 'yes' }, /option 'clip' must be true or false, got "yes"/],
    ['eps', { lr: 0.1, variant: 'study', eps: 1e-8 }, /option 'eps' must be left unset with variant 'study'/],
    ['nesterov', { lr: 0.1, variant: 'study', nesterov: true }, /option 'nesterov' must be left unset with variant 'study'/],
    ['exclude', { lr: 0.1, variant: 'study', exclude: () => true }, /option 'exclude' must be left unset with variant 'study'/],
    ['exclude', { lr: 0.1, exclude: 3 }, /option 'exclude' must be a function/],
  ] as const)('larsStep: %s', (_option, options, message) => {
    const call = () => larsStep(params(), grads(), createOptimizerState(), options as never);
    expect(call).toThrow(OptimizerOptionError);
    expect(call).toThrow(message);
  });
});

describe('mismatched arguments throw OptimizerArgumentError', () => {
  it('grads of another count or size, a state buffer of another size', () => {
    expect(() => sgdStep(params(), grads().slice(1), createOptimizerState(), { lr: 0.1 })).toThrow(/argument 'grads' must be an array of 2 gradients/);
    expect(() => sgdStep(params(), [new Float32Array(5), new Float32Array(4)], createOptimizerState(), { lr: 0.1 })).toThrow(
      /argument 'grads\[1\]' must be a Float32Array of length 3, or null, got a Float32Array of length 4/,
    );
    const state = { momentumBuffers: [new Float32Array(2)] };
    expect(() => sgdStep(params(), grads(), state, { lr: 0.1, momentum: 0.9 })).toThrow(OptimizerArgumentError);
    expect(() => sgdStep(params(), grads(), state, { lr: 0.1, momentum: 0.9 })).toThrow(/argument 'state.momentumBuffers\[0\]'/);
  });
});

describe('gradients', () => {
  it('a null gradient skips its tensor, as in PyTorch', () => {
    const p = params();
    const before = p.map((x) => x.slice());
    const state = createOptimizerState();
    sgdStep(p, [grads()[0]!, null], state, { lr: 0.1, momentum: 0.9 });
    expect(p[1]).toEqual(before[1]);
    expect(p[0]).not.toEqual(before[0]);
    expect(state.momentumBuffers[1]).toBeUndefined();
  });

  it('a NaN or Inf gradient is reported with the tensor name; that tensor is left unchanged, the others updated', () => {
    const p = params();
    const before = p.map((x) => x.slice());
    const g = grads();
    g[1]![2] = Number.POSITIVE_INFINITY;
    let error: unknown;
    try {
      larsStep(p, g, createOptimizerState(), { lr: 0.1, names: ['conv.weight', 'fc.bias'] });
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(NonFiniteGradientError);
    expect((error as NonFiniteGradientError).index).toBe(1);
    expect((error as NonFiniteGradientError).tensorName).toBe('fc.bias');
    expect((error as Error).message).toMatch(/larsStep: the gradient of tensor 1 \('fc.bias'\) holds NaN or Inf/);
    expect(p[1]).toEqual(before[1]);
    expect(p[0]).not.toEqual(before[0]);
  });
});
