/** cat and stack: copies into slices of one output; gradients are slices of g. */
import { record } from '../../autograd/record';
import { type DType, promote } from '../../dtype';
import { ArgumentError, ShapeError, expected } from '../../errors';
import { copyStrided } from '../../kernels';
import { tidy } from '../../memory';
import { normalizeDim } from '../../shape';
import { Tensor } from '../../tensor';
import { castTo } from '../cast';
import { checkSameDevice, checkTensor } from '../operands';

/**
 * Concatenates along `dim`; every other dim must agree. Dtypes promote.
 *
 * @example
 * ```ts
 * import { cat, ones, zeros } from '@largebatch/tensor';
 * cat([zeros([1, 2]), ones([2, 2])], 0).shape; // [3, 2]
 * ```
 */
export function cat(tensors: readonly Tensor[], dim = 0): Tensor {
  if (!Array.isArray(tensors) || tensors.length === 0) throw new ArgumentError(expected('cat', 'tensors', 'a non-empty array of tensors', tensors));
  tensors.forEach((t, i) => checkTensor('cat', `tensors[${i}]`, t));
  const first = tensors[0]!;
  checkSameDevice('cat', tensors.map((t, i) => [`tensors[${i}]`, t] as [string, Tensor]));
  const d = normalizeDim('cat', dim, first.ndim);
  tensors.forEach((t, i) => {
    if (t.ndim !== first.ndim || t.shape.some((s: number, j: number) => j !== d && s !== first.shape[j])) {
      throw new ShapeError(`cat: tensors[${i}] has shape [${t.shape.join(', ')}], which does not match [${first.shape.join(', ')}] outside dim ${d}`);
    }
  });
  const dtype: DType = tensors.reduce<DType>((acc, t) => promote(acc, t.dtype), first.dtype);
  return tidy(() => {
    const inputs = tensors.map((t) => castTo(t, dtype));
    const shape = first.shape.slice();
    shape[d] = inputs.reduce((n, t) => n + t.shape[d]!, 0);
    const out = Tensor.empty(shape, dtype, first.device);
    const offsets: number[] = [];
    let offset = 0;
    for (const t of inputs) {
      offsets.push(offset);
      const part = out.view_(t.shape, out.strides, out.offset + offset * out.strides[d]!);
      copyStrided(part, t);
      part.dispose();
      offset += t.shape[d]!;
    }
    return record('cat', out, inputs, [], (g) => inputs.map((t, i) => g.slice(d, offsets[i]!, offsets[i]! + t.shape[d]!)));
  });
}

/**
 * Stacks equal-shaped tensors along a new dim.
 *
 * @example
 * ```ts
 * import { stack, ones } from '@largebatch/tensor';
 * stack([ones([2]), ones([2])], 1).shape; // [2, 2]
 * ```
 */
export function stack(tensors: readonly Tensor[], dim = 0): Tensor {
  if (!Array.isArray(tensors) || tensors.length === 0) throw new ArgumentError(expected('stack', 'tensors', 'a non-empty array of tensors', tensors));
  tensors.forEach((t, i) => {
    checkTensor('stack', `tensors[${i}]`, t);
    if (t.ndim !== tensors[0]!.ndim || t.shape.some((s: number, j: number) => s !== tensors[0]!.shape[j])) {
      throw new ShapeError(`stack: tensors[${i}] has shape [${t.shape.join(', ')}], expected [${tensors[0]!.shape.join(', ')}]`);
    }
  });
  const d = normalizeDim('stack', dim, tensors[0]!.ndim + 1);
  return tidy(() => cat(tensors.map((t) => t.unsqueeze(d)), d));
}
