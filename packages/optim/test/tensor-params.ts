// Parameters as @largebatch/tensor Tensors for the class tests, and the plain-array
// mirrors the functional reference steps run on.
import { tensor, type Device, type Tensor } from '@largebatch/tensor';
import { expect } from 'vitest';

import type { NamedParameter } from '../src/index';
import { relativeError } from './parity-fixture';

/** Leaf float32 tensors on `device` holding copies of `values`, named `t0`, `t1`, ... */
export function namedParams(values: readonly Float32Array[], shapes: readonly (readonly number[])[], device: Device = 'cpu'): NamedParameter[] {
  return values.map((v, i) => [`t${i}`, tensor(v.slice(), { shape: [...shapes[i]!], requiresGrad: true, device })] as const);
}

/** Sets each parameter's `.grad` to a copy of its gradient on the parameter's device (null: none). */
export function setGrads(params: readonly Tensor[], grads: readonly (Float32Array | null)[]): void {
  params.forEach((p, i) => {
    const g = grads[i];
    p.grad = g ? tensor(g.slice(), { shape: [...p.shape], device: p.device }) : null;
  });
}

/** The parameters' values as flat copies. */
export function valuesOf(params: readonly Tensor[]): Float32Array[] {
  return params.map((p) => p.data() as Float32Array);
}

/** Each actual tensor within `tolerance` (relative to the expected tensor's max) of the expected one. */
export function expectTensorsClose(label: string, actual: readonly Float32Array[], expected: readonly (Float32Array | null | undefined)[], tolerance: number): void {
  expected.forEach((ref, i) => {
    if (ref == null) return;
    const { error, worst } = relativeError(actual[i]!, ref);
    expect(error, `${label} tensor ${i}: relative error ${error} at ${worst}`).toBeLessThanOrEqual(tolerance);
  });
}

export function disposeAll(params: readonly Tensor[]): void {
  params.forEach((p) => p.dispose());
}
