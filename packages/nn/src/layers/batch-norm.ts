import { ArgumentError, type Tensor, batchNorm2d, noGrad, ones, zeros } from '@largebatch/tensor';

import { Module } from '../module';
import { type FactoryOptions, checkPositiveInt } from './options';

/** Options of BatchNorm2d, as torch.nn.BatchNorm2d's keyword arguments. */
export interface BatchNorm2dOptions extends FactoryOptions {
  /** Default 1e-5. */
  eps?: number;
  /** Weight of the batch statistic in the running average; default 0.1. */
  momentum?: number;
  /** Learnable `weight` (gamma, init 1) and `bias` (beta, init 0); default true. */
  affine?: boolean;
  /** Keep running statistics (used in eval); default true. Without them eval uses batch statistics. */
  trackRunningStats?: boolean;
}

/**
 * Batch normalisation over the channels of [N, C, H, W], as torch.nn.BatchNorm2d, with
 * PyTorch's names: parameters `weight`, `bias`; buffers `running_mean` (0), `running_var` (1)
 * and `num_batches_tracked` (int32 here, int64 in PyTorch; loadStateDict casts).
 *
 * @example
 * ```ts
 * import { BatchNorm2d } from '@largebatch/nn';
 * import { randn } from '@largebatch/tensor';
 * const bn = new BatchNorm2d(16);
 * const y = bn.forward(randn([4, 16, 8, 8])); // training: batch statistics, running ones updated
 * ```
 */
export class BatchNorm2d extends Module {
  readonly eps: number;
  readonly momentum: number;
  readonly trackRunningStats: boolean;

  constructor(
    readonly numFeatures: number,
    options: BatchNorm2dOptions = {},
  ) {
    super();
    checkPositiveInt('BatchNorm2d', 'numFeatures', numFeatures);
    this.eps = options.eps ?? 1e-5;
    this.momentum = options.momentum ?? 0.1;
    for (const [arg, v] of [['eps', this.eps], ['momentum', this.momentum]] as const) {
      if (typeof v !== 'number' || !(v >= 0) || !Number.isFinite(v)) throw new ArgumentError(`BatchNorm2d: ${arg} must be a finite number >= 0, got ${String(v)}`);
    }
    this.trackRunningStats = options.trackRunningStats ?? true;
    const factory = { dtype: options.dtype, device: options.device };
    const affine = options.affine ?? true;
    this.registerParameter('weight', affine ? ones([numFeatures], factory) : null);
    this.registerParameter('bias', affine ? zeros([numFeatures], factory) : null);
    if (this.trackRunningStats) {
      this.registerBuffer('running_mean', zeros([numFeatures], factory));
      this.registerBuffer('running_var', ones([numFeatures], factory));
      this.registerBuffer('num_batches_tracked', zeros([], { dtype: 'int32', device: options.device }));
    }
  }

  get weight(): Tensor | null {
    return this.parameter('weight');
  }

  get bias(): Tensor | null {
    return this.parameter('bias');
  }

  get runningMean(): Tensor | null {
    return this.trackRunningStats ? this.buffer('running_mean') : null;
  }

  get runningVar(): Tensor | null {
    return this.trackRunningStats ? this.buffer('running_var') : null;
  }

  forward(x: Tensor): Tensor {
    // As PyTorch: batch statistics in training (updating the running ones) or when none are kept.
    const useBatchStats = this.training || !this.trackRunningStats;
    if (this.training && this.trackRunningStats) noGrad(() => this.buffer('num_batches_tracked').add_(1));
    return batchNorm2d(x, {
      weight: this.weight,
      bias: this.bias,
      runningMean: this.runningMean,
      runningVar: this.runningVar,
      training: useBatchStats,
      momentum: this.momentum,
      eps: this.eps,
    });
  }
}
