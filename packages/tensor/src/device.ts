import { DeviceCode, native } from '@largebatch/cuda-kernels';

import { CudaUnavailableError, DeviceError, expected } from './errors';

/** Where a tensor's storage lives. */
export type Device = 'cpu' | 'cuda';

export function checkDevice(op: string, arg: string, d: unknown): Device {
  if (d !== 'cpu' && d !== 'cuda') throw new DeviceError(expected(op, arg, "'cpu' or 'cuda'", d));
  if (d === 'cuda' && !cuda.isAvailable()) {
    throw new CudaUnavailableError(`${op}: ${arg} is 'cuda' but CUDA is unavailable: ${cuda.reason()}`);
  }
  return d;
}

export function deviceCode(d: Device): number {
  return DeviceCode[d];
}

/**
 * The CUDA device. No GPU is a normal state: `isAvailable()` is false and `reason()` says
 * why ("built without CUDA ..." or the CUDA runtime's own error).
 *
 * @example
 * ```ts
 * import { cuda } from '@largebatch/tensor';
 * if (!cuda.isAvailable()) console.log(`training on the CPU: ${cuda.reason()}`);
 * ```
 */
export const cuda = {
  isAvailable(): boolean {
    return native.cudaInfo().available;
  },
  reason(): string {
    return native.cudaInfo().reason;
  },
  /** True when the addon was compiled with CUDA kernels. */
  isBuilt(): boolean {
    return native.cudaInfo().built;
  },
};
