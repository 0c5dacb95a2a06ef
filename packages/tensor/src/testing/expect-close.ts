import type { DType } from '../dtype';
import { Tensor } from '../tensor';

/** Default tolerances per dtype: |a - e| <= atol + rtol |e|. */
export const tolerances: Record<DType, { rtol: number; atol: number }> = {
  float32: { rtol: 1e-5, atol: 1e-6 },
  float64: { rtol: 1e-10, atol: 1e-12 },
  int32: { rtol: 0, atol: 0 },
  uint8: { rtol: 0, atol: 0 },
};

type Values = Tensor | ArrayLike<number> | number | readonly unknown[];

function flat(v: Values): { values: number[]; shape: number[] | null } {
  if (v instanceof Tensor) return { values: Array.from(v.data()), shape: v.shape.slice() };
  if (typeof v === 'number') return { values: [v], shape: null };
  if (Array.isArray(v)) return { values: (v as unknown[]).flat(Infinity) as number[], shape: null };
  return { values: Array.from(v as ArrayLike<number>), shape: null };
}

/**
 * Throws unless `actual` and `expected` agree elementwise within tolerance (NaN equals
 * NaN, infinities must match); the message names the worst index and both values.
 */
export function expectClose(actual: Values, expected: Values, opts: { rtol?: number; atol?: number; what?: string } = {}): void {
  const a = flat(actual);
  const e = flat(expected);
  const dtype = actual instanceof Tensor ? actual.dtype : 'float32';
  const rtol = opts.rtol ?? tolerances[dtype].rtol;
  const atol = opts.atol ?? tolerances[dtype].atol;
  const what = opts.what ? `${opts.what}: ` : '';
  if (a.shape && e.shape && (a.shape.length !== e.shape.length || a.shape.some((s, i) => s !== e.shape![i]))) {
    throw new Error(`${what}shape [${a.shape.join(', ')}] differs from expected [${e.shape.join(', ')}]`);
  }
  if (a.values.length !== e.values.length) {
    throw new Error(`${what}${a.values.length} values, expected ${e.values.length}`);
  }
  let worst = -1;
  let worstExcess = 0;
  for (let i = 0; i < a.values.length; i++) {
    const x = a.values[i]!;
    const y = e.values[i]!;
    if (Number.isNaN(x) && Number.isNaN(y)) continue;
    if (x === y) continue;
    const excess = Math.abs(x - y) - (atol + rtol * Math.abs(y));
    if (!(excess <= 0) && (worst < 0 || !(excess <= worstExcess))) {
      worst = i;
      worstExcess = excess;
    }
  }
  if (worst >= 0) {
    const x = a.values[worst]!;
    const y = e.values[worst]!;
    throw new Error(
      `${what}mismatch at flat index ${worst}: got ${x}, expected ${y} (|diff| ${Math.abs(x - y)}, rtol ${rtol}, atol ${atol})`,
    );
  }
}
