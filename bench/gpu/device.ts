/**
 * Our side's timing and memory on device 'cuda'. Ops return once queued on the device's
 * stream, so every timed call is followed by `cuda.synchronize()`, as the peer's by
 * `torch.cuda.synchronize()`. Both sides share one GPU, and each side's caching pool keeps
 * what its steps freed: each turn ends by handing that back (`cuda.emptyCache()`, the
 * peer's `torch.cuda.empty_cache()`), so that the other side's turn has the memory to
 * itself but for what the first holds (network, optimizer state, batch), and neither
 * side's batch fails to fit for the other's cache. The untimed call that starts each turn
 * refills the pool.
 */
import { cuda } from '@largebatch/tensor';

import { median } from '../lib/harness';

/** How a case fared on one side: its peak device memory (null where not measured), or why it does not fit. */
export type Fit = { peakBytes: number | null } | { outOfMemory: string };

export function fits(fit: Fit): fit is { peakBytes: number | null } {
  return !('outOfMemory' in fit);
}

/** A failed device allocation, from our addon (cudaMallocAsync) or from the peer (PyTorch's allocators). */
export function isOutOfMemory(err: unknown): err is Error {
  return err instanceof Error && /out of memory|cudaErrorMemoryAllocation|can't allocate memory/i.test(err.message);
}

/** The first line of an error's message, which says what failed to allocate. */
export function firstLine(err: Error): string {
  return err.message.split('\n', 1)[0]!;
}

/** Median seconds of one call of `fn` over `reps` timed calls, after one untimed call; then empties the cache. */
export function timeOnDevice(fn: () => void, reps: number): number {
  fn();
  cuda.synchronize();
  const samples: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = process.hrtime.bigint();
    fn();
    cuda.synchronize();
    samples.push(Number(process.hrtime.bigint() - t0) / 1e9);
  }
  cuda.emptyCache();
  return median(samples);
}

/**
 * Runs `fn` `warmup` times, untimed, and returns the most device memory in use at once
 * meanwhile; an allocation that fails is returned as `outOfMemory`, any other error thrown.
 * Then empties the cache.
 */
export function warmUp(fn: () => void, warmup: number): Fit {
  try {
    cuda.synchronize();
    cuda.resetPeakMemory();
    for (let i = 0; i < warmup; i++) fn();
    cuda.synchronize();
    return { peakBytes: cuda.memoryStats().peak };
  } catch (err) {
    if (isOutOfMemory(err)) return { outOfMemory: firstLine(err) };
    throw err;
  } finally {
    cuda.emptyCache();
  }
}
