/** Argument checks shared by the NCHW ops (conv2d, batch norm, pools): ranks, pairs, output sizes. */
import { ArgumentError, DTypeError, ShapeError, expected } from '../errors';
import type { Tensor } from '../tensor';
import { checkSameDevice, checkTensor } from './operands';

/** A size given once for both spatial dims, or as [height, width]. */
export type Pair = number | readonly [number, number];

/** `value` as [height, width], each an integer >= `min`. */
export function pairOf(op: string, arg: string, value: Pair, min: number): [number, number] {
  const pair = typeof value === 'number' ? [value, value] : value;
  if (!Array.isArray(pair) || pair.length !== 2 || !pair.every((v) => Number.isInteger(v) && v >= min)) {
    throw new ArgumentError(expected(op, arg, `an integer >= ${min} or a pair of them`, value));
  }
  return [pair[0]!, pair[1]!];
}

/**
 * Checks that `t` is a floating 4-d tensor (`layout` names its dims for the message) whose
 * dims from `nonEmptyFrom` on are non-empty (1 lets a batch be empty).
 */
export function checkFourDims(op: string, arg: string, t: Tensor, layout: string, nonEmptyFrom: number): void {
  checkTensor(op, arg, t);
  if (t.ndim !== 4) throw new ShapeError(expected(op, arg, `a 4-d tensor ${layout}`, `shape [${t.shape.join(', ')}]`));
  if (t.shape.slice(nonEmptyFrom).some((s) => s === 0)) {
    throw new ShapeError(expected(op, arg, `a tensor ${layout} with non-empty dims from dim ${nonEmptyFrom} on`, `shape [${t.shape.join(', ')}]`));
  }
  if (t.dtype !== 'float32' && t.dtype !== 'float64') throw new DTypeError(expected(op, `${arg}.dtype`, "'float32' or 'float64'", t.dtype));
}

/** Checks that `x` is a floating [N, C, H, W] tensor with non-empty C, H and W. */
export function checkImages(op: string, x: Tensor): void {
  checkFourDims(op, 'x', x, '[N, C, H, W]', 1);
}

/** Checks that an optional companion of `x` (a weight, a bias, ...) has `shape`, x's dtype and x's device. */
export function checkCompanion(op: string, arg: string, t: Tensor, x: Tensor, shape: readonly number[]): void {
  checkTensor(op, arg, t);
  if (t.ndim !== shape.length || t.shape.some((s, i) => s !== shape[i])) {
    throw new ShapeError(expected(op, arg, `of shape [${shape.join(', ')}]`, `shape [${t.shape.join(', ')}]`));
  }
  if (t.dtype !== x.dtype) throw new DTypeError(expected(op, `${arg}.dtype`, `x's dtype '${x.dtype}'`, t.dtype));
  checkSameDevice(op, [['x', x], [arg, t]]);
}

/**
 * The output size of a sliding window along one axis (floor mode), or a ShapeError when
 * the (dilated) window does not fit in the padded input.
 */
export function slidingOutputSize(op: string, axis: 'height' | 'width', input: number, window: number, stride: number, padding: number): number {
  const span = input + 2 * padding - window;
  if (span < 0) {
    throw new ShapeError(
      `${op}: the kernel's ${axis} ${window} (dilation included) is larger than the padded input's ${input + 2 * padding} (${input} + 2 x padding ${padding})`,
    );
  }
  return Math.floor(span / stride) + 1;
}
