import { ScheduleOptionError } from './errors';
import { defineSchedule, type Schedule } from './schedule';

/**
 * Runs schedules one after the other. Each runs for its own `steps`, counted from 0 when
 * it starts, and takes as its base the learning rate the previous one ended at, as the
 * study's GradualWarmupScheduler handed base·multiplier to the decay after it. Only the
 * last schedule may be one that never settles (`steps` Infinity).
 *
 * @example
 * ```ts
 * import { chain, polynomialDecay, warmup } from '@largebatch/schedulers';
 * const lr = chain(warmup({ multiplier: 2, total: 5 }), polynomialDecay({ maxSteps: 100, endLr: 0, power: 2 }));
 * lr(5, 0.05); // 0.1: the end of the warm-up is the start of the decay
 * lr(105, 0.05); // 0
 * ```
 */
export function chain(...schedules: Schedule[]): Schedule {
  if (schedules.length === 0) throw new ScheduleOptionError('chain', 'schedules', schedules, 'at least one schedule');
  schedules.forEach((s, k) => {
    if (typeof s !== 'function') throw new ScheduleOptionError('chain', `schedules[${k}]`, s, 'a Schedule');
    if (k < schedules.length - 1 && !Number.isFinite(s.steps)) {
      throw new ScheduleOptionError('chain', `schedules[${k}].steps`, s.steps, 'finite (only the last schedule may never settle)');
    }
  });
  const total = schedules.reduce((sum, s) => sum + s.steps, 0);
  return defineSchedule('chain', total, (t, baseLr) => {
    let start = 0;
    let base = baseLr;
    for (let k = 0; k < schedules.length - 1; k++) {
      const s = schedules[k]!;
      if (t < start + s.steps) return s(t - start, base);
      base = s(s.steps, base);
      start += s.steps;
    }
    return schedules[schedules.length - 1]!(t - start, base);
  });
}
