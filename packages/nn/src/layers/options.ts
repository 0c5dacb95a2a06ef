import { ArgumentError, type Device, type DType } from '@largebatch/tensor';

/** Where a layer creates its parameters; default float32 on the CPU. */
export interface FactoryOptions {
  dtype?: DType;
  device?: Device;
}

/** Throws unless `v` is a positive integer, naming the layer and the argument. */
export function checkPositiveInt(layer: string, arg: string, v: number): void {
  if (!Number.isInteger(v) || v < 1) throw new ArgumentError(`${layer}: ${arg} must be a positive integer, got ${String(v)}`);
}
