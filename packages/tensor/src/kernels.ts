/**
 * The bridge from tensor views to the native kernels: each helper passes a tensor as
 * (buffer, element offset, strides), merging dimensions first. Callers have validated
 * shapes, dtypes and devices.
 */
import {
  ActivationOp, BatchNormOp, BinaryOp, type BufferHandle, Conv2dOp, CrossEntropyOp, Distribution, PoolMode, PoolOp, ReduceOp, UnaryOp, native,
} from '@largebatch/cuda-kernels';

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
  t.storage.markWritten();
}

/** Records that the kernel just run wrote these tensors (Storage.version). */
function wrote(...tensors: readonly (Tensor | null | undefined)[]): void {
  for (const t of tensors) t?.storage.markWritten();
}

/** The tensors at these positions of a kernel's tensor list. */
function at(tensors: readonly (Tensor | null)[], positions: readonly number[]): (Tensor | null | undefined)[] {
  return positions.map((i) => tensors[i]);
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
  wrote(out);
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
  wrote(out);
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
  wrote(out);
}

/** Reduces the middle axis of contiguous `input` viewed as [outer, size, inner] into `out`. */
export function runReduce(op: ReduceOpName, out: Tensor, input: Tensor, outer: number, size: number, inner: number): void {
  native.reduce(ReduceOp[op], dtypeCode(input.dtype), outer, size, inner, input.storage.handle, input.offset, out.storage.handle);
  wrote(out);
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
  wrote(c);
}

export function runRandom(dist: 'uniform' | 'normal', out: Tensor, seed: number, counter: number, a: number, b: number): void {
  native.randomFill(Distribution[dist], dtypeCode(out.dtype), out.storage.handle, out.offset, out.numel, seed, counter, a, b);
  wrote(out);
}

export function runIndex(kind: 'select' | 'add', dtype: DType, outer: number, dim: number, inner: number, src: Tensor, idx: Tensor, dst: Tensor): void {
  const fn = kind === 'select' ? native.indexSelect : native.indexAdd;
  fn(dtypeCode(dtype), outer, dim, inner, src.storage.handle, src.offset, idx.storage.handle, idx.offset, idx.numel, dst.storage.handle, dst.offset);
  wrote(dst);
}

/** A tensor's buffer and element offset for the convnet kernels (null for an absent one). */
function handles(tensors: readonly (Tensor | null)[]): [(BufferHandle | null)[], number[]] {
  return [tensors.map((t) => t?.storage.handle ?? null), tensors.map((t) => t?.offset ?? 0)];
}

/** The geometry of a 2-d convolution, as conv2d.h names it. */
export interface Conv2dGeometry {
  n: number; c: number; h: number; w: number;
  k: number; r: number; s: number; p: number; q: number;
  stride: [number, number]; padding: [number, number]; dilation: [number, number]; groups: number;
}

function convShape(g: Conv2dGeometry): number[] {
  return [g.n, g.c, g.h, g.w, g.k, g.r, g.s, g.p, g.q, ...g.stride, ...g.padding, ...g.dilation, g.groups];
}

/** Convolution kernels on contiguous tensors: forward [x, w, y, bias], backwardData [dy, w, dx], backwardWeight [x, dy, dw, dbias]. */
const CONV2D_OUTPUTS = { forward: [2], backwardData: [2], backwardWeight: [2, 3] } as const;

export function runConv2d(op: keyof typeof Conv2dOp, dtype: DType, g: Conv2dGeometry, tensors: readonly (Tensor | null)[]): void {
  native.conv2d(Conv2dOp[op], dtypeCode(dtype), convShape(g), ...handles(tensors));
  wrote(...at(tensors, CONV2D_OUTPUTS[op]));
}

/** Written by batchNorm: the running statistics, y and the saved statistics; dx, dweight, dbias. */
const BATCH_NORM_OUTPUTS = { forward: [3, 4, 5, 6, 7], backward: [6, 7, 8] } as const;

/** Batch-norm kernels on contiguous tensors viewed as [n, c, hw] (see BatchNormOp for the tensor lists). */
export function runBatchNorm(
  op: keyof typeof BatchNormOp, dtype: DType, shape: [number, number, number],
  options: { training: boolean; relu: boolean; eps: number; momentum: number }, tensors: readonly (Tensor | null)[],
): void {
  const opts = [options.training ? 1 : 0, options.relu ? 1 : 0, options.eps, options.momentum];
  native.batchNorm(BatchNormOp[op], dtypeCode(dtype), shape, opts, ...handles(tensors));
  wrote(...at(tensors, BATCH_NORM_OUTPUTS[op]));
}

const POOL2D_OUTPUTS = { forward: [1, 2], backward: [2] } as const;

/** The geometry of a 2-d pooling of [planes, h, w] into [planes, p, q] (pool.h). */
export interface Pool2dGeometry {
  planes: number; h: number; w: number; p: number; q: number;
  kernel: [number, number]; stride: [number, number]; padding: [number, number];
}

/** Pooling kernels on contiguous tensors: forward [x, y, indices], backward [dy, indices, dx]. */
export function runPool2d(op: keyof typeof PoolOp, mode: keyof typeof PoolMode, dtype: DType, g: Pool2dGeometry, tensors: readonly (Tensor | null)[]): void {
  const shape = [g.planes, g.h, g.w, g.p, g.q, ...g.kernel, ...g.stride, ...g.padding];
  native.pool2d(PoolOp[op], PoolMode[mode], dtypeCode(dtype), shape, ...handles(tensors));
  wrote(...at(tensors, POOL2D_OUTPUTS[op]));
}

/** The fused crop + flip + normalise of uint8 images: tensors [images, top, left, flip, out], contiguous. */
export function runAugment(shape: readonly number[], mean: readonly number[], std: readonly number[], tensors: readonly Tensor[]): void {
  native.augment(shape, mean, std, ...handles(tensors));
  wrote(tensors[4]);
}

/** out = op(a, b) over contiguous tensors of one shape. */
export function runActivation(op: keyof typeof ActivationOp, out: Tensor, a: Tensor, b: Tensor | null): void {
  native.activation(ActivationOp[op], dtypeCode(out.dtype), out.numel, ...handles([a, b, out]));
  wrote(out);
}

const CROSS_ENTROPY_OUTPUTS = { forward: [2], backward: [3] } as const;

/**
 * Fused log-softmax + cross-entropy over the rows of contiguous logits [rows, classes]:
 * forward [logits, labels, loss], backward [logits, labels, dloss, dlogits]. A label outside
 * [0, classes) throws and nothing is written.
 */
export function runCrossEntropy(
  op: keyof typeof CrossEntropyOp, dtype: DType, shape: [number, number], labelSmoothing: number, tensors: readonly Tensor[],
): void {
  native.crossEntropy(CrossEntropyOp[op], dtypeCode(dtype), shape, labelSmoothing, ...handles(tensors));
  wrote(...at(tensors, CROSS_ENTROPY_OUTPUTS[op]));
}
