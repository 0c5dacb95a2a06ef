/**
 * Seeded dropout as torch.nn.functional.dropout: in training each element is zeroed with
 * probability p and the survivors are scaled by 1 / (1 - p). The keep mask comes from the
 * global counter-based generator (manualSeed), so a seed reproduces it on any thread
 * count. y = x * mask, so dL/dx = g * mask (mul's gradient).
 */
import { record } from '../../autograd/record';
import { ArgumentError, expected } from '../../errors';
import { runRandom } from '../../kernels';
import { tidy } from '../../memory';
import { reserveDraw } from '../../random';
import { Tensor } from '../../tensor';
import { checkFloating, checkTensor } from '../operands';

/**
 * Zeroes each element of `x` with probability `p` and scales the rest by 1 / (1 - p) when
 * `training`; otherwise returns a view of `x` (gradient passing through unchanged).
 *
 * @example
 * ```ts
 * import { dropout, manualSeed, ones } from '@largebatch/tensor';
 * manualSeed(1);
 * const y = dropout(ones([2, 4]), 0.5, true); // each value 0 or 2, the same for seed 1
 * ```
 */
export function dropout(x: Tensor, p = 0.5, training = true): Tensor {
  checkTensor('dropout', 'x', x);
  checkFloating('dropout', 'x', x);
  if (typeof p !== 'number' || !(p >= 0 && p <= 1)) throw new ArgumentError(expected('dropout', 'p', 'a probability in [0, 1]', p));
  if (!training || p === 0) return record('dropout', x.view_(x.shape, x.strides, x.offset), [x], [], (g) => [g]);
  return tidy(() => {
    const u = Tensor.empty(x.shape, x.dtype, x.device);
    const { seed, counter } = reserveDraw(u.numel);
    runRandom('uniform', u, seed, counter, 0, 1);
    // u is uniform in [0, 1): u >= p keeps an element with probability 1 - p (none when p = 1).
    const mask = u.ge(p).toDType(x.dtype).mul(p === 1 ? 0 : 1 / (1 - p));
    return x.mul(mask);
  });
}
