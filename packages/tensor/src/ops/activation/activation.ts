/**
 * ReLU and the fused residual join relu(a + b), on the native kernels of
 * packages/cuda-kernels/src/kernels/activation. d relu(v)/dv = 1 where the output is > 0,
 * else 0 (0 at v = 0, as PyTorch); relu(a + b) passes that same masked gradient to a and b.
 */
import { record } from '../../autograd/record';
import { DTypeError, ShapeError, expected } from '../../errors';
import { runActivation } from '../../kernels';
import { tidy } from '../../memory';
import { shapesEqual } from '../../shape';
import { Tensor } from '../../tensor';
import { contiguous } from '../cast';
import { checkFloating, checkSameDevice, checkTensor } from '../operands';

/** g where the ReLU's output y is > 0, else 0. */
function reluGrad(g: Tensor, y: Tensor): Tensor {
  const gx = Tensor.empty(y.shape, y.dtype, y.device);
  runActivation('reluBackward', gx, contiguous(g), y);
  return gx;
}

/**
 * max(x, 0) elementwise (NaN stays NaN), as torch.relu.
 *
 * @example
 * ```ts
 * import { relu, tensor } from '@largebatch/tensor';
 * relu(tensor([-1, 0, 2])).toArray(); // [0, 0, 2]
 * ```
 */
export function relu(x: Tensor): Tensor {
  checkTensor('relu', 'x', x);
  checkFloating('relu', 'x', x);
  return tidy(() => {
    const xc = contiguous(x);
    const y = Tensor.empty(x.shape, x.dtype, x.device);
    runActivation('relu', y, xc, null);
    return record('relu', y, [xc], [y], (g, [sy]) => [reluGrad(g, sy!)]);
  });
}

/**
 * relu(a + b) in one fused kernel, forward and backward: the residual join of a ResNet
 * block. `a` and `b` have one shape (no broadcasting), dtype and device.
 *
 * @example
 * ```ts
 * import { addRelu, tensor } from '@largebatch/tensor';
 * addRelu(tensor([1, -3]), tensor([-2, 4])).toArray(); // [0, 1]
 * ```
 */
export function addRelu(a: Tensor, b: Tensor): Tensor {
  checkTensor('addRelu', 'a', a);
  checkTensor('addRelu', 'b', b);
  checkFloating('addRelu', 'a', a);
  checkSameDevice('addRelu', [['a', a], ['b', b]]);
  if (!shapesEqual(a.shape, b.shape)) {
    throw new ShapeError(`addRelu: a and b must have one shape (no broadcasting), got [${a.shape.join(', ')}] and [${b.shape.join(', ')}]`);
  }
  if (a.dtype !== b.dtype) throw new DTypeError(expected('addRelu', 'b.dtype', `a's dtype '${a.dtype}'`, b.dtype));
  return tidy(() => {
    const ac = contiguous(a);
    const bc = contiguous(b);
    const y = Tensor.empty(a.shape, a.dtype, a.device);
    runActivation('addRelu', y, ac, bc);
    return record('addRelu', y, [ac, bc], [y], (g, [sy]) => {
      const gx = reluGrad(g, sy!);
      return [gx, gx];
    });
  });
}
