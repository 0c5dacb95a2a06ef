/**
 * softmax and logSoftmax over one dim, composed of primitive ops (max-shifted for
 * stability); the composite is the reference a fused kernel will be tested against.
 */
import { noGrad } from '../../autograd/grad-mode';
import { tidy } from '../../memory';
import { normalizeDim } from '../../shape';
import type { Tensor } from '../../tensor';
import { checkFloating, checkTensor } from '../operands';

/**
 * log(softmax(x)) along `dim`, computed as (x - m) - log(sum(exp(x - m))) with m the max.
 *
 * @example
 * ```ts
 * import { logSoftmax, randn } from '@largebatch/tensor';
 * const logp = logSoftmax(randn([4, 10]), 1);
 * ```
 */
export function logSoftmax(x: Tensor, dim = -1): Tensor {
  checkTensor('logSoftmax', 'x', x);
  checkFloating('logSoftmax', 'x', x);
  const d = normalizeDim('logSoftmax', dim, x.ndim);
  return tidy(() => {
    // The shift cancels in the result, so it needs no gradient.
    const m = noGrad(() => x.max(d, true));
    const z = x.sub(m);
    return z.sub(z.exp().sum(d, true).log());
  });
}

/**
 * exp(x) / sum(exp(x)) along `dim`.
 *
 * @example
 * ```ts
 * import { softmax, tensor } from '@largebatch/tensor';
 * softmax(tensor([0, 0]), 0).toArray(); // [0.5, 0.5]
 * ```
 */
export function softmax(x: Tensor, dim = -1): Tensor {
  checkTensor('softmax', 'x', x);
  checkFloating('softmax', 'x', x);
  const d = normalizeDim('softmax', dim, x.ndim);
  return tidy(() => logSoftmax(x, d).exp());
}
