import { record } from '../../autograd/record';
import { full } from '../../creation';
import { ArgumentError, expected } from '../../errors';
import { copyStrided } from '../../kernels';
import { tidy } from '../../memory';
import { Tensor } from '../../tensor';
import { checkTensor } from '../operands';

/**
 * Constant padding as torch.nn.functional.pad: `pads` lists (before, after) pairs from the
 * last dim backwards, e.g. [left, right, top, bottom] for the last two dims.
 *
 * @example
 * ```ts
 * import { pad, ones } from '@largebatch/tensor';
 * pad(ones([1, 3, 32, 32]), [4, 4, 4, 4]).shape; // [1, 3, 40, 40]
 * ```
 */
export function pad(x: Tensor, pads: readonly number[], value = 0): Tensor {
  checkTensor('pad', 'x', x);
  if (!Array.isArray(pads) || pads.length % 2 !== 0 || pads.length / 2 > x.ndim || !pads.every((p) => Number.isInteger(p) && p >= 0)) {
    throw new ArgumentError(expected('pad', 'pads', `an even-length array of non-negative integers, at most ${2 * x.ndim} long`, pads));
  }
  const before = new Array<number>(x.ndim).fill(0);
  const after = new Array<number>(x.ndim).fill(0);
  for (let i = 0; i < pads.length / 2; i++) {
    before[x.ndim - 1 - i] = pads[2 * i]!;
    after[x.ndim - 1 - i] = pads[2 * i + 1]!;
  }
  return tidy(() => {
    const shape = x.shape.map((s, i) => s + before[i]! + after[i]!);
    const out = full(shape, value, { dtype: x.dtype, device: x.device });
    const interiorOffset = before.reduce((off, b, i) => off + b * out.strides[i]!, out.offset);
    const interior = out.view_(x.shape, out.strides, interiorOffset);
    copyStrided(interior, x);
    interior.dispose();
    return record('pad', out, [x], [], (g) => {
      let gx = g;
      for (let d = 0; d < x.ndim; d++) if (before[d] || after[d]) gx = gx.slice(d, before[d]!, before[d]! + x.shape[d]!);
      return [gx];
    });
  });
}
