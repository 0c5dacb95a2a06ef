import { type AnyTypedArray, type DType, checkDType, dtypeOfArray, isFloating, newTypedArray } from './dtype';
import { type Device, checkDevice } from './device';
import { ArgumentError, DTypeError, ShapeError, expected } from './errors';
import { runFill, runRandom, writeContiguous } from './kernels';
import { reserveDraw } from './random';
import { type Shape, checkShape, numel } from './shape';
import { Tensor } from './tensor';

/** Options of every creation function. */
export interface TensorOptions {
  dtype?: DType;
  device?: Device;
  requiresGrad?: boolean;
}

type NestedData = number | boolean | readonly NestedData[];

function inferShape(data: NestedData): number[] {
  const shape: number[] = [];
  let cur: NestedData = data;
  while (Array.isArray(cur)) {
    shape.push(cur.length);
    cur = (cur as readonly NestedData[])[0] as NestedData;
  }
  return shape;
}

function flatten(op: string, data: NestedData, shape: readonly number[], out: number[], depth = 0, path = 'data'): void {
  if (depth === shape.length) {
    if (typeof data === 'boolean') out.push(data ? 1 : 0);
    else if (typeof data === 'number') out.push(data);
    else throw new ShapeError(expected(op, path, 'a number (the nesting is ragged)', Array.isArray(data) ? 'an array' : data));
    return;
  }
  if (!Array.isArray(data) || data.length !== shape[depth]) {
    throw new ShapeError(expected(op, path, `an array of length ${shape[depth]} (the nesting is ragged)`, Array.isArray(data) ? `length ${data.length}` : data));
  }
  data.forEach((v: NestedData, i: number) => flatten(op, v, shape, out, depth + 1, `${path}[${i}]`));
}

function finish(t: Tensor, opts: TensorOptions): Tensor {
  if (opts.requiresGrad) {
    if (!isFloating(t.dtype)) throw new DTypeError(expected('tensor', 'requiresGrad', 'used with a float dtype', t.dtype));
    t.requiresGrad = true;
  }
  return t;
}

function allocate(op: string, shape: unknown, opts: TensorOptions): Tensor {
  const s = checkShape(op, 'shape', shape);
  const dtype = checkDType(op, 'dtype', opts.dtype ?? 'float32');
  const device = checkDevice(op, 'device', opts.device ?? 'cpu');
  return Tensor.empty(s, dtype, device);
}

/**
 * A tensor from nested arrays, a typed array (with `shape`) or a number. JS numbers become
 * float32 unless `dtype` says otherwise; a typed array keeps its own dtype.
 *
 * @example
 * ```ts
 * import { tensor } from '@largebatch/tensor';
 * const a = tensor([[1, 2, 3], [4, 5, 6]]);               // float32 [2, 3]
 * const b = tensor(new Int32Array([1, 2]), { shape: [2] }); // int32 [2]
 * ```
 */
export function tensor(data: NestedData | AnyTypedArray, opts: TensorOptions & { shape?: Shape } = {}): Tensor {
  let values: AnyTypedArray | number[];
  let shape: number[];
  let dtype: DType;
  if (ArrayBuffer.isView(data)) {
    if (!(data instanceof Float32Array || data instanceof Float64Array || data instanceof Int32Array || data instanceof Uint8Array)) {
      throw new DTypeError(expected('tensor', 'data', 'a Float32Array, Float64Array, Int32Array or Uint8Array', (data as ArrayBufferView).constructor.name));
    }
    shape = opts.shape ? checkShape('tensor', 'shape', opts.shape) : [data.length];
    dtype = checkDType('tensor', 'dtype', opts.dtype ?? dtypeOfArray(data));
    values = data;
  } else {
    shape = inferShape(data);
    if (opts.shape) {
      const given = checkShape('tensor', 'shape', opts.shape);
      const flat: number[] = [];
      flatten('tensor', data, shape, flat);
      values = flat;
      shape = given;
    } else {
      const flat: number[] = [];
      flatten('tensor', data, shape, flat);
      values = flat;
    }
    dtype = checkDType('tensor', 'dtype', opts.dtype ?? 'float32');
  }
  if (numel(shape) !== values.length) {
    throw new ShapeError(expected('tensor', 'shape', `a shape with ${values.length} elements`, shape));
  }
  const device = checkDevice('tensor', 'device', opts.device ?? 'cpu');
  const t = Tensor.empty(shape, dtype, device);
  let host: AnyTypedArray;
  if (ArrayBuffer.isView(values) && dtypeOfArray(values) === dtype) {
    host = values;
  } else {
    host = newTypedArray(dtype, values.length);
    for (let i = 0; i < values.length; i++) host[i] = values[i]!;
  }
  if (host.length > 0) writeContiguous(t, host);
  return finish(t, opts);
}

