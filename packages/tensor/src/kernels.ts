/**
 * The bridge from tensor views to the native kernels: each helper passes a tensor as
 * (buffer, element offset, strides), merging dimensions first. Callers have validated
 * shapes, dtypes and devices.
 */
import { BinaryOp, Distribution, ReduceOp, UnaryOp, native } from '@largebatch/cuda-kernels';

import { type AnyTypedArray, type DType, bytesPerElement, dtypeCode } from './dtype';
import { broadcastStrides, coalesce } from './shape';
import type { Tensor } from './tensor';

export type UnaryOpName = keyof typeof UnaryOp;
export type BinaryOpName = keyof typeof BinaryOp;
export type ReduceOpName = keyof typeof ReduceOp;

/** Strides of `t` read as broadcast to `out`'s shape. */
function stridesFor(t: Tensor, out: Tensor): number[] {
  return broadcastStrides(t.shape, t.strides, out.shape);
}

export function readContiguous(t: Tensor, into: AnyTypedArray): void {
  native.read(t.storage.handle, t.offset * bytesPerElement(t.dtype), into);
}

export function writeContiguous(t: Tensor, from: AnyTypedArray): void {
  native.write(t.storage.handle, t.offset * bytesPerElement(t.dtype), from);
}

/** out = op(input) elementwise (input broadcast to out's shape); copy also casts. */
export function runUnary(op: UnaryOpName, out: Tensor, input: Tensor, p0 = 0, p1 = 0): void {
  const m = coalesce(out.shape, [out.strides, stridesFor(input, out)]);
  native.unary(
    UnaryOp[op], dtypeCode(input.dtype), dtypeCode(out.dtype), m.shape,
    out.storage.handle, out.offset, m.strides[0]!,
    input.storage.handle, input.offset, m.strides[1]!,
    p0, p1,
  );
}

/** Copies (and casts) src into the view dst, broadcasting src. */
export function copyStrided(dst: Tensor, src: Tensor): void {
  runUnary('copy', dst, src);
}

export function runFill(out: Tensor, value: number): void {
  runUnary('fill', out, out, value);
}

/** out = a op b, with a and b of one dtype and broadcast to out's shape. */
export function runBinary(op: BinaryOpName, out: Tensor, a: Tensor, b: Tensor): void {
  const m = coalesce(out.shape, [out.strides, stridesFor(a, out), stridesFor(b, out)]);
  native.binary(
    BinaryOp[op], dtypeCode(a.dtype), m.shape,
    out.storage.handle, out.offset, m.strides[0]!,
    a.storage.handle, a.offset, m.strides[1]!,
    b.storage.handle, b.offset, m.strides[2]!,
  );
}

export function runWhere(out: Tensor, cond: Tensor, a: Tensor, b: Tensor): void {
  const m = coalesce(out.shape, [out.strides, stridesFor(cond, out), stridesFor(a, out), stridesFor(b, out)]);
  native.where(
    dtypeCode(out.dtype), m.shape,
    out.storage.handle, out.offset, m.strides[0]!,
    cond.storage.handle, cond.offset, m.strides[1]!,
    a.storage.handle, a.offset, m.strides[2]!,
    b.storage.handle, b.offset, m.strides[3]!,
  );
}

/** Reduces the middle axis of contiguous `input` viewed as [outer, size, inner] into `out`. */
export function runReduce(op: ReduceOpName, out: Tensor, input: Tensor, outer: number, size: number, inner: number): void {
  native.reduce(ReduceOp[op], dtypeCode(input.dtype), outer, size, inner, input.storage.handle, input.offset, out.storage.handle);
}

/** The matrix layout of a 2-d slice of a batched operand: row-major or transposed. */
export interface MatrixOperand {
  tensor: Tensor;
  trans: boolean;
  ld: number;
  batchStride: number;
}

export function runMatmul(dtype: DType, batch: number, m: number, n: number, k: number, a: MatrixOperand, b: MatrixOperand, c: Tensor): void {
  native.matmul(
    dtypeCode(dtype),
    [batch, m, n, k, a.trans ? 1 : 0, b.trans ? 1 : 0, a.ld, b.ld, n, a.batchStride, b.batchStride, m * n, a.tensor.offset, b.tensor.offset, c.offset],
    a.tensor.storage.handle, b.tensor.storage.handle, c.storage.handle,
  );
}

export function runRandom(dist: 'uniform' | 'normal', out: Tensor, seed: number, counter: number, a: number, b: number): void {
  native.randomFill(Distribution[dist], dtypeCode(out.dtype), out.storage.handle, out.offset, out.numel, seed, counter, a, b);
}

export function runIndex(kind: 'select' | 'add', dtype: DType, outer: number, dim: number, inner: number, src: Tensor, idx: Tensor, dst: Tensor): void {
  const fn = kind === 'select' ? native.indexSelect : native.indexAdd;
  fn(dtypeCode(dtype), outer, dim, inner, src.storage.handle, src.offset, idx.storage.handle, idx.offset, idx.numel, dst.storage.handle, dst.offset);
}
