/**
 * Multiplies the update by the learning rate (optax's scale_by_learning_rate, with the
 * descent sign left to {@link applyUpdate}). In place.
 *
 * @example
 * ```ts
 * import { scaleByLearningRate } from '@largebatch/optim';
 * const update = new Float32Array([1, -2]);
 * scaleByLearningRate(update, 0.5); // update = [0.5, -1]
 * ```
 */
export function scaleByLearningRate(update: Float32Array, lr: number): void {
  scale(update, lr);
}

/**
 * The descent step: param −= update. In place.
 *
 * @example
 * ```ts
 * import { applyUpdate } from '@largebatch/optim';
 * const param = new Float32Array([1, 1]);
 * applyUpdate(param, new Float32Array([0.5, -1])); // param = [0.5, 2]
 * ```
 */
export function applyUpdate(param: Float32Array, update: Float32Array): void {
  for (let i = 0; i < param.length; i++) param[i]! -= update[i]!;
}

/** x *= factor, in place. */
export function scale(x: Float32Array, factor: number): void {
  if (factor === 1) return;
  for (let i = 0; i < x.length; i++) x[i]! *= factor;
}
