// Optimizer configurations that the fused step and the classes are held to, against the
// for-loop reference (sgdStep / larsStep): every variant and option. `excluded` picks
// tensors by index.
import type { LarsOptions, SgdOptions } from '../src/index';

export type Case =
  | { name: string; optimizer: 'sgd'; options: Omit<SgdOptions, 'lr'> }
  | { name: string; optimizer: 'lars'; options: Omit<LarsOptions, 'lr'>; excluded?: (i: number) => boolean };

export const CASES: Case[] = [
  { name: 'sgd plain', optimizer: 'sgd', options: {} },
  { name: 'sgd momentum + weight decay', optimizer: 'sgd', options: { momentum: 0.9, weightDecay: 5e-4 } },
  { name: 'sgd dampening', optimizer: 'sgd', options: { momentum: 0.8, dampening: 0.25, weightDecay: 1e-3 } },
  { name: 'sgd nesterov', optimizer: 'sgd', options: { momentum: 0.9, weightDecay: 5e-4, nesterov: true } },
  { name: 'lars paper', optimizer: 'lars', options: { momentum: 0.9, weightDecay: 5e-4, trustCoefficient: 0.02 } },
  { name: 'lars paper eps', optimizer: 'lars', options: { momentum: 0.9, weightDecay: 5e-4, trustCoefficient: 0.02, eps: 1e-3 } },
  { name: 'lars paper clip', optimizer: 'lars', options: { momentum: 0.9, weightDecay: 5e-4, trustCoefficient: 0.05, clip: true } },
  { name: 'lars paper excluded', optimizer: 'lars', options: { momentum: 0.9, weightDecay: 5e-3, trustCoefficient: 0.02 }, excluded: (i) => i < 3 },
  { name: 'lars paper nesterov', optimizer: 'lars', options: { momentum: 0.9, weightDecay: 5e-4, trustCoefficient: 0.02, nesterov: true } },
  { name: 'lars paper dampening', optimizer: 'lars', options: { momentum: 0.9, dampening: 0.5, trustCoefficient: 0.02 } },
  { name: 'lars paper no momentum', optimizer: 'lars', options: { momentum: 0, weightDecay: 5e-4, trustCoefficient: 0.02 } },
  { name: 'lars study', optimizer: 'lars', options: { variant: 'study', momentum: 0.9, weightDecay: 5e-3, trustCoefficient: 0.1 } },
  { name: 'lars study no momentum', optimizer: 'lars', options: { variant: 'study', momentum: 0, weightDecay: 5e-3, trustCoefficient: 0.1 } },
];
