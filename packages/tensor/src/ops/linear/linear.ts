/**
 * linear as torch.nn.functional.linear: x @ weight^T + bias, composed of matmul (which
 * reads weight^T in place, without a copy) and a broadcast add, so its gradients are
 * theirs: dL/dx = g weight, dL/dweight = g^T x, dL/dbias = g summed over the batch dims.
 */
import { ShapeError, expected } from '../../errors';
import { tidy } from '../../memory';
import type { Tensor } from '../../tensor';
import { matmul } from '../matmul/matmul';
import { checkFloating, checkTensor } from '../operands';
import { checkCompanion } from '../spatial';

/**
 * `x` [..., in] @ `weight` [out, in]^T + `bias` [out], giving [..., out].
 *
 * @example
 * ```ts
 * import { linear, randn } from '@largebatch/tensor';
 * const logits = linear(randn([8, 2048]), randn([10, 2048]), randn([10])); // [8, 10]
 * ```
 */
export function linear(x: Tensor, weight: Tensor, bias?: Tensor | null): Tensor {
  const op = 'linear';
  checkTensor(op, 'x', x);
  checkFloating(op, 'x', x);
  checkTensor(op, 'weight', weight);
  if (weight.ndim !== 2) throw new ShapeError(expected(op, 'weight', 'a 2-d tensor [out, in]', `shape [${weight.shape.join(', ')}]`));
  const [out, features] = weight.shape as [number, number];
  if (x.ndim < 1 || x.shape[x.ndim - 1] !== features) {
    throw new ShapeError(expected(op, 'x', `a tensor [..., ${features}] (weight is [${out}, ${features}])`, `shape [${x.shape.join(', ')}]`));
  }
  checkCompanion(op, 'weight', weight, x, weight.shape);
  if (bias) checkCompanion(op, 'bias', bias, x, [out]);
  return tidy(() => {
    const y = matmul(x, weight.transpose(0, 1));
    return bias ? y.add(bias) : y;
  });
}
