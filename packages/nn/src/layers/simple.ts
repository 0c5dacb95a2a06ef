/** The layers without parameters: activations, reshapes, pooling and dropout. */
import {
  ArgumentError, type Pair, type Pool2dOptions, type Tensor, adaptiveAvgPool2d, dropout, maxPool2d, relu,
} from '@largebatch/tensor';

import { Module } from '../module';

/**
 * max(x, 0), as torch.nn.ReLU.
 *
 * @example
 * ```ts
 * import { ReLU } from '@largebatch/nn';
 * import { tensor } from '@largebatch/tensor';
 * new ReLU().forward(tensor([-1, 2])).toArray(); // [0, 2]
 * ```
 */
export class ReLU extends Module {
  forward(x: Tensor): Tensor {
    return relu(x);
  }
}

/**
 * Flattens dims startDim..endDim into one, as torch.nn.Flatten (default 1..-1: [N, ...] → [N, rest]).
 *
 * @example
 * ```ts
 * import { Flatten } from '@largebatch/nn';
 * import { zeros } from '@largebatch/tensor';
 * new Flatten().forward(zeros([2, 512, 1, 1])).shape; // [2, 512]
 * ```
 */
export class Flatten extends Module {
  constructor(
    readonly startDim = 1,
    readonly endDim = -1,
  ) {
    super();
  }

  forward(x: Tensor): Tensor {
    return x.flatten(this.startDim, this.endDim);
  }
}

/**
 * Seeded dropout with probability `p`, active only in training mode, as torch.nn.Dropout.
 *
 * @example
 * ```ts
 * import { Dropout } from '@largebatch/nn';
 * import { ones } from '@largebatch/tensor';
 * const drop = new Dropout(0.5);
 * drop.forward(ones([4])); // each value 0 or 2
 * drop.eval().forward(ones([4])); // unchanged
 * ```
 */
export class Dropout extends Module {
  constructor(readonly p = 0.5) {
    super();
    if (typeof p !== 'number' || !(p >= 0 && p <= 1)) throw new ArgumentError(`Dropout: p must be a probability in [0, 1], got ${String(p)}`);
  }

  forward(x: Tensor): Tensor {
    return dropout(x, this.p, this.training);
  }
}

/**
 * Max over kernelSize windows, as torch.nn.MaxPool2d (stride defaults to kernelSize).
 *
 * @example
 * ```ts
 * import { MaxPool2d } from '@largebatch/nn';
 * import { randn } from '@largebatch/tensor';
 * new MaxPool2d(3, { stride: 2, padding: 1 }).forward(randn([1, 64, 16, 16])).shape; // [1, 64, 8, 8]
 * ```
 */
export class MaxPool2d extends Module {
  readonly options: Pool2dOptions;

  constructor(kernelSize: Pair, options: Omit<Pool2dOptions, 'kernelSize'> = {}) {
    super();
    this.options = { kernelSize, ...options };
  }

  forward(x: Tensor): Tensor {
    return maxPool2d(x, this.options);
  }
}

/**
 * Mean over an outputSize grid of windows, as torch.nn.AdaptiveAvgPool2d.
 *
 * @example
 * ```ts
 * import { AdaptiveAvgPool2d } from '@largebatch/nn';
 * import { randn } from '@largebatch/tensor';
 * new AdaptiveAvgPool2d(1).forward(randn([2, 512, 4, 4])).shape; // [2, 512, 1, 1]
 * ```
 */
export class AdaptiveAvgPool2d extends Module {
  constructor(readonly outputSize: Pair) {
    super();
  }

  forward(x: Tensor): Tensor {
    return adaptiveAvgPool2d(x, this.outputSize);
  }
}
