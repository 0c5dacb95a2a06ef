/**
 * L2 weight decay folded into the update: update += weightDecay·param (optax's
 * add_decayed_weights, torch's `weight_decay`). In place.
 *
 * @example
 * ```ts
 * import { addDecayedWeights } from '@largebatch/optim';
 * const update = new Float32Array([0.5, -1]);
 * addDecayedWeights(update, new Float32Array([2, 4]), 0.25); // update = [1, 0]
 * ```
 */
export function addDecayedWeights(update: Float32Array, param: Float32Array, weightDecay: number): void {
  if (weightDecay === 0) return;
  for (let i = 0; i < update.length; i++) update[i]! += weightDecay * param[i]!;
}
