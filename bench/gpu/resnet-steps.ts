/**
 * Our ResNet-50 (@largebatch/nn's, 10 classes) on 'cuda' with SGD and LARS 'study' and the
 * hyperparameters of bench/resnet.ts, and the whole training step it times: forward,
 * cross-entropy, backward, optimizer step, gradients dropped.
 */
import { crossEntropy, resnet50, type ResNet } from '@largebatch/nn';
import { LARS, SGD } from '@largebatch/optim';
import { rand, randn, tidy, type Tensor } from '@largebatch/tensor';

import { type Fit, firstLine, isOutOfMemory } from './device';

/** The optimizers of a training step, named as the peer's cases are ('train-sgd', 'train-lars-study'). */
export const TRAIN_STEPS = { sgd: 'SGD', 'lars-study': "LARS 'study'" } as const;
export type TrainStep = keyof typeof TRAIN_STEPS;

export class OurResNetSteps {
  private readonly net: ResNet = resnet50({ numClasses: 10 }).to('cuda');
  // Small rates, so that hundreds of steps on one batch stay finite (as the peer's).
  private readonly optimizers: Record<TrainStep, SGD | LARS> = {
    sgd: new SGD(this.net.namedParameters(), { lr: 0.01, momentum: 0.9, weightDecay: 5e-4 }),
    'lars-study': new LARS(this.net.namedParameters(), { lr: 0.01, momentum: 0.9, weightDecay: 5e-3, trustCoefficient: 0.1, variant: 'study' }),
  };
  private inputs: { x: Tensor; labels: Tensor } | null = null;

  /** Replaces the batch with `batch` random images of `size`x`size` on the device, or says why it does not fit. */
  setInputs(batch: number, size: number): Fit {
    this.releaseInputs();
    try {
      const x = randn([batch, 3, size, size], { device: 'cuda' });
      try {
        this.inputs = { x, labels: tidy(() => rand([batch], { high: 10, device: 'cuda' }).toDType('int32')) };
      } catch (err) {
        x.dispose();
        throw err;
      }
      return { peakBytes: null };
    } catch (err) {
      if (isOutOfMemory(err)) return { outOfMemory: firstLine(err) };
      throw err;
    }
  }

  /** One whole training step on the current batch (queued on the device, not waited for). */
  step(optimizer: TrainStep): void {
    if (!this.inputs) throw new Error('OurResNetSteps.step: no inputs; call setInputs first');
    const { x, labels } = this.inputs;
    this.net.train();
    try {
      tidy(() => crossEntropy(this.net.forward(x), labels).backward());
      this.optimizers[optimizer].step();
    } finally {
      // As zero_grad(set_to_none=True); also after a failed step, so its gradients go too.
      for (const p of this.net.parameters()) p.grad = null;
    }
  }

  releaseInputs(): void {
    this.inputs?.x.dispose();
    this.inputs?.labels.dispose();
    this.inputs = null;
  }

  dispose(): void {
    this.releaseInputs();
    for (const o of Object.values(this.optimizers)) o.dispose();
    this.net.dispose();
  }
}
