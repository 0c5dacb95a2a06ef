import { warmupLr } from './formulas';
import { defineSchedule, type Schedule } from './schedule';
import { ScheduleOptionError } from './errors';
import { positiveInteger } from './validate';

/** Options of {@link warmup}. */
export interface WarmupOptions {
  /** The learning rate reached at the end is baseLr·multiplier; >= 1. */
  multiplier: number;
  /** Steps of the warm-up; an integer >= 1. */
  total: number;
}

/**
 * Gradual warm-up (Goyal et al.): baseLr·((multiplier − 1)·t/total + 1) for t <= total,
 * baseLr·multiplier after; the GradualWarmupScheduler the LARS study used.
 *
 * @example
 * ```ts
 * import { warmup } from '@largebatch/schedulers';
 * const lr = warmup({ multiplier: 5, total: 5 });
 * [0, 1, 5, 9].map((t) => lr(t, 0.02)); // [0.02, 0.036, 0.1, 0.1]
 * ```
 */
export function warmup(options: WarmupOptions): Schedule {
  const { multiplier } = options;
  if (typeof multiplier !== 'number' || !Number.isFinite(multiplier) || multiplier < 1) {
    throw new ScheduleOptionError('warmup', 'multiplier', multiplier, 'a finite number >= 1');
  }
  const total = positiveInteger('warmup', 'total', options.total);
  return defineSchedule('warmup', total, (step, baseLr) =>
    step <= total ? warmupLr(baseLr, multiplier, step, total) : baseLr * multiplier,
  );
}
