// Loads fixtures/optim-parity.json (written by fixtures/optim_parity.py with PyTorch 1.13)
// and maps its cases onto our functional steps.
import { readFileSync } from 'node:fs';

import type { LarsStepOptions } from '../src/functional';
import type { SgdOptions } from '../src/options';

type Tensors = (number[] | null)[];

export interface ParityCase {
  name: string;
  optimizer: 'sgd' | 'paper' | 'study';
  lrs: number[];
  options: {
    momentum?: number; dampening?: number; weight_decay?: number; nesterov?: boolean;
    trust_coefficient?: number; eps?: number; clip?: boolean; exclude?: '1d';
  };
  afterFirstStep: Tensors;
  final: Tensors;
  momentumBuffers: Tensors;
  lastTrustRatios: number[] | null;
}

export interface ParityFixture {
  steps: number;
  names: string[];
  shapes: number[][];
  initial: number[][];
  grads: number[][][];
  cases: ParityCase[];
}

export const parity = JSON.parse(readFileSync(new URL('../fixtures/optim-parity.json', import.meta.url), 'utf8')) as ParityFixture;

/** Fresh float32 copies of the fixture's initial parameters. */
export function initialParams(): Float32Array[] {
  return parity.initial.map((t) => Float32Array.from(t));
}

/** The float32 gradients of step t. */
export function gradsAt(t: number): Float32Array[] {
  return parity.grads[t]!.map((g) => Float32Array.from(g));
}

/** A case's options in our names (lr set per step by the caller). */
export function caseOptions(c: ParityCase): Omit<SgdOptions, 'lr'> & Omit<LarsStepOptions, 'lr'> {
  const o = c.options;
  const oneD = new Set(parity.names.filter((_, i) => parity.shapes[i]!.length === 1));
  return {
    momentum: o.momentum ?? 0,
    dampening: o.dampening ?? 0,
    weightDecay: o.weight_decay ?? 0,
    nesterov: o.nesterov ?? false,
    ...(c.optimizer === 'sgd'
      ? {}
      : {
          variant: c.optimizer,
          trustCoefficient: o.trust_coefficient,
          ...(c.optimizer === 'paper' ? { eps: o.eps ?? 0, clip: o.clip ?? false } : {}),
          ...(o.exclude === '1d' ? { exclude: (name: string) => oneD.has(name) } : {}),
        }),
    names: parity.names,
  };
}

/**
 * max|a − b| / max|b| over one tensor (exact equality required when b is all zeros), the
 * worst index included for the failure message.
 */
export function relativeError(actual: ArrayLike<number>, expected: ArrayLike<number>): { error: number; worst: number } {
  let maxDiff = 0;
  let maxRef = 0;
  let worst = -1;
  for (let i = 0; i < expected.length; i++) {
    const d = Math.abs(actual[i]! - Math.fround(expected[i]!));
    if (d > maxDiff || Number.isNaN(d)) {
      maxDiff = Number.isNaN(d) ? Infinity : d;
      worst = i;
    }
    maxRef = Math.max(maxRef, Math.abs(expected[i]!));
  }
  if (actual.length !== expected.length) return { error: Infinity, worst: -1 };
  return { error: maxRef === 0 ? (maxDiff === 0 ? 0 : Infinity) : maxDiff / maxRef, worst };
}
