import { record } from '../../autograd/record';
import { copyStrided } from '../../kernels';
import { tidy } from '../../memory';
import { normalizeDims } from '../../shape';
import { Tensor } from '../../tensor';
import { checkTensor } from '../operands';

/**
 * Reverses the order of elements along `dims` (a copy, as torch.flip).
 *
 * @example
 * ```ts
 * import { flip, tensor } from '@largebatch/tensor';
 * flip(tensor([[1, 2], [3, 4]]), [1]).toArray(); // [[2, 1], [4, 3]]
 * ```
 */
export function flip(x: Tensor, dims: number | readonly number[]): Tensor {
  checkTensor('flip', 'x', x);
  const ds = normalizeDims('flip', dims, x.ndim);
  return tidy(() => {
    // Read through a view with negated strides, starting at the last element of each flipped dim.
    let offset = x.offset;
    const strides = x.strides.map((s, i) => {
      if (!ds.includes(i) || x.shape[i] === 0) return s;
      offset += (x.shape[i]! - 1) * s;
      return -s;
    });
    const reversed = x.view_(x.shape, strides, offset);
    const out = Tensor.empty(x.shape, x.dtype, x.device);
    copyStrided(out, reversed);
    reversed.dispose();
    return record('flip', out, [x], [], (g) => [flip(g, ds)]);
  });
}
