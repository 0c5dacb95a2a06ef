/**
 * Replays fixtures/ops.json (written by fixtures/make_fixtures.py with Debian's
 * python3-torch): every op's output and the gradients of sum(output * w) must match.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { describe, it } from 'vitest';

import { cat, flip, indexSelect, logSoftmax, matmul, pad, softmax, stack, tensor, testing, tidy, where, type Tensor } from '../src/index';

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
  grads: (Encoded | null)[];
}

const fixtures = JSON.parse(readFileSync(join(__dirname, 'fixtures', 'ops.json'), 'utf8')) as { cases: Case[] };

const ops: Record<string, (...xs: Tensor[]) => Tensor> = {
  add_broadcast: (a, b) => a!.add(b!),
  sub_broadcast: (a, b) => a!.sub(b!),
  mul_broadcast: (a, b) => a!.mul(b!),
  div: (a, b) => a!.div(b!),
  pow_tensor: (a, b) => a!.pow(b!),
  pow_scalar: (a) => a!.pow(3),
  maximum: (a, b) => a!.maximum(b!),
  exp: (a) => a!.exp(),
  log: (a) => a!.log(),
  sqrt: (a) => a!.sqrt(),
  abs: (a) => a!.abs(),
  clamp: (a) => a!.clamp({ min: -0.3, max: 0.8 }),
  sum_dims_keepdim: (a) => a!.sum([0, 2], true),
  mean_dim: (a) => a!.mean(1),
  amax_dim: (a) => a!.max(2),
  matmul_batched: (a, b) => matmul(a!, b!),
  matmul_vector: (a, b) => matmul(a!, b!),
  permute_reshape: (a) => a!.permute([2, 0, 1]).reshape([4, 6]).mul(2),
  slice_step: (a) => a!.slice(0, 1, 6, 2).slice(1, 1),
  cat_dim1: (a, b) => cat([a!, b!, a!], 1),
  stack_dim1: (a, b) => stack([a!, b!], 1),
  pad: (a) => pad(a!, [1, 2, 3, 0]),
  flip: (a) => flip(a!, [0, 1]),
  index_select: (a) => indexSelect(a!, 1, tensor([4, 0, 4, 2], { dtype: 'int32' })),
  softmax: (a) => softmax(a!, 1),
  log_softmax: (a) => logSoftmax(a!, 1),
  where: (a, b) => where(a!.gt(0), a!, b!),
};

describe('parity with PyTorch', () => {
  for (const c of fixtures.cases) {
    it(`${c.name}: output and gradients`, () => {
      const op = ops[c.name];
      if (!op) throw new Error(`no op mirrors fixture ${c.name}`);
      const leaves = c.inputs.map((e) => tensor(new Float32Array(e.data), { shape: e.shape, requiresGrad: true }));
      expectNoLeaks(() =>
        tidy(() => {
          const out = op(...leaves);
          expectClose(out, c.output.data, { rtol: 1e-5, atol: 1e-6, what: `${c.name} output` });
          out.mul(tensor(new Float32Array(c.weight.data), { shape: c.weight.shape })).sum().backward();
          leaves.forEach((x, i) => {
            const expected = c.grads[i];
            if (expected) expectClose(x.grad!, expected.data, { rtol: 1e-4, atol: 1e-5, what: `${c.name} grad ${i}` });
            x.grad = null;
          });
        }),
      );
      leaves.forEach((x) => x.dispose());
    });
  }
});
