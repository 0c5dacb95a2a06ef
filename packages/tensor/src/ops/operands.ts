/** Validation and preparation shared by ops: devices, dtypes, scalar operands. */
import { scalarTensor } from '../creation';
import { type DType, promote, promoteWithScalar } from '../dtype';
import { ArgumentError, DeviceError, DTypeError, expected } from '../errors';
import { Tensor } from '../tensor';
import { castTo } from './cast';

/** A tensor or a JS number standing for a 0-d tensor. */
export type TensorLike = Tensor | number;

export function checkTensor(op: string, arg: string, t: unknown): Tensor {
  if (!(t instanceof Tensor)) throw new ArgumentError(expected(op, arg, 'a Tensor', t === null ? 'null' : typeof t));
  return t;
}

export function checkSameDevice(op: string, tensors: readonly [string, Tensor][]): void {
  const first = tensors[0];
  if (!first) return;
  for (const [name, t] of tensors) {
    if (t.device !== first[1].device) {
      throw new DeviceError(`${op}: ${name} is on '${t.device}' but ${first[0]} is on '${first[1].device}'; move them to one device with .to()`);
    }
  }
}

export function checkFloating(op: string, arg: string, t: Tensor): void {
  if (t.dtype !== 'float32' && t.dtype !== 'float64') throw new DTypeError(expected(op, `${arg}.dtype`, "'float32' or 'float64'", t.dtype));
}

/**
 * Two operands as tensors of one dtype on one device. Scalars become 0-d tensors that
 * do not change the tensor's dtype (except a fractional scalar lifting an integer tensor).
 * New tensors are created in the caller's tidy scope.
 */
export function binaryOperands(op: string, a: TensorLike, b: TensorLike, minDType?: DType): [Tensor, Tensor, DType] {
  if (typeof a === 'number' && typeof b === 'number') throw new ArgumentError(`${op}: at least one operand must be a Tensor, got two numbers`);
  if (typeof a !== 'number') checkTensor(op, 'a', a);
  if (typeof b !== 'number') checkTensor(op, 'b', b);
  let dtype: DType;
  if (typeof a === 'number') dtype = promoteWithScalar((b as Tensor).dtype, a);
  else if (typeof b === 'number') dtype = promoteWithScalar(a.dtype, b);
  else {
    checkSameDevice(op, [['a', a], ['b', b]]);
    dtype = promote(a.dtype, b.dtype);
  }
  if (minDType) dtype = promote(dtype, minDType);
  const device = (typeof a === 'number' ? (b as Tensor) : a).device;
  const ta = typeof a === 'number' ? scalarTensor(a, dtype, device) : castTo(a, dtype);
  const tb = typeof b === 'number' ? scalarTensor(b, dtype, device) : castTo(b, dtype);
  return [ta, tb, dtype];
}
