/**
 * Views: tensors that share storage with their input (reshape of a contiguous tensor,
 * permute, transpose, expand, slice, squeeze, unsqueeze). Each has its gradient.
 */
import { record } from '../../autograd/record';
import { zeros } from '../../creation';
import { ArgumentError, ShapeError, expected } from '../../errors';
import { copyStrided } from '../../kernels';
import { tidy } from '../../memory';
import { checkShape, contiguousStrides, normalizeDim, numel } from '../../shape';
import { Tensor } from '../../tensor';
import { contiguous } from '../cast';
import { checkTensor } from '../operands';
import { sumToShape } from '../reduce/sum-to-shape';

function resolveShape(op: string, x: Tensor, shape: readonly number[]): number[] {
  const inferred = shape.filter((s) => s === -1).length;
  if (inferred > 1) throw new ShapeError(expected(op, 'shape', 'at most one -1', shape));
  const known = shape.filter((s) => s !== -1);
  checkShape(op, 'shape', known);
  const knownCount = numel(known);
  const out = shape.slice();
  if (inferred === 1) {
    if (knownCount === 0 || x.numel % knownCount !== 0) {
      throw new ShapeError(`${op}: shape [${shape.join(', ')}] is invalid for a tensor of ${x.numel} elements`);
    }
    out[out.indexOf(-1)] = x.numel / knownCount;
  }
  if (numel(out) !== x.numel) throw new ShapeError(`${op}: shape [${shape.join(', ')}] is invalid for a tensor of ${x.numel} elements (shape [${x.shape.join(', ')}])`);
  return out;
}

function viewOf(name: string, x: Tensor, shape: readonly number[], strides: readonly number[], offset: number, grad: (g: Tensor) => Tensor): Tensor {
  return record(name, x.view_(shape, strides, offset), [x], [], (g) => [grad(g)]);
}

/**
 * The same elements in a new shape (one dim may be -1). A view when `x` is contiguous,
 * else a copy, as torch.reshape.
 *
 * @example
 * ```ts
 * import { arange } from '@largebatch/tensor';
 * arange(6).reshape([2, -1]).toArray(); // [[0, 1, 2], [3, 4, 5]]
 * ```
 */
export function reshape(x: Tensor, shape: readonly number[]): Tensor {
  checkTensor('reshape', 'x', x);
  const target = resolveShape('reshape', x, shape);
  return tidy(() => {
    const c = contiguous(x);
    const inShape = x.shape.slice();
    return viewOf('reshape', c, target, contiguousStrides(target), c.offset, (g) => g.reshape(inShape));
  });
}

/** As reshape, but `x` must be contiguous (never copies), as torch.view. @example `x.view([-1])` */
export function view(x: Tensor, shape: readonly number[]): Tensor {
  checkTensor('view', 'x', x);
  if (!x.isContiguous()) throw new ShapeError('view: x is not contiguous; use reshape() or contiguous() first');
  return reshape(x, shape);
}

/**
 * Reorders dims (a view).
 *
 * @example
 * ```ts
 * import { zeros } from '@largebatch/tensor';
 * zeros([2, 3, 4]).permute([2, 0, 1]).shape; // [4, 2, 3]
 * ```
 */
export function permute(x: Tensor, dims: readonly number[]): Tensor {
  checkTensor('permute', 'x', x);
  if (!Array.isArray(dims) || dims.length !== x.ndim) throw new ArgumentError(expected('permute', 'dims', `a permutation of ${x.ndim} dims`, dims));
  const perm = dims.map((d) => normalizeDim('permute', d, x.ndim, 'dims'));
  if (new Set(perm).size !== perm.length) throw new ArgumentError(expected('permute', 'dims', 'a permutation (no repeats)', dims));
  const inverse = new Array<number>(perm.length);
  perm.forEach((p, i) => (inverse[p] = i));
  return viewOf('permute', x, perm.map((p) => x.shape[p]!), perm.map((p) => x.strides[p]!), x.offset, (g) => g.permute(inverse));
}

/** Swaps two dims (a view). @example `x.transpose(0, 1)` */
export function transpose(x: Tensor, dim0: number, dim1: number): Tensor {
  checkTensor('transpose', 'x', x);
  const a = normalizeDim('transpose', dim0, x.ndim, 'dim0');
  const b = normalizeDim('transpose', dim1, x.ndim, 'dim1');
  const perm = x.shape.map((_, i) => (i === a ? b : i === b ? a : i));
  return permute(x, perm);
}

/**
 * Broadcasts size-1 dims (and new leading dims) to `shape` without copying; -1 keeps a dim.
 *
 * @example
 * ```ts
 * import { tensor } from '@largebatch/tensor';
 * tensor([1, 2]).expand([3, 2]).toArray(); // [[1, 2], [1, 2], [1, 2]]
 * ```
 */
