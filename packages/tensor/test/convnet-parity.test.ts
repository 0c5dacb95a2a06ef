/**
 * Replays fixtures/convnet.json (written by fixtures/make_convnet_fixtures.py with Debian's
 * python3-torch): every convnet op's output and the gradients of sum(output * w) with
 * respect to every input must match PyTorch's, and three training steps of batch norm
 * must leave the same running statistics.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { describe, it } from 'vitest';

import {
  adaptiveAvgPool2d, addRelu, avgPool2d, batchNorm2d, batchNorm2dRelu, conv2d, linear, maxPool2d, relu, tensor, testing, tidy,
  type Tensor,
} from '../src/index';

const { expectClose, expectNoLeaks } = testing;

interface Encoded {
  shape: number[];
  data: number[];
}
interface Case {
  name: string;
  inputs: Encoded[];
  weight: Encoded;
  output: Encoded;
  grads: Encoded[];
}
interface BatchNormStep {
  training: boolean;
  x: Encoded;
  weight: Encoded;
  output: Encoded;
  gradX: Encoded;
  runningMean: Encoded;
  runningVar: Encoded;
}
interface Fixtures {
  cases: Case[];
  batchNormSteps: {
    momentum: number;
    eps: number;
    start: Record<'weight' | 'bias' | 'runningMean' | 'runningVar', Encoded>;
    steps: BatchNormStep[];
    gradWeight: Encoded;
    gradBias: Encoded;
  };
}

const fixtures = JSON.parse(readFileSync(join(__dirname, 'fixtures', 'convnet.json'), 'utf8')) as Fixtures;

function decode(e: Encoded, requiresGrad = false): Tensor {
  return tensor(new Float32Array(e.data), { shape: e.shape, requiresGrad });
}

const ops: Record<string, (...xs: Tensor[]) => Tensor> = {
  conv_1x1_batch1: (x, w, b) => conv2d(x!, w!, { bias: b }),
  conv_1x1_stride2: (x, w, b) => conv2d(x!, w!, { bias: b, stride: 2 }),
  conv_3x3_pad1: (x, w, b) => conv2d(x!, w!, { bias: b, padding: 1 }),
  conv_3x3_stride2_pad1_batch1: (x, w, b) => conv2d(x!, w!, { bias: b, stride: 2, padding: 1 }),
  conv_3x3_pad0: (x, w, b) => conv2d(x!, w!, { bias: b }),
  conv_7x7_stride2_pad3: (x, w, b) => conv2d(x!, w!, { bias: b, stride: 2, padding: 3 }),
  conv_3x3_groups3: (x, w, b) => conv2d(x!, w!, { bias: b, padding: 1, groups: 3 }),
  conv_3x3_dilation2_pad2: (x, w, b) => conv2d(x!, w!, { bias: b, padding: 2, dilation: 2 }),
  conv_3x3_no_bias: (x, w) => conv2d(x!, w!, { padding: 1 }),
  conv_3x3_pad1_2x2_planes: (x, w, b) => conv2d(x!, w!, { bias: b, padding: 1 }),
  conv_3x3_stride2_pad1_2x2_planes: (x, w, b) => conv2d(x!, w!, { bias: b, stride: 2, padding: 1 }),
  batch_norm_relu_training: (x, w, b) => batchNorm2dRelu(x!, { weight: w, bias: b, training: true }),
  max_pool_3x3_stride2_pad1: (x) => maxPool2d(x!, { kernelSize: 3, stride: 2, padding: 1 }),
  max_pool_2x2_batch1: (x) => maxPool2d(x!, { kernelSize: 2 }),
  avg_pool_3x3_stride2_pad1: (x) => avgPool2d(x!, { kernelSize: 3, stride: 2, padding: 1 }),
  avg_pool_exclude_pad: (x) => avgPool2d(x!, { kernelSize: 3, stride: 2, padding: 1, countIncludePad: false }),
  adaptive_avg_pool_1x1: (x) => adaptiveAvgPool2d(x!, 1),
  adaptive_avg_pool_3x2: (x) => adaptiveAvgPool2d(x!, [3, 2]),
  relu: (x) => relu(x!),
  add_relu: (a, b) => addRelu(a!, b!),
  linear: (x, w, b) => linear(x!, w!, b),
};

// float32 on both sides; sums of up to a few hundred products.
const tol = { rtol: 1e-4, atol: 2e-5 };

describe('convnet ops: parity with PyTorch', () => {
  for (const c of fixtures.cases) {
    it(`${c.name}: output and every gradient`, () => {
      const op = ops[c.name];
      if (!op) throw new Error(`no op mirrors fixture ${c.name}`);
      const leaves = c.inputs.map((e) => decode(e, true));
      expectNoLeaks(() =>
        tidy(() => {
          const out = op(...leaves);
          expectClose(out, c.output.data, { ...tol, what: `${c.name} output` });
          out.mul(decode(c.weight)).sum().backward();
          leaves.forEach((x, i) => {
            expectClose(x.grad!, c.grads[i]!.data, { ...tol, what: `${c.name} grad ${i}` });
            x.grad = null;
          });
        }),
      );
      leaves.forEach((x) => x.dispose());
    });
  }

  it('batch norm: three training steps (batch 3, 1, 3) and an eval step leave the running statistics and gradients PyTorch has', () => {
    const f = fixtures.batchNormSteps;
    const weight = decode(f.start.weight, true);
    const bias = decode(f.start.bias, true);
    const runningMean = decode(f.start.runningMean);
    const runningVar = decode(f.start.runningVar);
    f.steps.forEach((step, i) => {
      const what = `step ${i} (${step.training ? 'training' : 'eval'})`;
      tidy(() => {
        const x = decode(step.x, true);
        const y = batchNorm2d(x, { weight, bias, runningMean, runningVar, training: step.training, momentum: f.momentum, eps: f.eps });
        expectClose(y, step.output.data, { ...tol, what: `${what} output` });
        y.mul(decode(step.weight)).sum().backward();
        expectClose(x.grad!, step.gradX.data, { ...tol, what: `${what} grad x` });
        expectClose(runningMean, step.runningMean.data, { ...tol, what: `${what} running mean` });
        expectClose(runningVar, step.runningVar.data, { ...tol, what: `${what} running var` });
      });
    });
    expectClose(weight.grad!, f.gradWeight.data, { ...tol, what: 'accumulated grad weight' });
    expectClose(bias.grad!, f.gradBias.data, { ...tol, what: 'accumulated grad bias' });
    [weight, bias, runningMean, runningVar].forEach((t) => t.dispose());
  });
});
