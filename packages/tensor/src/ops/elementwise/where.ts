import { record } from '../../autograd/record';
import { zerosLike } from '../../creation';
import { promote } from '../../dtype';
import { DTypeError, expected } from '../../errors';
import { runWhere } from '../../kernels';
import { tidy } from '../../memory';
import { broadcastShapes } from '../../shape';
import { Tensor } from '../../tensor';
import { castTo } from '../cast';
import { type TensorLike, binaryOperands, checkSameDevice, checkTensor } from '../operands';
import { sumToShape } from '../reduce/sum-to-shape';

/**
 * Picks a where cond is non-zero, else b (cond uint8, broadcasting all three).
 *
 * @example
 * ```ts
 * import { where, tensor } from '@largebatch/tensor';
 * const x = tensor([-1, 2]);
 * where(x.gt(0), x, 0).toArray(); // [0, 2]
 * ```
 */
export function where(cond: Tensor, a: TensorLike, b: TensorLike): Tensor {
  checkTensor('where', 'cond', cond);
  if (cond.dtype !== 'uint8') throw new DTypeError(expected('where', 'cond.dtype', "'uint8' (a comparison result)", cond.dtype));
  return tidy(() => {
    const [ta, tb, dtype] = binaryOperands('where', a, b);
    checkSameDevice('where', [['cond', cond], ['a', ta]]);
    const shape = broadcastShapes('where', cond.shape, broadcastShapes('where', ta.shape, tb.shape));
    const out = Tensor.empty(shape, promote(dtype, ta.dtype), ta.device);
    runWhere(out, cond, castTo(ta, out.dtype), castTo(tb, out.dtype));
    const [shapeA, shapeB] = [ta.shape, tb.shape];
    return record('where', out, [ta, tb], [cond], (g, [c]) => {
      const zero = zerosLike(g);
      return [sumToShape(where(c!, g, zero), shapeA), sumToShape(where(c!, zero, g), shapeB)];
    });
  });
}
