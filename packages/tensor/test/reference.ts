/** Naive float64 references for the tests: plain nested loops over row-major arrays. */
import { type Device, Tensor, randn, rand, noGrad } from '../src/index';

export interface Ref {
  data: number[];
  shape: number[];
}

export function ref(t: Tensor): Ref {
  return { data: Array.from(t.data()), shape: t.shape.slice() };
}

function strides(shape: readonly number[]): number[] {
  const s = new Array<number>(shape.length);
  let acc = 1;
  for (let i = shape.length - 1; i >= 0; i--) {
    s[i] = acc;
    acc *= shape[i]!;
  }
  return s;
}

export function unravel(i: number, shape: readonly number[]): number[] {
  const idx = new Array<number>(shape.length);
  for (let d = shape.length - 1; d >= 0; d--) {
    idx[d] = i % shape[d]!;
    i = Math.floor(i / shape[d]!);
  }
  return idx;
}

export function broadcastShape(a: readonly number[], b: readonly number[]): number[] {
  const r = Math.max(a.length, b.length);
  return Array.from({ length: r }, (_, i) => {
    const x = a[a.length - r + i] ?? 1;
    const y = b[b.length - r + i] ?? 1;
    return x === 1 ? y : x;
  });
}

/** Element of `t` at a multi-index of the broadcast shape. */
function at(t: Ref, idx: readonly number[]): number {
  const st = strides(t.shape);
  const lead = idx.length - t.shape.length;
  let off = 0;
  for (let d = 0; d < t.shape.length; d++) off += (t.shape[d] === 1 ? 0 : idx[lead + d]!) * st[d]!;
  return t.data[off]!;
}

export function binaryRef(a: Ref, b: Ref, f: (x: number, y: number) => number): Ref {
  const shape = broadcastShape(a.shape, b.shape);
  const n = shape.reduce((p, s) => p * s, 1);
  const data = Array.from({ length: n }, (_, i) => {
    const idx = unravel(i, shape);
    return f(at(a, idx), at(b, idx));
  });
  return { data, shape };
}

/** Reduces `dims` (sorted) with `f` over each group, keepdim. */
export function reduceRef(t: Ref, dims: readonly number[], f: (xs: number[]) => number): Ref {
  const shape = t.shape.map((s, i) => (dims.includes(i) ? 1 : s));
  const groups = new Map<number, number[]>();
  const outStrides = strides(shape);
  t.data.forEach((v, i) => {
    const idx = unravel(i, t.shape);
    const key = idx.reduce((acc, x, d) => acc + (dims.includes(d) ? 0 : x * outStrides[d]!), 0);
    const g = groups.get(key) ?? [];
    g.push(v);
    groups.set(key, g);
  });
  const n = shape.reduce((p, s) => p * s, 1);
  return { data: Array.from({ length: n }, (_, i) => f(groups.get(i)!)), shape };
}

export function matmulRef(a: Ref, b: Ref): Ref {
  const [m, k] = a.shape as [number, number];
  const n = b.shape[1]!;
  const data = new Array<number>(m * n).fill(0);
  for (let i = 0; i < m; i++) for (let j = 0; j < n; j++) {
    let acc = 0;
    for (let p = 0; p < k; p++) acc += a.data[i * k + p]! * b.data[p * n + j]!;
    data[i * n + j] = acc;
  }
  return { data, shape: [m, n] };
}

/** A float64 leaf for gradient checks on `device`; positive values when `positive`. */
export function leaf64(shape: number[], positive = false, device: Device = 'cpu'): Tensor {
  const opts = { dtype: 'float64', device } as const;
  const t = noGrad(() => (positive ? rand(shape, { ...opts, low: 0.5, high: 2 }) : randn(shape, opts)));
  t.requiresGrad = true;
  return t;
}
