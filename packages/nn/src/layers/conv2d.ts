import { ArgumentError, type Pair, type Tensor, conv2d, zeros } from '@largebatch/tensor';

import { Module } from '../module';
import { resetWeightAndBias } from './default-init';
import { type FactoryOptions, checkPositiveInt } from './options';

/** Options of Conv2d, as torch.nn.Conv2d's keyword arguments. */
export interface Conv2dLayerOptions extends FactoryOptions {
  stride?: Pair;
  padding?: Pair;
  dilation?: Pair;
  groups?: number;
  /** Default true. */
  bias?: boolean;
}

function pair(p: Pair): [number, number] {
  return typeof p === 'number' ? [p, p] : [p[0], p[1]];
}

/**
 * 2-d convolution, as torch.nn.Conv2d: parameters `weight` [out, in / groups, kh, kw] and
 * `bias` [out] (unless bias: false), initialised as PyTorch does.
 *
 * @example
 * ```ts
 * import { Conv2d } from '@largebatch/nn';
 * import { randn } from '@largebatch/tensor';
 * const conv = new Conv2d(3, 64, 7, { stride: 2, padding: 3, bias: false });
 * const y = conv.forward(randn([2, 3, 32, 32])); // [2, 64, 16, 16]
 * ```
 */
export class Conv2d extends Module {
  readonly kernelSize: [number, number];
  readonly stride: Pair;
  readonly padding: Pair;
  readonly dilation: Pair;
  readonly groups: number;

  constructor(
    readonly inChannels: number,
    readonly outChannels: number,
    kernelSize: Pair,
    options: Conv2dLayerOptions = {},
  ) {
    super();
    checkPositiveInt('Conv2d', 'inChannels', inChannels);
    checkPositiveInt('Conv2d', 'outChannels', outChannels);
    this.kernelSize = pair(kernelSize);
    this.kernelSize.forEach((k) => checkPositiveInt('Conv2d', 'kernelSize', k));
    this.stride = options.stride ?? 1;
    this.padding = options.padding ?? 0;
    this.dilation = options.dilation ?? 1;
    this.groups = options.groups ?? 1;
    checkPositiveInt('Conv2d', 'groups', this.groups);
    if (inChannels % this.groups !== 0 || outChannels % this.groups !== 0) {
      throw new ArgumentError(`Conv2d: inChannels ${inChannels} and outChannels ${outChannels} must be divisible by groups ${this.groups}`);
    }
    const factory = { dtype: options.dtype, device: options.device };
    const weight = this.registerParameter('weight', zeros([outChannels, inChannels / this.groups, ...this.kernelSize], factory))!;
    const bias = this.registerParameter('bias', options.bias === false ? null : zeros([outChannels], factory));
    resetWeightAndBias(weight, bias);
  }

  get weight(): Tensor {
    return this.parameter('weight')!;
  }

  get bias(): Tensor | null {
    return this.parameter('bias');
  }

  forward(x: Tensor): Tensor {
    return conv2d(x, this.weight, { bias: this.bias, stride: this.stride, padding: this.padding, dilation: this.dilation, groups: this.groups });
  }
}
