import { CifarArgumentError } from './errors';

/** Throws unless `value` is an integer in [min, max]. */
export function checkInteger(fn: string, argument: string, value: unknown, min: number, max = Number.MAX_SAFE_INTEGER): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    const range = max === Number.MAX_SAFE_INTEGER ? `an integer >= ${min}` : `an integer in [${min}, ${max}]`;
    throw new CifarArgumentError(fn, argument, range, value);
  }
  return value;
}

/** Throws unless `value` is a boolean. */
export function checkBoolean(fn: string, argument: string, value: unknown): boolean {
  if (typeof value !== 'boolean') throw new CifarArgumentError(fn, argument, 'true or false', value);
  return value;
}

/** Throws unless `value` is a non-empty string. */
export function checkString(fn: string, argument: string, value: unknown): string {
  if (typeof value !== 'string' || value.length === 0) throw new CifarArgumentError(fn, argument, 'a non-empty string', value);
  return value;
}
