// End to end on device 'cuda': a model trains a few steps with LARS on 'cuda' and on 'cpu'
// from the same weights and batches, and the losses and the weights agree within float32
// rounding of different summation orders: an MLP, and ResNet-20 (BN, residual joins,
// convolutions, pooling). Runs where CUDA is available: with a GPU, or against the
// emulated addon (`pnpm test:cuda-emulated`, in `pnpm test`), where every kernel of the
// step runs through the CUDA emulation on the CPU.
import { Flatten, Linear, type Module, ReLU, Sequential, crossEntropy, resnet20 } from '@largebatch/nn';
import { LARS } from '@largebatch/optim';
import {
  cuda, keep, manualSeed, memory, randn, tensor, testing, tidy, type Device, type Tensor,
} from '@largebatch/tensor';
import { describe, expect, it } from 'vitest';

const STEPS = 3;
const BATCH = 4;
const SIZE = 16; // 16x16 images: ResNet-20's stages see 16, 8 and 4 pixels (the emulation is slow)

interface Run {
  losses: number[];
  weights: Record<string, Float32Array>;
}

type Batch = { images: Tensor; labels: Tensor };

/** LARS steps of a model from `makeModel` on `device`, from `initial` weights, one per CPU batch. */
function train(device: Device, makeModel: () => Module, initial: Record<string, Tensor>, batches: Batch[]): Run {
  const model = makeModel();
  model.loadStateDict(initial);
  model.to(device).train();
  expect(model.parameters().every((p) => p.device === device)).toBe(true);
  const opt = new LARS(model.namedParameters(), { lr: 0.5, momentum: 0.9, weightDecay: 5e-4, trustCoefficient: 0.001, variant: 'study' });
  const losses: number[] = [];
  for (const { images, labels } of batches) {
    tidy(() => {
      const loss = crossEntropy(model.forward(images.to(device)), labels.to(device));
      loss.backward();
      losses.push(loss.item());
    });
    opt.step();
    opt.zeroGrad();
  }
  const weights = tidy(() =>
    Object.fromEntries(Object.entries(model.stateDict()).map(([k, t]) => [k, t.toDType('float32').to('cpu').data() as Float32Array])),
  );
  opt.dispose();
  model.dispose();
  return { losses, weights };
}

/** Trains `makeModel()` on 'cpu' and on 'cuda' from the same weights and batches and compares. */
function expectSameTraining(makeModel: () => Module): void {
  const before = memory();
  manualSeed(2026);
  const source = makeModel();
  const initial = source.stateDict();
  const batches = Array.from({ length: STEPS }, (_, s) => ({
    images: keep(randn([BATCH, 3, SIZE, SIZE])),
    labels: keep(tensor(Array.from({ length: BATCH }, (_, i) => (3 * i + s) % 10), { dtype: 'int32' })),
  }));
  const onCpu = train('cpu', makeModel, initial, batches);
  const onCuda = train('cuda', makeModel, initial, batches);
  // Measured under the emulation (2026-11-28): losses equal to 1e-7, weights to 4e-7 of each
  // tensor's largest value; the tolerances leave room for a GPU's own summation orders.
  testing.expectClose(onCuda.losses, onCpu.losses, { rtol: 2e-5, atol: 1e-6, what: 'losses' });
  expect(onCpu.losses[STEPS - 1]).not.toBe(onCpu.losses[0]); // the steps changed the weights
  for (const [name, w] of Object.entries(onCpu.weights)) {
    testing.expectClose(onCuda.weights[name]!, w, { rtol: 1e-4, atol: 1e-5, what: name });
  }
  source.dispose();
  for (const b of batches) [b.images, b.labels].forEach((t) => t.dispose());
  expect(memory()).toEqual(before);
}

describe.runIf(cuda.isAvailable())('training with LARS on cuda and on cpu', () => {
  it(`an MLP: ${STEPS} steps from the same weights and batches give the same losses and weights`, () => {
    expectSameTraining(() => new Sequential(new Flatten(), new Linear(3 * SIZE * SIZE, 32), new ReLU(), new Linear(32, 10)));
  });

  it(`ResNet-20: ${STEPS} steps from the same weights and batches give the same losses and weights`, () => {
    expectSameTraining(() => resnet20({ numClasses: 10 }));
  });
});
