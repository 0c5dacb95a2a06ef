// The study's five attempts (DESIGN.md §1): momentum 0.9, 5 warm-up epochs, poly power 2,
// torchvision's resnet50 with its default 1000 outputs, batch 128·k. SGD: weight decay 5e-4;
// LARS: the study's ver2, weight decay 5e-3, trust coefficient 0.1.
import type { TrainConfig } from './schema';

export const PRESETS = ['study-attempt1', 'study-attempt2', 'study-attempt3', 'study-attempt4', 'study-attempt5'] as const;
export type PresetName = (typeof PRESETS)[number];

interface Attempt {
  /** Base lr at batch multiple k. */
  lr: (k: number) => number;
  warmupMultiplier: (k: number) => number;
  endLr: (k: number) => number;
  epochs: number;
  he: boolean;
}

const ATTEMPTS: Record<PresetName, Attempt> = {
  'study-attempt1': { lr: () => 0.15, warmupMultiplier: (k) => k, endLr: (k) => 1.5e-5 * k, epochs: 200, he: false },
  'study-attempt2': { lr: () => 0.05, warmupMultiplier: (k) => 2 * k, endLr: () => 1e-5, epochs: 200, he: false },
  'study-attempt3': { lr: (k) => 0.05 * k, warmupMultiplier: () => 2, endLr: (k) => 1e-5 * k, epochs: 200, he: true },
  'study-attempt4': { lr: (k) => 0.02 * k, warmupMultiplier: () => 5, endLr: (k) => 1e-5 * k, epochs: 200, he: true },
  'study-attempt5': { lr: (k) => 0.05 * k, warmupMultiplier: () => 2, endLr: (k) => 1e-5 * k, epochs: 175, he: true },
};

/**
 * The settings of a study attempt at batch 128·k. The optimizer-dependent weight decay is
 * left to the resolver (null), so that `--optimizer sgd` gets 5e-4 and LARS 5e-3.
 */
export function presetConfig(name: PresetName, k: number): Partial<TrainConfig> {
  const a = ATTEMPTS[name];
  return {
    preset: name,
    dataset: 'cifar10',
    model: 'resnet50',
    numClasses: 1000,
    batchSize: 128 * k,
    lr: a.lr(k),
    momentum: 0.9,
    weightDecay: null,
    trustCoef: 0.1,
    larsVariant: 'study',
    larsExclude1d: false,
    nesterov: false,
    schedule: 'study',
    warmupEpochs: 5,
    warmupMultiplier: a.warmupMultiplier(k),
    endLr: a.endLr(k),
    epochs: a.epochs,
    // The study decays over the run (epochs = decay epochs): a shorter --epochs shortens both.
    decayEpochs: null,
    init: a.he ? 'he' : 'default',
    augment: true,
    testBatchSize: 100,
  };
}
