// torch.optim.SGD over @largebatch/tensor parameters, stepped by the fused native kernel.
import { sgdHyper, type SgdHyper, type SgdOptions } from './options';
import { Optimizer, type OptimizerRule } from './optimizer';
import type { ParamsOrGroups } from './param-groups';

const sgdRule: OptimizerRule<SgdOptions, SgdHyper, SgdHyper> = {
  name: 'SGD',
  hyper: sgdHyper,
  saved: (h) => ({ ...h }),
  excluded: () => false,
  step: (fused, grads, h) => fused.sgdStep(grads, h),
};

/**
 * Stochastic gradient descent with momentum, step for step torch.optim.SGD: for each
 * parameter with a gradient, d = g + βw; v ← d on its first step, else m·v + (1 − δ)·d;
 * w ← w − γ·(nesterov ? d + m·v : v). Every tensor of a param group is updated by one
 * native call on the CPU thread pool.
 *
 * Options: `lr` γ (required), `momentum` m (0), `dampening` δ (0), `weightDecay` β (0),
 * `nesterov` (false). Bad values throw OptimizerOptionError naming the option.
 *
 * @example
 * ```ts
 * import { tensor } from '@largebatch/tensor';
 * import { SGD } from '@largebatch/optim';
 * const w = tensor([1, 2], { requiresGrad: true });
 * const opt = new SGD([w], { lr: 0.1, momentum: 0.9 });
 * w.mul(w).sum().backward(); // grad = 2w = [2, 4]
 * opt.step(); // w = [0.8, 1.6]
 * opt.zeroGrad();
 * opt.dispose(); // frees the momentum buffers
 * ```
 */
export class SGD extends Optimizer<SgdOptions, SgdHyper, SgdHyper> {
  /** `params`: tensors, [name, tensor] pairs or param groups; `options`: defaults of every group. */
  constructor(params: ParamsOrGroups<SgdOptions>, options: SgdOptions) {
    super(sgdRule, params, options);
  }
}