/**
 * A tensor of `shape` filled with `value`.
 *
 * @example
 * ```ts
 * import { full } from '@largebatch/tensor';
 * const t = full([2, 2], 0.5);
 * ```
 */
export function full(shape: Shape, value: number, opts: TensorOptions = {}): Tensor {
  if (typeof value !== 'number') throw new ArgumentError(expected('full', 'value', 'a number', value));
  const t = allocate('full', shape, opts);
  runFill(t, value);
  return finish(t, opts);
}

/** Zeros. @example `zeros([2, 3])` */
export function zeros(shape: Shape, opts: TensorOptions = {}): Tensor {
  return full(shape, 0, opts);
}

/** Ones. @example `ones([2, 3], { dtype: 'float64' })` */
export function ones(shape: Shape, opts: TensorOptions = {}): Tensor {
  return full(shape, 1, opts);
}

function randomTensor(op: string, dist: 'uniform' | 'normal', shape: Shape, a: number, b: number, opts: TensorOptions): Tensor {
  const dtype = opts.dtype ?? 'float32';
  if (!isFloating(dtype)) throw new DTypeError(expected(op, 'dtype', "'float32' or 'float64'", dtype));
  const t = allocate(op, shape, opts);
  const draw = reserveDraw(t.numel);
  if (t.numel > 0) runRandom(dist, t, draw.seed, draw.counter, a, b);
  return finish(t, opts);
}

/**
 * Standard normal samples from the global generator (see manualSeed).
 *
 * @example
 * ```ts
 * import { randn } from '@largebatch/tensor';
 * const w = randn([64, 3, 3, 3], { requiresGrad: true });
 * ```
 */
export function randn(shape: Shape, opts: TensorOptions & { mean?: number; std?: number } = {}): Tensor {
  return randomTensor('randn', 'normal', shape, opts.mean ?? 0, opts.std ?? 1, opts);
}

/**
 * Uniform samples in [low, high) (default [0, 1)) from the global generator.
 *
 * @example
 * ```ts
 * import { rand } from '@largebatch/tensor';
 * const u = rand([3], { low: -1, high: 1 });
 * ```
 */
export function rand(shape: Shape, opts: TensorOptions & { low?: number; high?: number } = {}): Tensor {
  return randomTensor('rand', 'uniform', shape, opts.low ?? 0, opts.high ?? 1, opts);
}

/**
 * Values from `start` to `end` (exclusive) by `step`, as torch.arange. With one argument,
 * 0 to it. Integer arguments give int32 unless `dtype` says otherwise.
 *
 * @example
 * ```ts
 * import { arange } from '@largebatch/tensor';
 * arange(5).toArray(); // [0, 1, 2, 3, 4]
 * ```
 */
export function arange(start: number, end?: number, step = 1, opts: TensorOptions = {}): Tensor {
  const [lo, hi] = end === undefined ? [0, start] : [start, end];
  for (const [name, v] of [['start', lo], ['end', hi], ['step', step]] as const) {
    if (!Number.isFinite(v)) throw new ArgumentError(expected('arange', name, 'a finite number', v));
  }
  if (step === 0) throw new ArgumentError(expected('arange', 'step', 'non-zero', step));
  const n = Math.max(0, Math.ceil((hi - lo) / step));
  const allInt = [lo, hi, step].every(Number.isInteger);
  const dtype = opts.dtype ?? (allInt ? 'int32' : 'float32');
  const host = newTypedArray(dtype, n);
  for (let i = 0; i < n; i++) host[i] = lo + i * step;
  return tensor(host, { ...opts, dtype, shape: [n] });
}

/** A tensor like `t` (shape, dtype, device unless overridden) filled with `value`. */
export function fullLike(t: Tensor, value: number, opts: TensorOptions = {}): Tensor {
  return full(t.shape, value, { dtype: t.dtype, device: t.device, ...opts });
}

export function zerosLike(t: Tensor, opts: TensorOptions = {}): Tensor {
  return fullLike(t, 0, opts);
}

export function onesLike(t: Tensor, opts: TensorOptions = {}): Tensor {
  return fullLike(t, 1, opts);
}

/** A 0-d tensor holding a scalar operand, in `dtype` on `device`. */
export function scalarTensor(value: number, dtype: DType, device: Device): Tensor {
  const t = Tensor.empty([], dtype, device);
  runFill(t, value);
  return t;
}
