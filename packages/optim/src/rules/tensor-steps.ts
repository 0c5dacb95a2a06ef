// One tensor's step for each optimizer, composed from the rules in optax's order. These are
// the for-loop reference that the fused native step is tested against; sgdStep/larsStep
// (functional.ts) run them over a list of tensors.
import type { LarsHyper, SgdHyper } from '../options';
import { addDecayedWeights } from './add-decayed-weights';
import { l2Norm } from './norm';
import { applyUpdate, scale, scaleByLearningRate } from './scale';
import { trace } from './trace';
import { scaleByTrustRatio, trustRatio } from './trust-ratio';

/** What a tensor step leaves behind: the momentum buffer to keep, and LARS's ratio. */
export interface TensorStepResult {
  buffer: Float32Array | undefined;
  /** The factor that multiplied the learning rate (LARS); 1 for SGD. */
  trustRatio: number;
}

/**
 * torch.optim.SGD on one tensor: d = g + βw; momentum (torch's buffer, dampening,
 * nesterov); w ← w − γ·d.
 */
export function sgdTensorStep(param: Float32Array, grad: Float32Array, buffer: Float32Array | undefined, h: SgdHyper): TensorStepResult {
  const update = Float32Array.from(grad);
  addDecayedWeights(update, param, h.weightDecay);
  const kept = trace(update, buffer, h);
  scaleByLearningRate(update, h.lr);
  applyUpdate(param, update);
  return { buffer: kept, trustRatio: 1 };
}

/**
 * LARS Algorithm 1 on one tensor: d = g + βw; v ← m·v + γλ·d (torch's buffer rules:
 * first v = γλd, dampening, nesterov); w ← w − v. An excluded tensor gets λ = 1 and no
 * weight decay: plain momentum SGD with the lr inside the buffer.
 */
export function larsPaperTensorStep(
  param: Float32Array, grad: Float32Array, buffer: Float32Array | undefined, h: LarsHyper, excluded: boolean,
): TensorStepResult {
  const update = Float32Array.from(grad);
  let ratio = 1;
  if (!excluded) {
    addDecayedWeights(update, param, h.weightDecay);
    ratio = scaleByTrustRatio(update, param, grad, h);
  }
  scaleByLearningRate(update, h.lr);
  const kept = trace(update, buffer, h);
  applyUpdate(param, update);
  return { buffer: kept, trustRatio: ratio };
}

/**
 * The study's "ver2" on one tensor, as its code ran: d = g + βw; b ← d on the first step,
 * else m·b + d; then b is scaled in place by −γ·η·‖w‖/(‖g‖ + β‖w‖), so the buffer keeps
 * the last update (sign and scale included), and w ← w + b. With momentum 0 there is no
 * buffer and w ← w − γηλ·d.
 */
export function larsStudyTensorStep(param: Float32Array, grad: Float32Array, buffer: Float32Array | undefined, h: LarsHyper): TensorStepResult {
  const ratio = trustRatio(l2Norm(param), l2Norm(grad), h);
  const update = Float32Array.from(grad);
  addDecayedWeights(update, param, h.weightDecay);
  const kept = trace(update, buffer, { momentum: h.momentum, dampening: 0, nesterov: false });
  scale(update, h.lr * ratio);
  if (kept !== undefined) {
    // The study multiplied its buffer by −γηλ in place: the buffer now holds −update.
    for (let i = 0; i < kept.length; i++) kept[i] = -update[i]!;
  }
  applyUpdate(param, update);
  return { buffer: kept, trustRatio: ratio };
}
