/** Unary elementwise ops; float-only ones lift integer inputs to float32 as PyTorch does. */
import { record } from '../../autograd/record';
import { floatingOf } from '../../dtype';
import { ArgumentError, expected } from '../../errors';
import { type UnaryOpName, runUnary } from '../../kernels';
import { tidy } from '../../memory';
import { Tensor } from '../../tensor';
import { castTo } from '../cast';
import { checkTensor } from '../operands';

type Saved = 'x' | 'out';

function unaryOp(
  name: UnaryOpName,
  x: Tensor,
  saves: readonly Saved[],
  grad: ((g: Tensor, s: Record<Saved, Tensor>) => Tensor) | null,
  opts: { floatOnly?: boolean; p0?: number; p1?: number } = {},
): Tensor {
  checkTensor(name, 'x', x);
  return tidy(() => {
    const input = opts.floatOnly ? castTo(x, floatingOf(x.dtype)) : x;
    const out = Tensor.empty(input.shape, input.dtype, input.device);
    runUnary(name, out, input, opts.p0 ?? 0, opts.p1 ?? 0);
    if (!grad) return out;
    const all = { x: input, out };
    return record(name, out, [input], saves.map((k) => all[k]), (g, list) => {
      const s = Object.fromEntries(saves.map((k, i) => [k, list[i]])) as Record<Saved, Tensor>;
      return [grad(g, s)];
    });
  });
}

/** -x. @example `neg(x)` */
export function neg(x: Tensor): Tensor {
  return unaryOp('neg', x, [], (g) => g.neg());
}

/** e^x; d/dx = e^x. @example `exp(x)` */
export function exp(x: Tensor): Tensor {
  return unaryOp('exp', x, ['out'], (g, s) => g.mul(s.out), { floatOnly: true });
}

/** Natural log; d/dx = 1/x. @example `log(x)` */
export function log(x: Tensor): Tensor {
  return unaryOp('log', x, ['x'], (g, s) => g.div(s.x), { floatOnly: true });
}

/** Square root; d/dx = 1/(2 sqrt x). @example `sqrt(x)` */
export function sqrt(x: Tensor): Tensor {
  return unaryOp('sqrt', x, ['out'], (g, s) => g.div(s.out.mul(2)), { floatOnly: true });
}

/** |x|; d/dx = sign(x) (0 at 0, as PyTorch). @example `abs(x)` */
export function abs(x: Tensor): Tensor {
  return unaryOp('abs', x, ['x'], (g, s) => g.mul(sign(s.x)));
}

/** -1, 0 or 1 (no gradient flows). @example `sign(x)` */
export function sign(x: Tensor): Tensor {
  return unaryOp('sign', x, [], null);
}

/** x ** p for a number p; d/dx = p x^(p-1). @example `powScalar(x, 2)` */
export function powScalar(x: Tensor, p: number): Tensor {
  if (typeof p !== 'number') throw new ArgumentError(expected('pow', 'exponent', 'a number', p));
  const floatOnly = !Number.isInteger(p) || p < 0;
  return unaryOp('pow', x, ['x'], (g, s) => (p === 0 ? g.mul(0) : g.mul(s.x.pow(p - 1)).mul(p)), { floatOnly, p0: p });
}

/**
 * Clamps into [min, max] (either may be omitted); the gradient passes where x is inside
 * the closed range.
 *
 * @example
 * ```ts
 * import { clamp, tensor } from '@largebatch/tensor';
 * clamp(tensor([-2, 0.5, 3]), { min: 0, max: 1 }).toArray(); // [0, 0.5, 1]
 * ```
 */
export function clamp(x: Tensor, bounds: { min?: number; max?: number }): Tensor {
  const lo = bounds.min ?? -Infinity;
  const hi = bounds.max ?? Infinity;
  if (Number.isNaN(lo) || Number.isNaN(hi)) throw new ArgumentError(expected('clamp', 'min/max', 'numbers, not NaN', [lo, hi]));
  if (lo > hi) throw new ArgumentError(expected('clamp', 'min', `<= max (${hi})`, lo));
  return unaryOp(
    'clamp', x, ['x'],
    (g, s) => g.mul(s.x.ge(lo).mul(s.x.le(hi)).toDType(g.dtype)),
    { p0: lo, p1: hi },
  );
}
