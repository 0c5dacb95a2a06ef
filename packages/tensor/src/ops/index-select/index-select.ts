import { record } from '../../autograd/record';
import { zeros } from '../../creation';
import { DTypeError, ShapeError, expected } from '../../errors';
import { runIndex } from '../../kernels';
import { tidy } from '../../memory';
import { normalizeDim, numel } from '../../shape';
import { Tensor } from '../../tensor';
import { contiguous } from '../cast';
import { checkSameDevice, checkTensor } from '../operands';

/**
 * Picks entries `index` (1-d int32) along `dim`, as torch.index_select. An index out of
 * range throws naming it. The gradient adds g back at the picked positions (repeats add up).
 *
 * @example
 * ```ts
 * import { indexSelect, tensor } from '@largebatch/tensor';
 * indexSelect(tensor([10, 20, 30]), 0, tensor([2, 0], { dtype: 'int32' })).toArray(); // [30, 10]
 * ```
 */
export function indexSelect(x: Tensor, dim: number, index: Tensor): Tensor {
  checkTensor('indexSelect', 'x', x);
  checkTensor('indexSelect', 'index', index);
  checkSameDevice('indexSelect', [['x', x], ['index', index]]);
  if (index.dtype !== 'int32') throw new DTypeError(expected('indexSelect', 'index.dtype', "'int32'", index.dtype));
  if (index.ndim !== 1) throw new ShapeError(expected('indexSelect', 'index', 'a 1-d tensor', `shape [${index.shape.join(', ')}]`));
  const d = normalizeDim('indexSelect', dim, Math.max(x.ndim, 1));
  const xs = x.ndim === 0 ? [1] : x.shape.slice();
  const outer = numel(xs.slice(0, d));
  const inner = numel(xs.slice(d + 1));
  const size = xs[d]!;
  return tidy(() => {
    const src = contiguous(x);
    const idx = contiguous(index);
    const outShape = xs.slice();
    outShape[d] = index.numel;
    const out = Tensor.empty(outShape, x.dtype, x.device);
    runIndex('select', x.dtype, outer, size, inner, src, idx, out);
    return record('indexSelect', out, [x], [idx], (g, [si]) => {
      const gx = zeros(xs, { dtype: g.dtype, device: g.device });
      runIndex('add', g.dtype, outer, size, inner, contiguous(g), si!, gx);
      return [x.ndim === 0 ? gx.reshape([]) : gx];
    });
  });
}
