/**
 * A schedule option (or a step) outside its valid range. The message names the schedule,
 * the option, the value received and what was expected.
 *
 * @example
 * ```ts
 * import { polynomialDecay, ScheduleOptionError } from '@largebatch/schedulers';
 * try {
 *   polynomialDecay({ maxSteps: 0, endLr: 0, power: 2 });
 * } catch (e) {
 *   if (e instanceof ScheduleOptionError) console.log(e.option); // 'maxSteps'
 * }
 * ```
 */
export class ScheduleOptionError extends RangeError {
  override readonly name = 'ScheduleOptionError';

  constructor(
    /** The schedule or object that rejected the option, e.g. `polynomialDecay`. */
    readonly schedule: string,
    /** The option's name, e.g. `maxSteps`. */
    readonly option: string,
    /** The value received. */
    readonly value: unknown,
    /** What was expected, e.g. `a positive integer`. */
    readonly expected: string,
  ) {
    super(`${schedule}: option '${option}' must be ${expected}, got ${describe(value)}`);
  }
}

function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'function') return 'a function';
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  return String(value);
}
