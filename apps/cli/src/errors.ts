/**
 * Errors the CLI reports as one line and a non-zero exit code. Anything else that escapes
 * a command is a bug and is printed with its stack.
 */
export class CliError extends Error {
  constructor(
    message: string,
    /** The process exit code: 2 for a bad command line or config, 1 for a failed run. */
    readonly exitCode = 1,
  ) {
    super(message);
    this.name = new.target.name;
  }
}

/** A flag or config key with a value it cannot take; the message names both and what was expected. */
export class ConfigError extends CliError {
  constructor(
    readonly key: string,
    readonly value: unknown,
    readonly expected: string,
  ) {
    super(`${key} must be ${expected}, got ${describe(value)}`, 2);
  }
}

/** The loss or a gradient went NaN or Inf: the run stops in that step. */
export class DivergenceError extends CliError {
  constructor(
    readonly epoch: number,
    readonly iteration: number,
    detail: string,
  ) {
    super(`training diverged at epoch ${epoch}, iteration ${iteration}: ${detail}`, 3);
  }
}

export function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (Array.isArray(value)) return `[${value.map(describe).join(', ')}]`;
  if (value !== null && typeof value === 'object') return JSON.stringify(value);
  return String(value);
}
