// A training loop over a 2-layer MLP made of @largebatch/tensor ops, on a synthetic
// problem a teacher network labels: the loss must fall with SGD and with LARS, and the
// loop must leak no tensor.
import { linear, logSoftmax, manualSeed, randn, relu, tensor, testing, tidy, zeros, type Tensor } from '@largebatch/tensor';
import { describe, expect, it } from 'vitest';

import { excludeOneDimensional, LARS, SGD, type NamedParameter } from '../src/index';

const N = 256;
const IN = 8;
const HIDDEN = 32;
const CLASSES = 3;
const STEPS = 60;

/** Inputs, and one-hot labels from a fixed random linear teacher (argmax of x·T). */
function syntheticProblem(): { x: Tensor; oneHot: Tensor } {
  const x = randn([N, IN]);
  const scores = tidy(() => x.matmul(randn([IN, CLASSES])).data());
  const oneHot = new Float32Array(N * CLASSES);
  for (let i = 0; i < N; i++) {
    const row = scores.subarray(i * CLASSES, (i + 1) * CLASSES);
    oneHot[i * CLASSES + row.indexOf(Math.max(...row))] = 1;
  }
  return { x, oneHot: tensor(oneHot, { shape: [N, CLASSES] }) };
}

/** He-initialised weights, zero biases, named as PyTorch would. */
function mlp(): NamedParameter[] {
  const he = (out: number, fanIn: number) => randn([out, fanIn], { std: Math.sqrt(2 / fanIn), requiresGrad: true });
  return [
    ['fc1.weight', he(HIDDEN, IN)],
    ['fc1.bias', zeros([HIDDEN], { requiresGrad: true })],
    ['fc2.weight', he(CLASSES, HIDDEN)],
    ['fc2.bias', zeros([CLASSES], { requiresGrad: true })],
  ];
}

/** Cross-entropy of the MLP on the whole set, after backward; returns its value. */
function lossAndBackward(params: Tensor[], x: Tensor, oneHot: Tensor): number {
  const [w1, b1, w2, b2] = params as [Tensor, Tensor, Tensor, Tensor];
  return tidy(() => {
    const logits = linear(relu(linear(x, w1, b1)), w2, b2);
    const loss = logSoftmax(logits, 1).mul(oneHot).sum().div(-N);
    loss.backward();
    return loss.item();
  });
}

describe('training a small MLP', () => {
  it.each([
    ['SGD', (named: NamedParameter[]) => new SGD(named, { lr: 0.1, momentum: 0.9, weightDecay: 5e-4 })],
    ["LARS 'paper'", (named: NamedParameter[]) => new LARS(named, { lr: 2, momentum: 0.9, weightDecay: 5e-4, trustCoefficient: 0.02, exclude: excludeOneDimensional })],
    ["LARS 'study'", (named: NamedParameter[]) => new LARS(named, { lr: 0.1, momentum: 0.9, weightDecay: 5e-3, trustCoefficient: 0.1, variant: 'study' })],
  ] as const)('%s lowers the loss, leaking no tensor', (_name, make) => {
    manualSeed(3);
    const { x, oneHot } = syntheticProblem();
    const named = mlp();
    const params = named.map(([, p]) => p);
    const opt = make(named);
    const first = lossAndBackward(params, x, oneHot);
    opt.step(); // creates the momentum buffers
    opt.zeroGrad();
    let last = first;
    testing.expectNoLeaks(() => {
      for (let t = 1; t < STEPS; t++) {
        last = lossAndBackward(params, x, oneHot);
        opt.step();
        opt.zeroGrad();
      }
    });
    expect(last).toBeLessThan(0.4 * first);
    opt.dispose();
    [x, oneHot, ...params].forEach((t) => t.dispose());
  });
});
