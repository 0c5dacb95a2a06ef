/**
 * In-place initialisers with torch.nn.init's formulas, drawing from @largebatch/tensor's
 * global seeded generator (manualSeed). Each runs outside autograd, so it may be applied
 * to a parameter that requires grad, and returns the tensor it filled.
 */
import { ArgumentError, DTypeError, type Tensor, noGrad, rand, randn, tidy } from '@largebatch/tensor';

/** Activations that calculateGain knows, as torch.nn.init.calculate_gain. */
export type Nonlinearity =
  | 'linear' | 'conv1d' | 'conv2d' | 'conv3d' | 'sigmoid' | 'tanh' | 'relu' | 'leaky_relu' | 'selu';

/** Whether fan_in (forward pass variance) or fan_out (backward pass variance) is preserved. */
export type FanMode = 'fan_in' | 'fan_out';

/** Options of kaimingUniform_ / kaimingNormal_, as torch.nn.init.kaiming_*_. */
export interface KaimingOptions {
  /** Negative slope of the leaky ReLU that follows (only for 'leaky_relu'); default 0. */
  a?: number;
  /** Default 'fan_in'. */
  mode?: FanMode;
  /** Default 'leaky_relu' (with a = 0 this is ReLU's gain sqrt(2)). */
  nonlinearity?: Nonlinearity;
}

/**
 * The recommended gain for an activation, as torch.nn.init.calculate_gain: 1 for linear,
 * convolutions and sigmoid, 5/3 for tanh, sqrt(2) for relu, sqrt(2 / (1 + slope^2)) for
 * leaky_relu (slope default 0.01), 3/4 for selu.
 *
 * @example
 * ```ts
 * import { calculateGain } from '@largebatch/nn';
 * calculateGain('relu'); // Math.SQRT2
 * ```
 */
export function calculateGain(nonlinearity: Nonlinearity, param?: number): number {
  switch (nonlinearity) {
    case 'linear': case 'conv1d': case 'conv2d': case 'conv3d': case 'sigmoid': return 1;
    case 'tanh': return 5 / 3;
    case 'relu': return Math.SQRT2;
    case 'selu': return 3 / 4;
    case 'leaky_relu': {
      const slope = param ?? 0.01;
      if (typeof slope !== 'number' || !Number.isFinite(slope)) {
        throw new ArgumentError(`calculateGain: param (negative slope) must be a finite number, got ${String(param)}`);
      }
      return Math.sqrt(2 / (1 + slope * slope));
    }
    default:
      throw new ArgumentError(`calculateGain: nonlinearity must be one of linear, conv1d, conv2d, conv3d, sigmoid, tanh, relu, leaky_relu, selu, got '${String(nonlinearity)}'`);
  }
}

/**
 * fan_in and fan_out of a weight, as torch.nn.init._calculate_fan_in_and_fan_out:
 * [out, in, ...kernel] gives fan_in = in * prod(kernel), fan_out = out * prod(kernel).
 *
 * @example
 * ```ts
 * import { fanInAndFanOut } from '@largebatch/nn';
 * import { zeros } from '@largebatch/tensor';
 * fanInAndFanOut(zeros([64, 3, 7, 7])); // { fanIn: 147, fanOut: 3136 }
 * ```
 */
export function fanInAndFanOut(t: Tensor): { fanIn: number; fanOut: number } {
  if (t.ndim < 2) {
    throw new ArgumentError(`fanInAndFanOut: tensor must have at least 2 dimensions to have a fan in and fan out, got shape [${t.shape.join(', ')}]`);
  }
  const receptive = t.shape.slice(2).reduce((a, b) => a * b, 1);
  return { fanIn: t.shape[1]! * receptive, fanOut: t.shape[0]! * receptive };
}

function fill(op: string, t: Tensor, draw: () => Tensor): Tensor {
  if (t.dtype !== 'float32' && t.dtype !== 'float64') {
    throw new DTypeError(`${op}: tensor dtype must be 'float32' or 'float64', got '${t.dtype}'`);
  }
  noGrad(() => tidy(() => void t.copy_(draw())));
  return t;
}

function checkFinite(op: string, arg: string, v: number): void {
  if (typeof v !== 'number' || !Number.isFinite(v)) throw new ArgumentError(`${op}: ${arg} must be a finite number, got ${String(v)}`);
}

/**
 * Fills `t` with U(low, high) samples.
 *
 * @example
 * ```ts
 * import { uniform_ } from '@largebatch/nn';
 * import { zeros } from '@largebatch/tensor';
 * const b = uniform_(zeros([10]), { low: -0.1, high: 0.1 });
 * ```
 */
export function uniform_(t: Tensor, opts: { low?: number; high?: number } = {}): Tensor {
  const low = opts.low ?? 0;
  const high = opts.high ?? 1;
  checkFinite('uniform_', 'low', low);
  checkFinite('uniform_', 'high', high);
  if (low > high) throw new ArgumentError(`uniform_: low must be <= high, got low ${low} and high ${high}`);
  return fill('uniform_', t, () => rand(t.shape, { low, high, dtype: t.dtype, device: t.device }));
}

