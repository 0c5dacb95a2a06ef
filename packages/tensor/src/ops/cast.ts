import { record } from '../autograd/record';
import { type DType, checkDType, isFloating } from '../dtype';
import { copyStrided } from '../kernels';
import { Tensor } from '../tensor';

/** `t` converted to `dtype` (the same tensor if it has it). Differentiable between floats. */
export function castTo(t: Tensor, dtype: DType): Tensor {
  checkDType('cast', 'dtype', dtype);
  if (t.dtype === dtype) return t;
  const out = Tensor.empty(t.shape, dtype, t.device);
  copyStrided(out, t);
  if (isFloating(dtype) && isFloating(t.dtype)) {
    const from = t.dtype;
    record('cast', out, [t], [], (g) => [castTo(g, from)]);
  }
  return out;
}

/**
 * A contiguous copy of `t` in row-major order, with the same values (differentiable).
 *
 * @example
 * ```ts
 * import { randn } from '@largebatch/tensor';
 * const c = randn([2, 3]).clone();
 * ```
 */
export function clone(t: Tensor): Tensor {
  const out = Tensor.empty(t.shape, t.dtype, t.device);
  copyStrided(out, t);
  return record('clone', out, [t], [], (g) => [g]);
}

/** `t` itself when contiguous, else a contiguous copy (as torch's contiguous()). */
export function contiguous(t: Tensor): Tensor {
  return t.isContiguous() ? t : clone(t);
}

/** A view of `t` that is cut off from the graph (shares storage, requiresGrad false). */
export function detach(t: Tensor): Tensor {
  return t.view_(t.shape, t.strides, t.offset);
}
