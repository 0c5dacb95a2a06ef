/**
 * 2-d pooling of NCHW tensors, as torch.nn.functional's max_pool2d, avg_pool2d and
 * adaptive_avg_pool2d (floor mode), on the native kernels of
 * packages/cuda-kernels/src/kernels/pool. Gradients: max pooling routes g[p, q] to the
 * input position that won its window (the argmax saved by the forward pass); the averages
 * spread g[p, q] / divisor over their windows.
 */
import { record } from '../../autograd/record';
import { ArgumentError, expected } from '../../errors';
import { type Pool2dGeometry, runPool2d } from '../../kernels';
import { tidy } from '../../memory';
import { Tensor } from '../../tensor';
import { contiguous } from '../cast';
import { type Pair, checkImages, pairOf, slidingOutputSize } from '../spatial';

type PoolMode = 'max' | 'avg' | 'avgExcludePad' | 'adaptiveAvg';

/** Options of maxPool2d and avgPool2d. */
export interface Pool2dOptions {
  kernelSize: Pair;
  /** Default: kernelSize. */
  stride?: Pair;
  /** Implicit padding on each side, at most half the kernel; default 0. */
  padding?: Pair;
}

/** Options of avgPool2d. */
export interface AvgPool2dOptions extends Pool2dOptions {
  /** Count the padding in each window's divisor; default true, as PyTorch. */
  countIncludePad?: boolean;
}

function slidingGeometry(op: string, x: Tensor, opts: Pool2dOptions): Pool2dGeometry {
  checkImages(op, x);
  if (typeof opts !== 'object' || opts === null) throw new ArgumentError(expected(op, 'options', 'an object with kernelSize', opts));
  const kernel = pairOf(op, 'kernelSize', opts.kernelSize, 1);
  const stride = pairOf(op, 'stride', opts.stride ?? kernel, 1);
  const padding = pairOf(op, 'padding', opts.padding ?? 0, 0);
  if (padding[0] > kernel[0] / 2 || padding[1] > kernel[1] / 2) {
    throw new ArgumentError(expected(op, 'padding', `at most half the kernel size [${kernel.join(', ')}]`, opts.padding));
  }
  const [n, c, h, w] = x.shape as [number, number, number, number];
  const p = slidingOutputSize(op, 'height', h, kernel[0], stride[0], padding[0]);
  const q = slidingOutputSize(op, 'width', w, kernel[1], stride[1], padding[1]);
  return { planes: n * c, h, w, p, q, kernel, stride, padding };
}

function pool(op: string, mode: PoolMode, x: Tensor, g: Pool2dGeometry): Tensor {
  return tidy(() => {
    const xc = contiguous(x);
    const outShape = [x.shape[0]!, x.shape[1]!, g.p, g.q];
    const y = Tensor.empty(outShape, x.dtype, x.device);
    const indices = mode === 'max' ? Tensor.empty(outShape, 'int32', x.device) : null;
    runPool2d('forward', mode, x.dtype, g, [xc, y, indices]);
    const inShape = x.shape.slice();
    return record(op, y, [xc], indices ? [indices] : [], (grad, [savedIndices]) => {
      const dx = Tensor.empty(inShape, grad.dtype, grad.device);
      runPool2d('backward', mode, grad.dtype, g, [contiguous(grad), savedIndices ?? null, dx]);
      return [dx];
    });
  });
}

/**
 * Max over each kernelSize window of `x` [N, C, H, W], as torch.nn.functional.max_pool2d
 * (padding never wins; NaN does). The gradient goes to the first maximum of each window.
 *
 * @example
 * ```ts
 * import { maxPool2d, randn } from '@largebatch/tensor';
 * const y = maxPool2d(randn([2, 64, 16, 16]), { kernelSize: 3, stride: 2, padding: 1 }); // [2, 64, 8, 8]
 * ```
 */
export function maxPool2d(x: Tensor, opts: Pool2dOptions): Tensor {
  return pool('maxPool2d', 'max', x, slidingGeometry('maxPool2d', x, opts));
}

/**
 * Mean over each kernelSize window of `x` [N, C, H, W], as torch.nn.functional.avg_pool2d;
 * padded positions count in the divisor unless countIncludePad is false.
 *
 * @example
 * ```ts
 * import { avgPool2d, randn } from '@largebatch/tensor';
 * const y = avgPool2d(randn([2, 8, 9, 9]), { kernelSize: 3, stride: 2, padding: 1 }); // [2, 8, 5, 5]
 * ```
 */
export function avgPool2d(x: Tensor, opts: AvgPool2dOptions): Tensor {
  const g = slidingGeometry('avgPool2d', x, opts);
  return pool('avgPool2d', opts.countIncludePad === false ? 'avgExcludePad' : 'avg', x, g);
}

/**
 * Mean over an [h, w] grid of windows covering `x` [N, C, H, W], as
 * torch.nn.functional.adaptive_avg_pool2d: row window i spans [floor(i H / h), ceil((i + 1) H / h)).
 *
 * @example
 * ```ts
 * import { adaptiveAvgPool2d, randn } from '@largebatch/tensor';
 * const pooled = adaptiveAvgPool2d(randn([2, 2048, 1, 1]), [1, 1]).flatten(1); // [2, 2048]
 * ```
 */
export function adaptiveAvgPool2d(x: Tensor, outputSize: Pair): Tensor {
  const op = 'adaptiveAvgPool2d';
  checkImages(op, x);
  const [p, q] = pairOf(op, 'outputSize', outputSize, 1);
  const [n, c, h, w] = x.shape as [number, number, number, number];
  const g: Pool2dGeometry = { planes: n * c, h, w, p, q, kernel: [0, 0], stride: [0, 0], padding: [0, 0] };
  return pool(op, 'adaptiveAvg', x, g);
}
