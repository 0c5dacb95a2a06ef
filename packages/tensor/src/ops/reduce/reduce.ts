/**
 * Reductions over dims with keepdim, as PyTorch: sum, mean, max/min (amax semantics:
 * ties share the gradient), argmax/argmin. Runs of adjacent reduced dims are reduced in
 * one kernel pass ([outer, size, inner] of a contiguous input), several runs one after
 * another.
 */
import { record } from '../../autograd/record';
import { type DType, isFloating } from '../../dtype';
import { ShapeError, expected } from '../../errors';
import { type ReduceOpName, copyStrided, runReduce } from '../../kernels';
import { tidy } from '../../memory';
import { numel, normalizeDims } from '../../shape';
import { Tensor } from '../../tensor';
import { castTo, contiguous } from '../cast';
import { checkTensor } from '../operands';

/** Groups sorted dims into runs of adjacent dims: [[0,1],[3]] for [0,1,3]. */
function runsOf(dims: readonly number[]): number[][] {
  const runs: number[][] = [];
  for (const d of dims) {
    const last = runs[runs.length - 1];
    if (last && last[last.length - 1] === d - 1) last.push(d);
    else runs.push([d]);
  }
  return runs;
}

function keptShape(shape: readonly number[], dims: readonly number[]): number[] {
  return shape.map((s, i) => (dims.includes(i) ? 1 : s));
}

function outDType(op: ReduceOpName, d: DType): DType {
  if (op === 'argmax' || op === 'argmin') return 'int32';
  if (op === 'sum' && !isFloating(d)) return 'int32';
  return d;
}

/** The raw reduction (no autograd): result has `keptShape` (reduced dims of size 1). */
function reduceRaw(op: ReduceOpName, x: Tensor, dims: readonly number[]): Tensor {
  return tidy(() => {
    if (dims.length === 0) return rawCopy(x);
    let cur = contiguous(x);
    let shape = x.shape.slice();
    // Reduce the last run first so the earlier dims' positions stay valid.
    for (const run of runsOf(dims).reverse()) {
      const first = run[0]!;
      const last = run[run.length - 1]!;
      const outer = numel(shape.slice(0, first));
      const size = numel(shape.slice(first, last + 1));
      const inner = numel(shape.slice(last + 1));
      const next = shape.slice(0, first).concat(new Array<number>(run.length).fill(1), shape.slice(last + 1));
      const out = Tensor.empty(next, outDType(op, cur.dtype), x.device);
      runReduce(op, out, cur, outer, size, inner);
      cur = out;
      shape = next;
    }
    return cur;
  });
}

function rawCopy(x: Tensor): Tensor {
  const out = Tensor.empty(x.shape, x.dtype, x.device);
  copyStrided(out, x);
  return out;
}

function checkReducible(op: string, x: Tensor, dims: readonly number[]): void {
  if (op === 'sum' || op === 'mean') return;
  for (const d of dims) {
    if (x.shape[d] === 0) throw new ShapeError(expected(op, 'dim', 'a dim of non-zero size', `dim ${d} of size 0`));
  }
}

function finishShape(t: Tensor, shape: readonly number[], dims: readonly number[], keepdim: boolean): Tensor {
  return keepdim ? t : t.reshape(shape.filter((_, i) => !dims.includes(i)));
}

/**
 * Sum over `dim` (all dims when omitted); integer inputs sum to int32.
 *
 * @example
 * ```ts
 * import { sum, tensor } from '@largebatch/tensor';
 * sum(tensor([[1, 2], [3, 4]]), 1).toArray(); // [3, 7]
 * ```
 */
export function sum(x: Tensor, dim?: number | readonly number[], keepdim = false): Tensor {
  checkTensor('sum', 'x', x);
  const dims = normalizeDims('sum', dim, x.ndim);
  return tidy(() => {
    const kept = reduceRaw('sum', x, dims);
    const inShape = x.shape.slice();
    record('sum', kept, [x], [], (g) => [g.reshape(keptShape(inShape, dims)).expand(inShape)]);
    return finishShape(kept, inShape, dims, keepdim);
  });
}

/** Mean over `dim` (all dims when omitted); integer inputs give float32. @example `mean(x, [0, 2, 3])` */
export function mean(x: Tensor, dim?: number | readonly number[], keepdim = false): Tensor {
  checkTensor('mean', 'x', x);
  const dims = normalizeDims('mean', dim, x.ndim);
  const count = dims.reduce((n, d) => n * x.shape[d]!, 1);
  return tidy(() => sum(isFloating(x.dtype) ? x : castTo(x, 'float32'), dims, keepdim).div(count));
}

function extreme(op: 'max' | 'min', x: Tensor, dim: number | readonly number[] | undefined, keepdim: boolean): Tensor {
  checkTensor(op, 'x', x);
  const dims = normalizeDims(op, dim, x.ndim);
  checkReducible(op, x, dims);
  return tidy(() => {
    const kept = reduceRaw(op, x, dims);
    const inShape = x.shape.slice();
    // amax's gradient: shared evenly among the positions that reached the extreme.
    record(op, kept, [x], [x, kept], (g, [sx, sk]) => {
      const mask = sx!.eq(sk!).toDType(g.dtype);
      const count = sum(mask, dims, true);
      return [mask.mul(g.div(count))];
    });
    return finishShape(kept, inShape, dims, keepdim);
  });
}

/** Max over `dim` (all dims when omitted), NaN propagating. @example `max(x, 1)` */
export function max(x: Tensor, dim?: number | readonly number[], keepdim = false): Tensor {
  return extreme('max', x, dim, keepdim);
}

/** Min over `dim` (all dims when omitted), NaN propagating. @example `min(x, 1)` */
export function min(x: Tensor, dim?: number | readonly number[], keepdim = false): Tensor {
  return extreme('min', x, dim, keepdim);
}

function argExtreme(op: 'argmax' | 'argmin', x: Tensor, dim: number | undefined, keepdim: boolean): Tensor {
  checkTensor(op, 'x', x);
  return tidy(() => {
    if (dim === undefined) {
      if (x.numel === 0) throw new ShapeError(expected(op, 'x', 'a non-empty tensor', 'an empty tensor'));
      return reduceRaw(op, contiguous(x).reshape([x.numel]), [0]).reshape([]);
    }
    const dims = normalizeDims(op, dim, x.ndim);
    checkReducible(op, x, dims);
    return finishShape(reduceRaw(op, x, dims), x.shape, dims, keepdim);
  });
}

/** Index (int32) of the first maximum along `dim`, or in the flattened tensor. @example `argmax(logits, 1)` */
export function argmax(x: Tensor, dim?: number, keepdim = false): Tensor {
  return argExtreme('argmax', x, dim, keepdim);
}

/** Index (int32) of the first minimum along `dim`, or in the flattened tensor. @example `argmin(x, 0)` */
export function argmin(x: Tensor, dim?: number, keepdim = false): Tensor {
  return argExtreme('argmin', x, dim, keepdim);
}
