/**
 * The L2 norm of a float32 tensor, its squares summed in float64 (so the norm of a
 * 2.4-million-element tensor keeps full float32 precision).
 *
 * @example
 * ```ts
 * import { l2Norm } from '@largebatch/optim';
 * l2Norm(new Float32Array([3, 4])); // 5
 * ```
 */
export function l2Norm(x: Float32Array): number {
  let sum = 0;
  for (let i = 0; i < x.length; i++) sum += x[i]! * x[i]!;
  return Math.sqrt(sum);
}

/**
 * Whether every element is finite (no NaN, no ±Inf).
 *
 * @example
 * ```ts
 * import { allFinite } from '@largebatch/optim';
 * allFinite(new Float32Array([1, Infinity])); // false
 * ```
 */
export function allFinite(x: Float32Array): boolean {
  // x − x is 0 for finite x and NaN for NaN or ±Inf; one comparison per element.
  for (let i = 0; i < x.length; i++) if (x[i]! - x[i]! !== 0) return false;
  return true;
}
