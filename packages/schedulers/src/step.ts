import { defineSchedule, type Schedule } from './schedule';
import { nonNegative, positiveInteger } from './validate';

/** Options of {@link step}. */
export interface StepOptions {
  /** Steps between two decays; an integer >= 1. */
  stepSize: number;
  /** Factor applied at each decay; default 0.1. */
  gamma?: number;
}

/**
 * Step decay (torch's StepLR closed form): baseLr·gamma^floor(t/stepSize). It never
 * settles, so `steps` is Infinity and it can only be the last part of a {@link chain}.
 *
 * @example
 * ```ts
 * import { step } from '@largebatch/schedulers';
 * const lr = step({ stepSize: 30, gamma: 0.1 });
 * lr(29, 0.1); // 0.1
 * lr(30, 0.1); // ≈ 0.01
 * ```
 */
export function step(options: StepOptions): Schedule {
  const stepSize = positiveInteger('step', 'stepSize', options.stepSize);
  const gamma = nonNegative('step', 'gamma', options.gamma ?? 0.1);
  return defineSchedule('step', Infinity, (t, baseLr) => baseLr * gamma ** Math.floor(t / stepSize));
}
