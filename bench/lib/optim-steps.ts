/**
 * Our optimizer steps over ResNet-50's parameter tensors on one device, with random
 * gradients, for bench/optim.ts (CPU) and bench/gpu ('cuda'): SGD, LARS 'paper' and LARS
 * 'study' with the study's hyperparameters (DESIGN.md §1), LARS with a small lr so that
 * 'study' stays far from its divergent regime over the hundreds of timed steps. Each
 * optimizer gets its own tensors, as in training, where nothing but the optimizer writes
 * the weights between its steps (LARS keeps ‖w‖² from one step to the next meanwhile).
 */
import { LARS, SGD } from '@largebatch/optim';
import { type Device, randn, type Tensor } from '@largebatch/tensor';

/** Our optimizers, named as the peer's cases are ('optim-sgd', 'optim-lars-paper', 'optim-lars-study'). */
export type OptimStep = 'sgd' | 'lars-paper' | 'lars-study';

export class OurOptimSteps {
  private readonly optimizers: Record<OptimStep, SGD | LARS>;
  private readonly params: Tensor[] = [];

  constructor(shapes: readonly (readonly number[])[], private readonly device: Device) {
    const larsOptions = { lr: 0.01, momentum: 0.9, weightDecay: 5e-3, trustCoefficient: 0.1 };
    this.optimizers = {
      sgd: new SGD(this.makeParams(shapes), { lr: 0.1, momentum: 0.9, weightDecay: 5e-4 }),
      'lars-paper': new LARS(this.makeParams(shapes), larsOptions),
      'lars-study': new LARS(this.makeParams(shapes), { ...larsOptions, variant: 'study' }),
    };
  }

  /** One optimizer step (on 'cuda' queued on the device, not waited for). */
  step(optimizer: OptimStep): void {
    this.optimizers[optimizer].step();
  }

  dispose(): void {
    for (const o of Object.values(this.optimizers)) o.dispose();
    for (const p of this.params) p.dispose(); // and its gradient
  }

  private makeParams(shapes: readonly (readonly number[])[]): Tensor[] {
    const params = shapes.map((shape) => randn([...shape], { std: 0.05, requiresGrad: true, device: this.device }));
    for (const p of params) p.grad = randn(p.shape, { std: 0.01, device: this.device });
    this.params.push(...params);
    return params;
  }
}
