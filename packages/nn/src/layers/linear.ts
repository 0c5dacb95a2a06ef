import { type Tensor, linear, zeros } from '@largebatch/tensor';

import { Module } from '../module';
import { resetWeightAndBias } from './default-init';
import { type FactoryOptions, checkPositiveInt } from './options';

/**
 * y = x weight^T + bias, as torch.nn.Linear: parameters `weight` [out, in] and `bias` [out],
 * initialised as PyTorch does (U(-1/sqrt(in), 1/sqrt(in)) for both).
 *
 * @example
 * ```ts
 * import { Linear } from '@largebatch/nn';
 * import { randn } from '@largebatch/tensor';
 * const fc = new Linear(2048, 10);
 * const logits = fc.forward(randn([8, 2048])); // [8, 10]
 * ```
 */
export class Linear extends Module {
  constructor(
    readonly inFeatures: number,
    readonly outFeatures: number,
    options: FactoryOptions & { bias?: boolean } = {},
  ) {
    super();
    checkPositiveInt('Linear', 'inFeatures', inFeatures);
    checkPositiveInt('Linear', 'outFeatures', outFeatures);
    const weight = this.registerParameter('weight', zeros([outFeatures, inFeatures], options))!;
    const bias = this.registerParameter('bias', options.bias === false ? null : zeros([outFeatures], options));
    resetWeightAndBias(weight, bias);
  }

  get weight(): Tensor {
    return this.parameter('weight')!;
  }

  get bias(): Tensor | null {
    return this.parameter('bias');
  }

  forward(x: Tensor): Tensor {
    return linear(x, this.weight, this.bias);
  }
}
