import { DTypeCode } from '@largebatch/cuda-kernels';

import { DTypeError, expected } from './errors';

/** Element types. float64 is for reference checks on the CPU. */
export type DType = 'float32' | 'float64' | 'int32' | 'uint8';
export const DTYPES: readonly DType[] = ['float32', 'float64', 'int32', 'uint8'];

export type TypedArrayOf<D extends DType> = D extends 'float32'
  ? Float32Array
  : D extends 'float64'
    ? Float64Array
    : D extends 'int32'
      ? Int32Array
      : Uint8Array;
export type AnyTypedArray = Float32Array | Float64Array | Int32Array | Uint8Array;

export function dtypeCode(d: DType): number {
  return DTypeCode[d];
}

export function bytesPerElement(d: DType): number {
  return d === 'float64' ? 8 : d === 'uint8' ? 1 : 4;
}

export function isFloating(d: DType): boolean {
  return d === 'float32' || d === 'float64';
}

export function checkDType(op: string, arg: string, d: unknown): DType {
  if (typeof d !== 'string' || !(DTYPES as readonly string[]).includes(d)) {
    throw new DTypeError(expected(op, arg, `one of ${DTYPES.join(', ')}`, d));
  }
  return d as DType;
}

export function newTypedArray(d: DType, n: number): AnyTypedArray {
  switch (d) {
    case 'float32': return new Float32Array(n);
    case 'float64': return new Float64Array(n);
    case 'int32': return new Int32Array(n);
    case 'uint8': return new Uint8Array(n);
  }
}

export function dtypeOfArray(a: AnyTypedArray): DType {
  if (a instanceof Float32Array) return 'float32';
  if (a instanceof Float64Array) return 'float64';
  if (a instanceof Int32Array) return 'int32';
  return 'uint8';
}

const RANK: Record<DType, number> = { uint8: 0, int32: 1, float32: 2, float64: 3 };

/** PyTorch's promotion among our dtypes: uint8 < int32 < float32 < float64. */
export function promote(a: DType, b: DType): DType {
  return RANK[a] >= RANK[b] ? a : b;
}

/** The dtype of `t op scalar`: a float scalar lifts an integer tensor to float32. */
export function promoteWithScalar(d: DType, scalar: number): DType {
  return isFloating(d) || Number.isInteger(scalar) ? d : 'float32';
}

/** The result dtype of ops that are only defined on floats (exp, log, div, ...). */
export function floatingOf(d: DType): DType {
  return isFloating(d) ? d : 'float32';
}
