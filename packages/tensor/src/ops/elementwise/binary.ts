/**
 * Binary elementwise ops with PyTorch's broadcasting and type promotion. Gradients are
 * reduced back to each input's shape (sumToShape undoes broadcasting).
 */
import { record } from '../../autograd/record';
import { type DType, floatingOf } from '../../dtype';
import { type BinaryOpName, runBinary } from '../../kernels';
import { tidy } from '../../memory';
import { broadcastShapes } from '../../shape';
import { Tensor } from '../../tensor';
import { type TensorLike, binaryOperands } from '../operands';
import { sumToShape } from '../reduce/sum-to-shape';
import { powScalar } from './unary';
/** The tensors a gradient may read; an op saves only those it names. */
interface Saved {
  a: Tensor;
  b: Tensor;
  out: Tensor;
}
type Grad = (g: Tensor, s: Saved) => [Tensor | null, Tensor | null];

function binaryOp(name: BinaryOpName, a: TensorLike, b: TensorLike, saves: readonly (keyof Saved)[], grad: Grad, floatOnly = false): Tensor {
  return tidy(() => {
    const [ta, tb, dtype] = binaryOperands(name, a, b, floatOnly ? 'float32' : undefined);
    const shape = broadcastShapes(name, ta.shape, tb.shape);
    const out = Tensor.empty(shape, floatOnly ? floatingOf(dtype) : dtype, ta.device);
    runBinary(name, out, ta, tb);
    const all: Saved = { a: ta, b: tb, out };
    const [shapeA, shapeB] = [ta.shape, tb.shape];
    return record(name, out, [ta, tb], saves.map((k) => all[k]), (g, list) => {
      const s = Object.fromEntries(saves.map((k, i) => [k, list[i]])) as unknown as Saved;
      const [ga, gb] = grad(g, s);
      return [ga && sumToShape(ga, shapeA), gb && sumToShape(gb, shapeB)];
    });
  });
}

/**
 * a + b, broadcasting.
 *
 * @example
 * ```ts
 * import { add, tensor } from '@largebatch/tensor';
 * add(tensor([1, 2]), 1).toArray(); // [2, 3]
 * ```
 */
export function add(a: TensorLike, b: TensorLike): Tensor {
  return binaryOp('add', a, b, [], (g) => [g, g]);
}

/** a - b, broadcasting. @example `sub(x, y)` */
export function sub(a: TensorLike, b: TensorLike): Tensor {
  return binaryOp('sub', a, b, [], (g) => [g, g.neg()]);
}

/** a * b, broadcasting. @example `mul(x, 2)` */
export function mul(a: TensorLike, b: TensorLike): Tensor {
  return binaryOp('mul', a, b, ['a', 'b'], (g, { a: x, b: y }) => [g.mul(y), g.mul(x)]);
}

/** a / b, broadcasting; integer operands give float32 (true division). @example `div(x, y)` */
export function div(a: TensorLike, b: TensorLike): Tensor {
  // d(a/b)/da = 1/b; d(a/b)/db = -a/b^2 = -out/b
  return binaryOp('div', a, b, ['b', 'out'], (g, { b: y, out }) => [g.div(y), g.mul(out).div(y).neg()], true);
}

/** a ** b elementwise, broadcasting. @example `pow(x, 2)` */
export function pow(a: TensorLike, b: TensorLike): Tensor {
  if (typeof b === 'number' && typeof a !== 'number') return powScalar(a, b);
  // d(a^b)/da = b a^(b-1); d(a^b)/db = a^b ln a
  return binaryOp('pow', a, b, ['a', 'b', 'out'], (g, { a: x, b: y, out }) => [g.mul(y).mul(x.pow(y.sub(1))), g.mul(out).mul(x.log())]);
}

/** Elementwise maximum (NaN propagates); ties split the gradient in half, as PyTorch. */
export function maximum(a: TensorLike, b: TensorLike): Tensor {
  return binaryOp('maximum', a, b, ['a', 'b'], (g, { a: x, b: y }) => tieSplit(g, x, y, 'gt'));
}

/** Elementwise minimum (NaN propagates); ties split the gradient in half, as PyTorch. */
export function minimum(a: TensorLike, b: TensorLike): Tensor {
  return binaryOp('minimum', a, b, ['a', 'b'], (g, { a: x, b: y }) => tieSplit(g, x, y, 'lt'));
}

function tieSplit(g: Tensor, x: Tensor, y: Tensor, wins: 'gt' | 'lt'): [Tensor, Tensor] {
  const dtype: DType = g.dtype;
  const xWins = x[wins](y).toDType(dtype);
  const yWins = y[wins](x).toDType(dtype);
  const tie = x.eq(y).toDType(dtype).mul(0.5);
  return [g.mul(xWins.add(tie)), g.mul(yWins.add(tie))];
}

function compare(name: 'eq' | 'ne' | 'lt' | 'le' | 'gt' | 'ge', a: TensorLike, b: TensorLike): Tensor {
  return tidy(() => {
    const [ta, tb] = binaryOperands(name, a, b);
    const out = Tensor.empty(broadcastShapes(name, ta.shape, tb.shape), 'uint8', ta.device);
    runBinary(name, out, ta, tb);
    return out;
  });
}

/** a == b elementwise, as uint8 0/1. @example `eq(pred, labels).sum()` */
export const eq = (a: TensorLike, b: TensorLike): Tensor => compare('eq', a, b);
/** a != b elementwise, as uint8 0/1. */
export const ne = (a: TensorLike, b: TensorLike): Tensor => compare('ne', a, b);
/** a < b elementwise, as uint8 0/1. */
export const lt = (a: TensorLike, b: TensorLike): Tensor => compare('lt', a, b);
/** a <= b elementwise, as uint8 0/1. */
export const le = (a: TensorLike, b: TensorLike): Tensor => compare('le', a, b);
/** a > b elementwise, as uint8 0/1. */
export const gt = (a: TensorLike, b: TensorLike): Tensor => compare('gt', a, b);
/** a >= b elementwise, as uint8 0/1. */
export const ge = (a: TensorLike, b: TensorLike): Tensor => compare('ge', a, b);
