// The networks a run can train, by their CLI names.
import { type Module, cifarResNet18, resnet18, resnet20, resnet34, resnet50, resnet56 } from '@largebatch/nn';

import type { TrainConfig } from '../config/schema';

type Factory = (options: { numClasses: number; init: 'torchvision' | 'he' }) => Module;

const FACTORIES: Record<TrainConfig['model'], Factory> = {
  resnet20,
  resnet56,
  'cifar-resnet18': cifarResNet18,
  resnet18,
  resnet34,
  resnet50,
};

/** A fresh model on the CPU; `init: 'he'` re-draws every conv and linear weight kaiming-uniform. */
export function buildModel(name: TrainConfig['model'], numClasses: number, init: TrainConfig['init']): Module {
  return FACTORIES[name]({ numClasses, init: init === 'he' ? 'he' : 'torchvision' });
}
