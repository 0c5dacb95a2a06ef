// Option checks shared by the schedules; each throws ScheduleOptionError naming the option.
import { ScheduleOptionError } from './errors';

/** A finite number >= 0. */
export function nonNegative(schedule: string, option: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
    throw new ScheduleOptionError(schedule, option, value, 'a finite number >= 0');
  }
  return value;
}

/** A finite number > 0. */
export function positive(schedule: string, option: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value <= 0) {
    throw new ScheduleOptionError(schedule, option, value, 'a finite number > 0');
  }
  return value;
}

/** An integer >= 1. */
export function positiveInteger(schedule: string, option: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 1) {
    throw new ScheduleOptionError(schedule, option, value, 'an integer >= 1');
  }
  return value;
}

/** An integer >= 0. */
export function nonNegativeInteger(schedule: string, option: string, value: unknown): number {
  if (typeof value !== 'number' || !Number.isSafeInteger(value) || value < 0) {
    throw new ScheduleOptionError(schedule, option, value, 'an integer >= 0');
  }
  return value;
}

/** The arguments every schedule is called with: a step (integer >= 0) and a base lr (finite >= 0). */
export function checkCall(schedule: string, step: number, baseLr: number): void {
  nonNegativeInteger(schedule, 'step', step);
  nonNegative(schedule, 'baseLr', baseLr);
}
