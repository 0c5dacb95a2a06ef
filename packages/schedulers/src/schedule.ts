import { checkCall } from './validate';

/**
 * A learning-rate schedule: a pure function from a step (an integer >= 0) and the run's
 * initial learning rate to the learning rate used at that step. `steps` is where the
 * schedule settles: from then on it returns its final value (`Infinity` if it never does).
 *
 * @example
 * ```ts
 * import { warmup } from '@largebatch/schedulers';
 * const schedule = warmup({ multiplier: 4, total: 10 });
 * schedule(5, 0.1); // 0.25: halfway from 0.1 to 0.4
 * schedule.steps; // 10
 * ```
 */
export interface Schedule {
  (step: number, baseLr: number): number;
  /** The step from which the schedule holds its final value; `Infinity` if it never does. */
  readonly steps: number;
}

/** Wraps a formula as a Schedule that checks its arguments (named after `name` in errors). */
export function defineSchedule(name: string, steps: number, formula: (step: number, baseLr: number) => number): Schedule {
  const schedule = (step: number, baseLr: number): number => {
    checkCall(name, step, baseLr);
    return formula(step, baseLr);
  };
  return Object.assign(schedule, { steps });
}