/**
 * Fills `t` with N(mean, std^2) samples.
 *
 * @example
 * ```ts
 * import { normal_ } from '@largebatch/nn';
 * import { zeros } from '@largebatch/tensor';
 * const w = normal_(zeros([10, 10]), { std: 0.02 });
 * ```
 */
export function normal_(t: Tensor, opts: { mean?: number; std?: number } = {}): Tensor {
  const mean = opts.mean ?? 0;
  const std = opts.std ?? 1;
  checkFinite('normal_', 'mean', mean);
  checkFinite('normal_', 'std', std);
  if (std < 0) throw new ArgumentError(`normal_: std must be >= 0, got ${std}`);
  return fill('normal_', t, () => randn(t.shape, { mean, std, dtype: t.dtype, device: t.device }));
}

/** Fills `t` with `value`. @example `constant_(bias, 0.1)` */
export function constant_(t: Tensor, value: number): Tensor {
  checkFinite('constant_', 'value', value);
  noGrad(() => t.fill_(value));
  return t;
}

/** Fills `t` with zeros. @example `zeros_(bn.bias)` */
export function zeros_(t: Tensor): Tensor {
  return constant_(t, 0);
}

/** Fills `t` with ones. @example `ones_(bn.weight)` */
export function ones_(t: Tensor): Tensor {
  return constant_(t, 1);
}

function kaimingStd(op: string, t: Tensor, opts: KaimingOptions): number {
  const mode = opts.mode ?? 'fan_in';
  if (mode !== 'fan_in' && mode !== 'fan_out') throw new ArgumentError(`${op}: mode must be 'fan_in' or 'fan_out', got '${String(mode)}'`);
  const { fanIn, fanOut } = fanInAndFanOut(t);
  const fan = mode === 'fan_in' ? fanIn : fanOut;
  if (fan === 0) throw new ArgumentError(`${op}: cannot initialise a tensor with a zero ${mode}, shape [${t.shape.join(', ')}]`);
  return calculateGain(opts.nonlinearity ?? 'leaky_relu', opts.a ?? 0) / Math.sqrt(fan);
}

/**
 * He initialisation, uniform: U(-b, b) with b = gain * sqrt(3 / fan), as
 * torch.nn.init.kaiming_uniform_. The study's "He initialization" is the default (a = 0,
 * fan_in: b = sqrt(6 / fan_in)); PyTorch's Linear and Conv2d default is a = sqrt(5).
 *
 * @example
 * ```ts
 * import { kaimingUniform_ } from '@largebatch/nn';
 * import { zeros } from '@largebatch/tensor';
 * const w = kaimingUniform_(zeros([64, 3, 3, 3])); // U(-sqrt(6 / 27), sqrt(6 / 27))
 * ```
 */
export function kaimingUniform_(t: Tensor, opts: KaimingOptions = {}): Tensor {
  const bound = Math.sqrt(3) * kaimingStd('kaimingUniform_', t, opts);
  return uniform_(t, { low: -bound, high: bound });
}

/**
 * He initialisation, normal: N(0, std^2) with std = gain / sqrt(fan), as
 * torch.nn.init.kaiming_normal_ (torchvision's ResNet uses mode 'fan_out', 'relu').
 *
 * @example
 * ```ts
 * import { kaimingNormal_ } from '@largebatch/nn';
 * import { zeros } from '@largebatch/tensor';
 * const w = kaimingNormal_(zeros([64, 3, 7, 7]), { mode: 'fan_out', nonlinearity: 'relu' });
 * ```
 */
export function kaimingNormal_(t: Tensor, opts: KaimingOptions = {}): Tensor {
  return normal_(t, { std: kaimingStd('kaimingNormal_', t, opts) });
}

function xavierStd(t: Tensor, gain: number): number {
  checkFinite('xavier', 'gain', gain);
  const { fanIn, fanOut } = fanInAndFanOut(t);
  return gain * Math.sqrt(2 / (fanIn + fanOut));
}

/**
 * Glorot initialisation, uniform: U(-b, b) with b = gain * sqrt(6 / (fan_in + fan_out)),
 * as torch.nn.init.xavier_uniform_.
 *
 * @example
 * ```ts
 * import { xavierUniform_ } from '@largebatch/nn';
 * import { zeros } from '@largebatch/tensor';
 * const w = xavierUniform_(zeros([10, 20]));
 * ```
 */
export function xavierUniform_(t: Tensor, opts: { gain?: number } = {}): Tensor {
  const bound = Math.sqrt(3) * xavierStd(t, opts.gain ?? 1);
  return uniform_(t, { low: -bound, high: bound });
}

/**
 * Glorot initialisation, normal: N(0, std^2) with std = gain * sqrt(2 / (fan_in + fan_out)),
 * as torch.nn.init.xavier_normal_.
 *
 * @example
 * ```ts
 * import { xavierNormal_ } from '@largebatch/nn';
 * import { zeros } from '@largebatch/tensor';
 * const w = xavierNormal_(zeros([10, 20]));
 * ```
 */
export function xavierNormal_(t: Tensor, opts: { gain?: number } = {}): Tensor {
  return normal_(t, { std: xavierStd(t, opts.gain ?? 1) });
}
