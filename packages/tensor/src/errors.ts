/** Typed errors: each message names the argument, the value and what was expected. */

function describe(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(describe).join(', ')}]`;
  if (typeof value === 'string') return `'${value}'`;
  return String(value);
}

/** Base class of every error thrown by @largebatch/tensor. */
export class TensorError extends Error {
  constructor(message: string) {
    super(message);
    this.name = new.target.name;
  }
}

/** A shape does not fit: wrong rank, mismatched sizes, non-broadcastable shapes. */
export class ShapeError extends TensorError {}
/** An unsupported or mismatched dtype. */
export class DTypeError extends TensorError {}
/** Tensors on different devices, or an unknown device. */
export class DeviceError extends TensorError {}
/** Device 'cuda' was asked for but cannot be used; the message carries the reason. */
export class CudaUnavailableError extends DeviceError {}
/** Any other bad argument (a negative size, a dim out of range, ...). */
export class ArgumentError extends TensorError {}
/** A tensor was used after dispose(), or a graph after it was freed. */
export class DisposedError extends TensorError {}
/** Autograd misuse: backward on a non-scalar without a gradient, a freed graph, ... */
export class AutogradError extends TensorError {}

/** "`op`: `arg` must be `expected`, got `value`". */
export function expected(op: string, arg: string, expectedWhat: string, value: unknown): string {
  return `${op}: ${arg} must be ${expectedWhat}, got ${describe(value)}`;
}
