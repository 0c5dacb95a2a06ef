// LARS over @largebatch/tensor parameters, stepped by the fused native kernel: 'paper'
// (Algorithm 1 with modern guards) or 'study' (the study's ver2 as it ran).
import type { Tensor } from '@largebatch/tensor';

import { larsExclude, larsHyper, type LarsHyper, type LarsOptions } from './options';
import { Optimizer, type OptimizerRule } from './optimizer';
import type { ParamsOrGroups } from './param-groups';

/** Chooses the tensors taken out of trust-ratio adaptation and weight decay. */
export type ExcludeParam = (name: string, param: Tensor) => boolean;

/** Options of the LARS class: the functional step's, with `exclude` over Tensors. */
export interface LarsClassOptions extends LarsOptions {
  /**
   * Tensors for which this returns true get neither adaptation nor weight decay ('paper'
   * only), e.g. {@link excludeOneDimensional} for biases and batch-norm parameters.
   */
  exclude?: ExcludeParam;
}

/** Every LARS option of a param group, defaults filled in. */
export interface LarsGroupHyper extends LarsHyper {
  exclude: ExcludeParam | undefined;
}

/**
 * Excludes tensors of at most one dimension: biases and batch-norm scales and shifts, as
 * the TF/MLPerf ResNet-50 references and timm do.
 *
 * @example
 * ```ts
 * import { randn } from '@largebatch/tensor';
 * import { LARS, excludeOneDimensional } from '@largebatch/optim';
 * const opt = new LARS([randn([4, 3], { requiresGrad: true })], { lr: 0.1, exclude: excludeOneDimensional });
 * opt.dispose();
 * ```
 */
export const excludeOneDimensional: ExcludeParam = (_name, param) => param.ndim <= 1;

const larsRule: OptimizerRule<LarsClassOptions, LarsGroupHyper, LarsHyper> = {
  name: 'LARS',
  hyper: (where, options) => {
    const h = larsHyper(where, options);
    return { ...h, exclude: larsExclude(where, options.exclude, h.variant, '(name, param)') };
  },
  saved: ({ exclude: _predicate, ...options }) => options,
  excluded: (h, name, param) => h.exclude?.(name, param) === true,
  step: (fused, grads, h) => fused.larsStep(grads, h),
};

/**
 * Layer-wise adaptive rate scaling (You, Gitman & Ginsburg, arXiv 1708.03888). Per tensor,
 * with trust coefficient η:
 * - `variant: 'paper'` (default): λ = η‖w‖/(‖g‖ + β‖w‖ + eps), 1 when either norm is 0;
 *   with `clip`, λ ← min(λ/γ, 1); v ← m·v + γλ(g + βw) (torch's first step, dampening and
 *   nesterov); w ← w − v. `exclude`d tensors: λ = 1 and no weight decay.
 * - `variant: 'study'`: the study's ver2 exactly as its code ran (see the README).
 *
 * Options: `lr` (required), `momentum` (0.9), `weightDecay` (0), `trustCoefficient`
 * (0.001), `eps` (0), `clip` (false), `exclude`, `nesterov` (false), `dampening` (0),
 * `variant` ('paper'). The norms and the update of each tensor run in one cache-resident
 * pass; a group's tensors are spread over the thread pool in one native call.
 *
 * @example
 * ```ts
 * import { randn } from '@largebatch/tensor';
 * import { LARS, excludeOneDimensional } from '@largebatch/optim';
 * const weight = randn([8, 4], { requiresGrad: true });
 * const bias = randn([8], { requiresGrad: true });
 * const opt = new LARS([['fc.weight', weight], ['fc.bias', bias]], {
 *   lr: 0.1, momentum: 0.9, weightDecay: 5e-4, trustCoefficient: 0.001, exclude: excludeOneDimensional,
 * });
 * randn([2, 4]).matmul(weight.transpose(0, 1)).add(bias).pow(2).mean().backward();
 * opt.step();
 * opt.dispose();
 * ```
 */
export class LARS extends Optimizer<LarsClassOptions, LarsGroupHyper, LarsHyper> {
  /** `params`: tensors, [name, tensor] pairs or param groups; `options`: defaults of every group. */
  constructor(params: ParamsOrGroups<LarsClassOptions>, options: LarsClassOptions) {
    super(larsRule, params, options);
  }
}
