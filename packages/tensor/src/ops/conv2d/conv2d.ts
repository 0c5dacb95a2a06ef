/**
 * conv2d as torch.nn.functional.conv2d (NCHW, cross-correlation, groups, dilation), on the
 * native kernels of packages/cuda-kernels/src/kernels/conv2d. Gradients:
 *   dL/dx = the transposed convolution of g with w (kernel "backward data"),
 *   dL/dw[k, c, r, s] = sum over (n, p, q) of g[n, k, p, q] x[n, c, p*sh - ph + r*dh, q*sw - pw + s*dw],
 *   dL/dbias[k] = sum over (n, p, q) of g[n, k, p, q] (both kernel "backward weight"),
 * each computed only for the inputs that require grad.
 */
import { record } from '../../autograd/record';
import { type DType } from '../../dtype';
import { ArgumentError, ShapeError, expected } from '../../errors';
import { type Conv2dGeometry, runConv2d } from '../../kernels';
import { tidy } from '../../memory';
import { Tensor } from '../../tensor';
import { contiguous } from '../cast';
import { type Pair, checkCompanion, checkFourDims, checkImages, pairOf, slidingOutputSize } from '../spatial';

/** Options of conv2d, as torch.nn.functional.conv2d. */
export interface Conv2dOptions {
  /** [K], added to every output channel. */
  bias?: Tensor | null;
  /** Default 1. */
  stride?: Pair;
  /** Zero padding on each side; default 0. */
  padding?: Pair;
  /** Spacing between kernel taps; default 1. */
  dilation?: Pair;
  /** Channel groups: C and K are split into `groups` independent convolutions; default 1. */
  groups?: number;
}

function geometryOf(x: Tensor, weight: Tensor, opts: Conv2dOptions): Conv2dGeometry {
  const op = 'conv2d';
  checkImages(op, x);
  checkFourDims(op, 'weight', weight, '[K, C / groups, R, S]', 0);
  const stride = pairOf(op, 'stride', opts.stride ?? 1, 1);
  const padding = pairOf(op, 'padding', opts.padding ?? 0, 0);
  const dilation = pairOf(op, 'dilation', opts.dilation ?? 1, 1);
  const groups = opts.groups ?? 1;
  if (!Number.isInteger(groups) || groups < 1) throw new ArgumentError(expected(op, 'groups', 'a positive integer', groups));
  const [n, c, h, w] = x.shape as [number, number, number, number];
  const [k, cg, r, s] = weight.shape as [number, number, number, number];
  checkCompanion(op, 'weight', weight, x, weight.shape);
  if (cg * groups !== c) {
    throw new ShapeError(
      `${op}: weight of shape [${weight.shape.join(', ')}] with groups ${groups} expects ${cg * groups} input channels, but x of shape [${x.shape.join(', ')}] has ${c}`,
    );
  }
  if (k % groups !== 0) throw new ShapeError(expected(op, 'weight.shape[0] (output channels)', `divisible by groups ${groups}`, k));
  if (opts.bias) checkCompanion(op, 'bias', opts.bias, x, [k]);
  const p = slidingOutputSize(op, 'height', h, dilation[0] * (r - 1) + 1, stride[0], padding[0]);
  const q = slidingOutputSize(op, 'width', w, dilation[1] * (s - 1) + 1, stride[1], padding[1]);
  return { n, c, h, w, k, r, s, p, q, stride, padding, dilation, groups };
}

function empty(shape: readonly number[], like: Tensor): Tensor {
  return Tensor.empty(shape, like.dtype, like.device);
}

/**
 * 2-d convolution of `x` [N, C, H, W] with `weight` [K, C / groups, R, S], giving
 * [N, K, P, Q], as torch.nn.functional.conv2d. float32 or float64.
 *
 * @example
 * ```ts
 * import { conv2d, randn } from '@largebatch/tensor';
 * const y = conv2d(randn([2, 3, 32, 32]), randn([16, 3, 3, 3]), { padding: 1 }); // [2, 16, 32, 32]
 * ```
 */
export function conv2d(x: Tensor, weight: Tensor, opts: Conv2dOptions = {}): Tensor {
  const g = geometryOf(x, weight, opts);
  return tidy(() => {
    const xc = contiguous(x);
    const wc = contiguous(weight);
    const bc = opts.bias ? contiguous(opts.bias) : null;
    const y = empty([g.n, g.k, g.p, g.q], xc);
    runConv2d('forward', xc.dtype, g, [xc, wc, y, bc]);
    const [needX, needW, needB] = [xc.requiresGrad, wc.requiresGrad, bc?.requiresGrad === true];
    return record('conv2d', y, [xc, wc, bc], [xc, wc], (grad, [sx, sw]) => {
      const gc = contiguous(grad);
      const dtype: DType = gc.dtype;
      let dx: Tensor | null = null;
      if (needX) {
        dx = empty(sx!.shape, gc);
        runConv2d('backwardData', dtype, g, [gc, sw!, dx]);
      }
      const dw = needW ? empty(sw!.shape, gc) : null;
      const db = needB ? empty([g.k], gc) : null;
      if (dw || db) runConv2d('backwardWeight', dtype, g, [sx!, gc, dw, db]);
      return [dx, dw, db];
    });
  });
}
