import { ArgumentError, type Tensor, tidy } from '@largebatch/tensor';

import { Module } from '../module';

/**
 * Runs its modules in order, as torch.nn.Sequential; they are registered as '0', '1', ...
 * so parameter names match PyTorch's ('0.weight', '1.bias', ...). Intermediate outputs are
 * freed as it goes (autograd keeps what backward needs).
 *
 * @example
 * ```ts
 * import { Linear, ReLU, Sequential } from '@largebatch/nn';
 * import { randn } from '@largebatch/tensor';
 * const mlp = new Sequential(new Linear(4, 8), new ReLU(), new Linear(8, 2));
 * const y = mlp.forward(randn([3, 4])); // [3, 2]
 * ```
 */
export class Sequential extends Module {
  constructor(...modules: Module[]) {
    super();
    modules.forEach((m, i) => this.registerModule(String(i), m));
  }

  /** The i-th module. */
  at(i: number): Module {
    const m = this.children()[i];
    if (!m) throw new ArgumentError(`Sequential.at: index must be in [0, ${this.children().length - 1}], got ${i}`);
    return m;
  }

  get length(): number {
    return this.children().length;
  }

  forward(x: Tensor): Tensor {
    return tidy(() => this.children().reduce((h, m) => m.forward(h), x));
  }
}
