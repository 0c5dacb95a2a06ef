import { l2Norm } from './norm';
import { scale } from './scale';

/** Options of {@link trustRatio}: the LARS options the ratio depends on. */
export interface TrustRatioOptions {
  /** 'paper' (Algorithm 1 with guards) or 'study' (the study's ver2). */
  variant: 'paper' | 'study';
  trustCoefficient: number;
  weightDecay: number;
  /** 'paper': added to the denominator. */
  eps: number;
  /** 'paper': LARC clipping λ ← min(λ/lr, 1). */
  clip: boolean;
  /** The step's learning rate (read by `clip`). */
  lr: number;
}

/**
 * The LARS trust ratio λ of one tensor from ‖w‖ and ‖g‖ (g the raw gradient, without
 * weight decay); the factor that multiplies the learning rate.
 * - 'paper': η‖w‖/(‖g‖ + β‖w‖ + eps); 1 when ‖w‖ or ‖g‖ is 0; with clip min(λ/lr, 1)
 *   (apex LARC; a ratio of 1 from a zero norm is not clipped).
 * - 'study': η·‖w‖/(‖g‖ + β‖w‖) with no guard, as the study's code ran: 0 when ‖w‖ = 0
 *   (the tensor never moves) and NaN when both norms are 0.
 *
 * @example
 * ```ts
 * import { trustRatio } from '@largebatch/optim';
 * const options = { variant: 'paper', trustCoefficient: 0.001, weightDecay: 0, eps: 0, clip: false, lr: 0.1 } as const;
 * trustRatio(10, 1, options); // 0.01
 * trustRatio(0, 1, options); // 1: a zero norm turns adaptation off
 * ```
 */
export function trustRatio(paramNorm: number, gradNorm: number, options: TrustRatioOptions): number {
  const { trustCoefficient, weightDecay } = options;
  if (options.variant === 'study') return trustCoefficient * (paramNorm / (gradNorm + weightDecay * paramNorm));
  if (paramNorm === 0 || gradNorm === 0) return 1;
  const ratio = (trustCoefficient * paramNorm) / (gradNorm + weightDecay * paramNorm + options.eps);
  return options.clip ? Math.min(ratio / options.lr, 1) : ratio;
}

/**
 * optax's scale_by_trust_ratio with the LARS paper's ratio: computes λ from the norms of
 * `param` and `grad` (float64 sums) and multiplies the update by it, in place. Returns λ.
 *
 * @example
 * ```ts
 * import { scaleByTrustRatio } from '@largebatch/optim';
 * const update = new Float32Array([1, 1]);
 * const options = { variant: 'paper', trustCoefficient: 0.5, weightDecay: 0, eps: 0, clip: false, lr: 1 } as const;
 * scaleByTrustRatio(update, new Float32Array([3, 4]), new Float32Array([0, 1]), options); // 2.5; update = [2.5, 2.5]
 * ```
 */
export function scaleByTrustRatio(update: Float32Array, param: Float32Array, grad: Float32Array, options: TrustRatioOptions): number {
  const ratio = trustRatio(l2Norm(param), l2Norm(grad), options);
  scale(update, ratio);
  return ratio;
}
