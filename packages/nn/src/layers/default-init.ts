import type { Tensor } from '@largebatch/tensor';

import { fanInAndFanOut, kaimingUniform_, uniform_ } from '../init';

/**
 * PyTorch's reset_parameters() of Linear and ConvNd: weight ~ kaiming_uniform_(a = sqrt(5)),
 * i.e. U(-1/sqrt(fan_in), 1/sqrt(fan_in)), and bias ~ U(-1/sqrt(fan_in), 1/sqrt(fan_in)).
 * Drawn weight first, then bias, as PyTorch does.
 */
export function resetWeightAndBias(weight: Tensor, bias: Tensor | null): void {
  kaimingUniform_(weight, { a: Math.sqrt(5) });
  if (bias) {
    const { fanIn } = fanInAndFanOut(weight);
    const bound = fanIn > 0 ? 1 / Math.sqrt(fanIn) : 0;
    uniform_(bias, { low: -bound, high: bound });
  }
}
