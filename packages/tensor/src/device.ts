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
  /**
   * Waits until the device has run everything queued on it (ops return once queued), as
   * `torch.cuda.synchronize()`: for timing device work. Throws `CudaUnavailableError` where
   * CUDA is unavailable.
   */
  synchronize(): void {
    if (!cuda.isAvailable()) throw new CudaUnavailableError(`cuda.synchronize: CUDA is unavailable: ${cuda.reason()}`);
    native.cudaSync();
  },
  /**
   * Device memory in bytes: `inUse`, allocated now, and `peak`, the most in use at once since
   * start-up or the last `resetPeakMemory()`; as requested by tensors and kernels' scratch
   * (but for conv2d's split-K partial sums, which that kernel takes from the pool itself),
   * not what the device's caching pool reserves, like `torch.cuda.memory_allocated()` and
   * `max_memory_allocated()`. Zeros where CUDA is unavailable.
   *
   * @example
   * ```ts
   * import { cuda } from '@largebatch/tensor';
   * cuda.resetPeakMemory();
   * // ... a training step on 'cuda' ...
   * console.log(`peak ${cuda.memoryStats().peak} bytes`);
   * ```
   */
  memoryStats(): { inUse: number; peak: number } {
    const { inUseBytes, peakBytes } = native.cudaMemoryStats();
    return { inUse: inUseBytes, peak: peakBytes };
  },
  /** Starts a new peak for `memoryStats()` from the bytes in use now. */
  resetPeakMemory(): void {
    native.cudaResetPeakMemory();
  },
  /**
   * Waits for the device, then hands the memory its caching pool keeps (freed, not in use)
   * back to the device, for another process on the same GPU; as `torch.cuda.empty_cache()`.
   * Does nothing where CUDA is unavailable.
   */
  emptyCache(): void {
    if (cuda.isAvailable()) native.cudaEmptyCache();
  },
};
