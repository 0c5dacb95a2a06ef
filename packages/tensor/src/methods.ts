/**
 * Every op as a Tensor method too (`x.add(y)` as well as `add(x, y)`), attached to the
 * prototype here so that tensor.ts does not import the ops.
 */
import type { DType } from './dtype';
import type { Device } from './device';
import { Tensor } from './tensor';
import { castTo, clone, contiguous, detach } from './ops/cast';
import { add, div, eq, ge, gt, le, lt, maximum, minimum, mul, ne, pow, sub } from './ops/elementwise/binary';
import { abs, clamp, exp, log, neg, sign, sqrt } from './ops/elementwise/unary';
import { where } from './ops/elementwise/where';
import { argmax, argmin, max, mean, min, sum } from './ops/reduce/reduce';
import { matmul } from './ops/matmul/matmul';
import { expand, flatten, permute, reshape, slice, squeeze, transpose, unsqueeze, view } from './ops/views/views';
import { pad } from './ops/pad/pad';
import { flip } from './ops/flip/flip';
import { indexSelect } from './ops/index-select/index-select';
import { logSoftmax, softmax } from './ops/softmax/softmax';
import { relu } from './ops/activation/activation';
import { toDevice } from './ops/device/to-device';
import { add_, copy_, div_, fill_, mul_, sub_, zero_ } from './ops/inplace/inplace';
import type { TensorLike } from './ops/operands';

type Dims = number | readonly number[];

declare module './tensor' {
  interface Tensor {
    add(other: TensorLike): Tensor;
    sub(other: TensorLike): Tensor;
    mul(other: TensorLike): Tensor;
    div(other: TensorLike): Tensor;
    pow(exponent: TensorLike): Tensor;
    maximum(other: TensorLike): Tensor;
    minimum(other: TensorLike): Tensor;
    eq(other: TensorLike): Tensor;
    ne(other: TensorLike): Tensor;
    lt(other: TensorLike): Tensor;
    le(other: TensorLike): Tensor;
    gt(other: TensorLike): Tensor;
    ge(other: TensorLike): Tensor;
    neg(): Tensor;
    exp(): Tensor;
    log(): Tensor;
    sqrt(): Tensor;
    abs(): Tensor;
    sign(): Tensor;
    clamp(bounds: { min?: number; max?: number }): Tensor;
    where(cond: Tensor, other: TensorLike): Tensor;
    sum(dim?: Dims, keepdim?: boolean): Tensor;
    mean(dim?: Dims, keepdim?: boolean): Tensor;
    max(dim?: Dims, keepdim?: boolean): Tensor;
    min(dim?: Dims, keepdim?: boolean): Tensor;
    argmax(dim?: number, keepdim?: boolean): Tensor;
    argmin(dim?: number, keepdim?: boolean): Tensor;
    matmul(other: Tensor): Tensor;
    reshape(shape: readonly number[]): Tensor;
    view(shape: readonly number[]): Tensor;
    permute(dims: readonly number[]): Tensor;
    transpose(dim0: number, dim1: number): Tensor;
    expand(shape: readonly number[]): Tensor;
    unsqueeze(dim: number): Tensor;
    squeeze(dim?: number): Tensor;
    flatten(startDim?: number, endDim?: number): Tensor;
    slice(dim: number, start?: number, end?: number, step?: number): Tensor;
    pad(pads: readonly number[], value?: number): Tensor;
    flip(dims: Dims): Tensor;
    indexSelect(dim: number, index: Tensor): Tensor;
    softmax(dim?: number): Tensor;
    logSoftmax(dim?: number): Tensor;
    relu(): Tensor;
    contiguous(): Tensor;
    clone(): Tensor;
    detach(): Tensor;
    /** This tensor converted to `dtype` (itself if it has it). */
    toDType(dtype: DType): Tensor;
    /** A copy on `device` (itself if it is there). */
    to(device: Device): Tensor;
    copy_(src: Tensor): Tensor;
    fill_(value: number): Tensor;
    zero_(): Tensor;
    add_(other: TensorLike): Tensor;
    sub_(other: TensorLike): Tensor;
    mul_(other: TensorLike): Tensor;
    div_(other: TensorLike): Tensor;
  }
}

