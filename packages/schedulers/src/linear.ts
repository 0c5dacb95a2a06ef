import { defineSchedule, type Schedule } from './schedule';
import { nonNegative, positiveInteger } from './validate';

/** Options of {@link linear}. */
export interface LinearOptions {
  /** Factor of baseLr at step 0; default 1/3 (as torch's LinearLR). */
  startFactor?: number;
  /** Factor of baseLr at `total` and after; default 1. */
  endFactor?: number;
  /** Steps of the ramp; an integer >= 1. */
  total: number;
}

/**
 * Linear ramp of the factor on baseLr (torch's LinearLR):
 * baseLr·(startFactor + (endFactor − startFactor)·min(t, total)/total). It warms up
 * (startFactor < endFactor) or decays (startFactor > endFactor).
 *
 * @example
 * ```ts
 * import { linear } from '@largebatch/schedulers';
 * const lr = linear({ startFactor: 0.1, endFactor: 1, total: 10 });
 * lr(0, 1); // 0.1
 * lr(10, 1); // 1
 * ```
 */
export function linear(options: LinearOptions): Schedule {
  const startFactor = nonNegative('linear', 'startFactor', options.startFactor ?? 1 / 3);
  const endFactor = nonNegative('linear', 'endFactor', options.endFactor ?? 1);
  const total = positiveInteger('linear', 'total', options.total);
  return defineSchedule(
    'linear',
    total,
    (step, baseLr) => baseLr * (startFactor + ((endFactor - startFactor) * Math.min(step, total)) / total),
  );
}
