// The functional API: one optimizer step over a list of flat float32 tensors, updated in
// place, with the momentum buffers in a plain state object. Validates its arguments, runs
// the per-tensor rules (rules/tensor-steps.ts) and reports non-finite gradients.
import { NonFiniteGradientError, OptimizerArgumentError, OptimizerOptionError } from './errors';
import { larsExclude, larsHyper, sgdHyper, type LarsOptions, type SgdOptions } from './options';
import { allFinite } from './rules/norm';
import { larsPaperTensorStep, larsStudyTensorStep, sgdTensorStep, type TensorStepResult } from './rules/tensor-steps';

/** Momentum buffers, one per tensor, created on a tensor's first step (as torch does). */
export interface OptimizerState {
  momentumBuffers: (Float32Array | undefined)[];
}

/** Options every functional step takes besides the optimizer's own. */
export interface StepNames {
  /** A name per tensor, for error messages and `exclude`; default the index as a string. */
  names?: readonly string[];
}

/** LARS options of the functional step: a predicate chooses the excluded tensors. */
export interface LarsStepOptions extends LarsOptions, StepNames {
  /**
   * Tensors for which this returns true get neither trust-ratio adaptation nor weight
   * decay ('paper' only), e.g. `(name) => name.endsWith('.bias')`.
   */
  exclude?: (name: string, param: Float32Array, index: number) => boolean;
}

/**
 * A fresh optimizer state: no momentum buffers yet.
 *
 * @example
 * ```ts
 * import { createOptimizerState } from '@largebatch/optim';
 * const state = createOptimizerState(); // { momentumBuffers: [] }
 * ```
 */
export function createOptimizerState(): OptimizerState {
  return { momentumBuffers: [] };
}

type Grad = Float32Array | null | undefined;

/** Checks that params, grads, state and names fit together; returns the names. */
function checkArguments(where: string, params: readonly Float32Array[], grads: readonly Grad[], state: OptimizerState, names?: readonly string[]): string[] {
  if (!Array.isArray(params)) throw new OptimizerArgumentError(where, 'params', params, 'an array of Float32Array');
  if (!Array.isArray(grads) || grads.length !== params.length) {
    throw new OptimizerArgumentError(where, 'grads', grads, `an array of ${params.length} gradients (one per param; null for none)`);
  }
  if (typeof state !== 'object' || state === null || !Array.isArray(state.momentumBuffers)) {
    throw new OptimizerArgumentError(where, 'state', state, 'an object { momentumBuffers: [] }');
  }
  if (state.momentumBuffers.length > params.length) {
    throw new OptimizerArgumentError(where, 'state.momentumBuffers', state.momentumBuffers, `at most ${params.length} buffers`);
  }
  if (names !== undefined && (!Array.isArray(names) || names.length !== params.length)) {
    throw new OptimizerOptionError(where, 'names', names, `an array of ${params.length} names`);
  }
  params.forEach((p, i) => {
    if (!(p instanceof Float32Array)) throw new OptimizerArgumentError(where, `params[${i}]`, p, 'a Float32Array');
    const g = grads[i];
    if (g != null && (!(g instanceof Float32Array) || g.length !== p.length)) {
      throw new OptimizerArgumentError(where, `grads[${i}]`, g, `a Float32Array of length ${p.length}, or null`);
    }
    const b = state.momentumBuffers[i];
    if (b !== undefined && (!(b instanceof Float32Array) || b.length !== p.length)) {
      throw new OptimizerArgumentError(where, `state.momentumBuffers[${i}]`, b, `a Float32Array of length ${p.length}, or undefined`);
    }
  });
  return names ? [...names] : params.map((_, i) => String(i));
}

/**
 * Runs `tensorStep` on each tensor that has a gradient; tensors with NaN/Inf gradients are
 * left alone and reported together at the end. Returns each tensor's trust ratio
 * (undefined where skipped).
 */