const methods: Record<string, (this: Tensor, ...args: never[]) => unknown> = {
  add(this: Tensor, o: TensorLike) { return add(this, o); },
  sub(this: Tensor, o: TensorLike) { return sub(this, o); },
  mul(this: Tensor, o: TensorLike) { return mul(this, o); },
  div(this: Tensor, o: TensorLike) { return div(this, o); },
  pow(this: Tensor, o: TensorLike) { return pow(this, o); },
  maximum(this: Tensor, o: TensorLike) { return maximum(this, o); },
  minimum(this: Tensor, o: TensorLike) { return minimum(this, o); },
  eq(this: Tensor, o: TensorLike) { return eq(this, o); },
  ne(this: Tensor, o: TensorLike) { return ne(this, o); },
  lt(this: Tensor, o: TensorLike) { return lt(this, o); },
  le(this: Tensor, o: TensorLike) { return le(this, o); },
  gt(this: Tensor, o: TensorLike) { return gt(this, o); },
  ge(this: Tensor, o: TensorLike) { return ge(this, o); },
  neg(this: Tensor) { return neg(this); },
  exp(this: Tensor) { return exp(this); },
  log(this: Tensor) { return log(this); },
  sqrt(this: Tensor) { return sqrt(this); },
  abs(this: Tensor) { return abs(this); },
  sign(this: Tensor) { return sign(this); },
  clamp(this: Tensor, b: { min?: number; max?: number }) { return clamp(this, b); },
  where(this: Tensor, cond: Tensor, other: TensorLike) { return where(cond, this, other); },
  sum(this: Tensor, d?: Dims, k?: boolean) { return sum(this, d, k); },
  mean(this: Tensor, d?: Dims, k?: boolean) { return mean(this, d, k); },
  max(this: Tensor, d?: Dims, k?: boolean) { return max(this, d, k); },
  min(this: Tensor, d?: Dims, k?: boolean) { return min(this, d, k); },
  argmax(this: Tensor, d?: number, k?: boolean) { return argmax(this, d, k); },
  argmin(this: Tensor, d?: number, k?: boolean) { return argmin(this, d, k); },
  matmul(this: Tensor, o: Tensor) { return matmul(this, o); },
  reshape(this: Tensor, s: readonly number[]) { return reshape(this, s); },
  view(this: Tensor, s: readonly number[]) { return view(this, s); },
  permute(this: Tensor, d: readonly number[]) { return permute(this, d); },
  transpose(this: Tensor, a: number, b: number) { return transpose(this, a, b); },
  expand(this: Tensor, s: readonly number[]) { return expand(this, s); },
  unsqueeze(this: Tensor, d: number) { return unsqueeze(this, d); },
  squeeze(this: Tensor, d?: number) { return squeeze(this, d); },
  flatten(this: Tensor, s?: number, e?: number) { return flatten(this, s, e); },
  slice(this: Tensor, d: number, s?: number, e?: number, st?: number) { return slice(this, d, s, e, st); },
  pad(this: Tensor, p: readonly number[], v?: number) { return pad(this, p, v); },
  flip(this: Tensor, d: Dims) { return flip(this, d); },
  indexSelect(this: Tensor, d: number, i: Tensor) { return indexSelect(this, d, i); },
  softmax(this: Tensor, d?: number) { return softmax(this, d); },
  logSoftmax(this: Tensor, d?: number) { return logSoftmax(this, d); },
  relu(this: Tensor) { return relu(this); },
  contiguous(this: Tensor) { return contiguous(this); },
  clone(this: Tensor) { return clone(this); },
  detach(this: Tensor) { return detach(this); },
  toDType(this: Tensor, d: DType) { return castTo(this, d); },
  to(this: Tensor, d: Device) { return toDevice(this, d); },
  copy_(this: Tensor, s: Tensor) { return copy_(this, s); },
  fill_(this: Tensor, v: number) { return fill_(this, v); },
  zero_(this: Tensor) { return zero_(this); },
  add_(this: Tensor, o: TensorLike) { return add_(this, o); },
  sub_(this: Tensor, o: TensorLike) { return sub_(this, o); },
  mul_(this: Tensor, o: TensorLike) { return mul_(this, o); },
  div_(this: Tensor, o: TensorLike) { return div_(this, o); },
};

for (const [name, fn] of Object.entries(methods)) {
  Object.defineProperty(Tensor.prototype, name, { value: fn, writable: true, configurable: true });
}
