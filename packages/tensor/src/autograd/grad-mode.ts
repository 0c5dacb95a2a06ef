let enabled = true;

/** Whether ops record the autograd graph now. */
export function isGradEnabled(): boolean {
  return enabled;
}

/**
 * Runs `fn` without recording gradients (as `torch.no_grad()`): results of ops inside do
 * not require grad, and no tensors are saved for backward.
 *
 * @example
 * ```ts
 * import { noGrad, ones } from '@largebatch/tensor';
 * const w = ones([2], { requiresGrad: true });
 * const y = noGrad(() => w.mul(2)); // y.requiresGrad === false
 * ```
 */
export function noGrad<T>(fn: () => T): T {
  const prev = enabled;
  enabled = false;
  try {
    return fn();
  } finally {
    enabled = prev;
  }
}