function runSteps(
  where: string, params: readonly Float32Array[], grads: readonly Grad[], state: OptimizerState, names: string[],
  tensorStep: (param: Float32Array, grad: Float32Array, buffer: Float32Array | undefined, index: number) => TensorStepResult,
): (number | undefined)[] {
  const ratios: (number | undefined)[] = new Array<number | undefined>(params.length).fill(undefined);
  const nonFinite: number[] = [];
  params.forEach((param, i) => {
    const grad = grads[i];
    if (grad == null) return; // no gradient: skipped, as in PyTorch
    if (!allFinite(grad)) {
      nonFinite.push(i);
      return;
    }
    const { buffer, trustRatio } = tensorStep(param, grad, state.momentumBuffers[i], i);
    state.momentumBuffers[i] = buffer;
    ratios[i] = trustRatio;
  });
  if (nonFinite.length > 0) throw new NonFiniteGradientError(where, nonFinite, names[nonFinite[0]!]!);
  return ratios;
}

/**
 * One torch.optim.SGD step over flat tensors, in place: for each tensor with a gradient,
 * d = g + βw, momentum as torch (first buffer = d, dampening, nesterov), w ← w − γ·d.
 * A null gradient skips its tensor; NaN/Inf gradients throw NonFiniteGradientError after
 * the other tensors are updated.
 *
 * @example
 * ```ts
 * import { createOptimizerState, sgdStep } from '@largebatch/optim';
 * const params = [new Float32Array([1, 2])];
 * const state = createOptimizerState();
 * sgdStep(params, [new Float32Array([0.5, -0.5])], state, { lr: 0.1, momentum: 0.9 });
 * // params[0] ≈ [0.95, 2.05]; state.momentumBuffers[0] = [0.5, -0.5]
 * ```
 */
export function sgdStep(params: readonly Float32Array[], grads: readonly Grad[], state: OptimizerState, options: SgdOptions & StepNames): void {
  const where = 'sgdStep';
  const h = sgdHyper(where, options);
  const names = checkArguments(where, params, grads, state, options.names);
  runSteps(where, params, grads, state, names, (p, g, b) => sgdTensorStep(p, g, b, h));
}

/**
 * One LARS step over flat tensors, in place; returns each tensor's trust ratio (the factor
 * on the learning rate; undefined for tensors without a gradient).
 * - `variant: 'paper'` (default): λ = η‖w‖/(‖g‖ + β‖w‖ + eps), 1 when either norm is 0,
 *   optionally clipped to min(λ/γ, 1); v ← m·v + γλ(g + βw); w ← w − v. Excluded tensors
 *   get λ = 1 and no weight decay.
 * - `variant: 'study'`: the study's ver2 exactly as it ran (see the README).
 *
 * @example
 * ```ts
 * import { createOptimizerState, larsStep } from '@largebatch/optim';
 * const params = [new Float32Array([3, 4]), new Float32Array([0, 0])];
 * const grads = [new Float32Array([0.6, 0.8]), new Float32Array([1, -1])];
 * const state = createOptimizerState();
 * const ratios = larsStep(params, grads, state, { lr: 1, momentum: 0.9, trustCoefficient: 0.01 });
 * // ratios = [0.05, 1]: η·5/1, and 1 for the all-zero tensor
 * ```
 */
export function larsStep(params: readonly Float32Array[], grads: readonly Grad[], state: OptimizerState, options: LarsStepOptions): (number | undefined)[] {
  const where = 'larsStep';
  const h = larsHyper(where, options);
  const names = checkArguments(where, params, grads, state, options.names);
  const exclude = larsExclude(where, options.exclude, h.variant, '(name, param, index)');
  return runSteps(where, params, grads, state, names, (p, g, b, i) =>
    h.variant === 'study' ? larsStudyTensorStep(p, g, b, h) : larsPaperTensorStep(p, g, b, h, exclude?.(names[i]!, p, i) === true),
  );
}