export function expand(x: Tensor, shape: readonly number[]): Tensor {
  checkTensor('expand', 'x', x);
  const lead = shape.length - x.ndim;
  if (lead < 0) throw new ShapeError(expected('expand', 'shape', `at least ${x.ndim} dims`, shape));
  const target = shape.map((s, i) => (s === -1 && i >= lead ? x.shape[i - lead]! : s));
  checkShape('expand', 'shape', target);
  const strides = target.map((s, i) => {
    if (i < lead) return 0;
    const own = x.shape[i - lead]!;
    if (own === s) return x.strides[i - lead]!;
    if (own === 1) return 0;
    throw new ShapeError(`expand: cannot expand dim ${i - lead} of size ${own} to ${s} (shape [${x.shape.join(', ')}] to [${shape.join(', ')}])`);
  });
  const inShape = x.shape.slice();
  return viewOf('expand', x, target, strides, x.offset, (g) => sumToShape(g, inShape));
}

/** Inserts a size-1 dim at `dim`. @example `x.unsqueeze(0)` */
export function unsqueeze(x: Tensor, dim: number): Tensor {
  checkTensor('unsqueeze', 'x', x);
  const d = normalizeDim('unsqueeze', dim, x.ndim + 1);
  const shape = x.shape.slice();
  shape.splice(d, 0, 1);
  const strides = x.strides.slice();
  strides.splice(d, 0, d < x.ndim ? x.strides[d]! * x.shape[d]! : 1);
  const inShape = x.shape.slice();
  return viewOf('unsqueeze', x, shape, strides, x.offset, (g) => g.reshape(inShape));
}

/** Removes size-1 dims (all, or the one at `dim`). @example `x.squeeze(1)` */
export function squeeze(x: Tensor, dim?: number): Tensor {
  checkTensor('squeeze', 'x', x);
  const drop = dim === undefined ? x.shape.map((s, i) => (s === 1 ? i : -1)).filter((i) => i >= 0) : [normalizeDim('squeeze', dim, x.ndim)].filter((d) => x.shape[d] === 1);
  const inShape = x.shape.slice();
  return viewOf(
    'squeeze', x,
    x.shape.filter((_, i) => !drop.includes(i)), x.strides.filter((_, i) => !drop.includes(i)), x.offset,
    (g) => g.reshape(inShape),
  );
}

/** Flattens dims startDim..endDim into one. @example `x.flatten(1)` */
export function flatten(x: Tensor, startDim = 0, endDim = -1): Tensor {
  checkTensor('flatten', 'x', x);
  if (x.ndim === 0) return reshape(x, [1]);
  const s = normalizeDim('flatten', startDim, x.ndim, 'startDim');
  const e = normalizeDim('flatten', endDim, x.ndim, 'endDim');
  if (s > e) throw new ArgumentError(expected('flatten', 'startDim', `<= endDim (${e})`, s));
  return reshape(x, [...x.shape.slice(0, s), numel(x.shape.slice(s, e + 1)), ...x.shape.slice(e + 1)]);
}

/**
 * Elements start, start+step, ... (< end) along `dim` (a view), with Python's negative
 * indices and clamping, as `x[..., start:end:step]`.
 *
 * @example
 * ```ts
 * import { arange } from '@largebatch/tensor';
 * arange(10).slice(0, 2, 8, 3).toArray(); // [2, 5]
 * ```
 */
export function slice(x: Tensor, dim: number, start = 0, end?: number, step = 1): Tensor {
  checkTensor('slice', 'x', x);
  const d = normalizeDim('slice', dim, x.ndim);
  const size = x.shape[d]!;
  if (!Number.isInteger(step) || step < 1) throw new ArgumentError(expected('slice', 'step', 'a positive integer', step));
  for (const [name, v] of [['start', start], ['end', end ?? 0]] as const) {
    if (!Number.isInteger(v)) throw new ArgumentError(expected('slice', name, 'an integer', v));
  }
  const clampIndex = (i: number): number => Math.min(Math.max(i < 0 ? i + size : i, 0), size);
  const lo = clampIndex(start);
  const hi = Math.max(lo, clampIndex(end ?? size));
  const n = Math.ceil((hi - lo) / step);
  const shape = x.shape.slice();
  shape[d] = n;
  const strides = x.strides.slice();
  strides[d] = x.strides[d]! * step;
  const inShape = x.shape.slice();
  return viewOf('slice', x, shape, strides, x.offset + lo * x.strides[d]!, (g) => {
    // d(slice)/dx scatters g into the sliced positions of a zero tensor.
    const gx = zeros(inShape, { dtype: g.dtype, device: g.device });
    copyStrided(slice(gx, d, lo, hi, step), g);
    return gx;
  });
}
