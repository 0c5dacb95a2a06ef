/** Typed errors of @largebatch/data-cifar: each message names the argument or file, the value and what was expected. */

/** `value` as it reads in a message: strings quoted, arrays bracketed. */
export function describeValue(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(describeValue).join(', ')}]`;
  if (typeof value === 'string') return `'${value}'`;
  return String(value);
}

/** Base class of every error thrown by @largebatch/data-cifar. */
export class CifarError extends Error {
  constructor(message: string, options?: { cause?: unknown }) {
    super(message, options);
    this.name = new.target.name;
  }
}

/** A bad argument: wrong type, out of range, a dataset whose parts disagree. */
export class CifarArgumentError extends CifarError {
  constructor(
    /** The function or class that rejected it, e.g. `'DataLoader'`. */
    readonly fn: string,
    /** The argument, e.g. `'options.batchSize'`. */
    readonly argument: string,
    expectedWhat: string,
    value: unknown,
  ) {
    super(`${fn}: ${argument} must be ${expectedWhat}, got ${describeValue(value)}`);
  }
}

/** A dataset file or folder that is missing, truncated or holds values out of range. */
export class CifarFormatError extends CifarError {
  constructor(
    message: string,
    /** The file (or folder) at fault. */
    readonly file: string,
    /** The 0-based record within `file`, when one record is at fault. */
    readonly record?: number,
  ) {
    super(message);
  }
}

/** A download that failed: HTTP status, network error, stall, checksum mismatch, bad archive. */
export class DownloadError extends CifarError {
  /** Whether trying again may help (a dropped connection or a stall), as opposed to a 404 or a wrong checksum. */
  readonly retryable: boolean;

  constructor(
    message: string,
    /** The URL being downloaded. */
    readonly url: string,
    options: { cause?: unknown; retryable?: boolean } = {},
  ) {
    super(message, { cause: options.cause });
    this.retryable = options.retryable ?? false;
  }
}
