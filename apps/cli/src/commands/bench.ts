// `largebatch bench`: training-step throughput of a model on random batches: the whole
// step (forward, backward, optimizer) and the optimizer step alone, after warm-up steps.
import { crossEntropy } from '@largebatch/nn';
import { manualSeed, randn, tensor, tidy } from '@largebatch/tensor';

import { DEFAULTS, type TrainConfig } from '../config/schema';
import { buildModel } from '../train/model';
import { buildOptimizer } from '../train/optimizer';
import { useDevice } from '../train/trainer';

export interface BenchOptions {
  model: TrainConfig['model'];
  batchSize: number;
  optimizer: TrainConfig['optimizer'];
  larsVariant: TrainConfig['larsVariant'];
  steps: number;
  warmupSteps: number;
  threads: number | null;
  device: TrainConfig['device'];
  numClasses: number;
}

export interface BenchResult {
  model: string;
  batchSize: number;
  optimizer: string;
  device: string;
  threads: number;
  imagesPerS: number;
  stepMs: number;
  optimizerStepMs: number;
  peakRssMb: number;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export function benchCommand(o: BenchOptions, threadsInUse: () => number): BenchResult {
  useDevice(o.device, o.threads);
  manualSeed(0);
  const model = buildModel(o.model, o.numClasses, 'he').to(o.device);
  const optimizer = buildOptimizer({ ...DEFAULTS, optimizer: o.optimizer, larsVariant: o.larsVariant, weightDecay: o.optimizer === 'sgd' ? 5e-4 : 5e-3 }, model.namedParameters());
  const images = randn([o.batchSize, 3, 32, 32], { device: o.device });
  const labels = tensor(Int32Array.from({ length: o.batchSize }, (_, i) => (i * 7) % o.numClasses), { shape: [o.batchSize], device: o.device });
  const stepMs: number[] = [];
  const optimizerMs: number[] = [];
  try {
    model.train();
    for (let s = 0; s < o.warmupSteps + o.steps; s++) {
      const t0 = performance.now();
      tidy(() => crossEntropy(model.forward(images), labels).backward());
      const t1 = performance.now();
      optimizer.step();
      const t2 = performance.now();
      optimizer.zeroGrad();
      if (s >= o.warmupSteps) {
        stepMs.push(t2 - t0);
        optimizerMs.push(t2 - t1);
      }
    }
  } finally {
    images.dispose();
    labels.dispose();
    optimizer.dispose();
    model.dispose();
  }
  const step = median(stepMs);
  return {
    model: o.model, batchSize: o.batchSize, optimizer: o.optimizer, device: o.device, threads: threadsInUse(),
    imagesPerS: (1000 * o.batchSize) / step, stepMs: step, optimizerStepMs: median(optimizerMs),
    peakRssMb: process.resourceUsage().maxRSS / 1024,
  };
}
