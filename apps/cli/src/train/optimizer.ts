// The optimizer of a run, from its configuration.
import { LARS, SGD, excludeOneDimensional, type NamedParameter } from '@largebatch/optim';

import type { TrainConfig } from '../config/schema';

type OptimizerConfig = Pick<TrainConfig, 'optimizer' | 'larsVariant' | 'larsExclude1d' | 'lr' | 'momentum' | 'weightDecay' | 'trustCoef' | 'nesterov'>;

/** SGD as torch.optim.SGD, or LARS in the configured form, over the model's named parameters. */
export function buildOptimizer(c: OptimizerConfig, params: NamedParameter[]): SGD | LARS {
  const common = { lr: c.lr, momentum: c.momentum, weightDecay: c.weightDecay ?? 0 };
  if (c.optimizer === 'sgd') return new SGD(params, { ...common, nesterov: c.nesterov });
  return new LARS(params, {
    ...common,
    trustCoefficient: c.trustCoef,
    variant: c.larsVariant,
    // The study's form takes neither option (setting one throws).
    ...(c.larsVariant === 'paper' ? { nesterov: c.nesterov, ...(c.larsExclude1d ? { exclude: excludeOneDimensional } : {}) } : {}),
  });
}
