/**
 * Batch normalisation over the channels of NCHW tensors, as torch.nn.functional.batch_norm,
 * and its fusion with the ReLU that follows it in a ResNet, on the native kernels of
 * packages/cuda-kernels/src/kernels/batch_norm. With xhat = (x - mean) invstd and M = N*H*W
 * (g masked by y > 0 first when the ReLU is fused):
 *   dL/dbias = sum g,  dL/dweight = sum g xhat   (sums over n, h, w per channel),
 *   dL/dx = weight invstd (g - mean(g) - xhat mean(g xhat))  in training, where mean and
 *           invstd depend on x; weight invstd g in eval, where they are constants.
 */
import { isGradEnabled } from '../../autograd/grad-mode';
import { record } from '../../autograd/record';
import { ArgumentError, ShapeError, expected } from '../../errors';
import { runBatchNorm } from '../../kernels';
import { tidy } from '../../memory';
import { Tensor } from '../../tensor';
import { contiguous } from '../cast';
import { checkCompanion, checkImages } from '../spatial';

/** Options of batchNorm2d, as torch.nn.functional.batch_norm. */
export interface BatchNormOptions {
  /** Per-channel scale [C] (gamma); 1 when absent. */
  weight?: Tensor | null;
  /** Per-channel shift [C] (beta); 0 when absent. */
  bias?: Tensor | null;
  /** Running mean [C]: updated in place in training, used in eval. */
  runningMean?: Tensor | null;
  /** Running (unbiased) variance [C]: updated in place in training, used in eval. */
  runningVar?: Tensor | null;
  /** Normalise with the batch's statistics (and update the running ones); default false, as PyTorch. */
  training?: boolean;
  /** Weight of the batch statistic in the running update; default 0.1. */
  momentum?: number;
  /** Added to the variance; default 1e-5. */
  eps?: number;
}

/** A running statistic: contiguous (it is updated in place) and outside autograd. */
function checkRunning(op: string, arg: string, t: Tensor, x: Tensor): void {
  checkCompanion(op, arg, t, x, [x.shape[1]!]);
  if (!t.isContiguous()) throw new ArgumentError(expected(op, arg, 'a contiguous tensor (it is updated in place)', 'a strided view'));
  if (t.requiresGrad && isGradEnabled()) throw new ArgumentError(expected(op, arg, 'a tensor that does not require grad', 'one that does'));
}

function checkNumber(op: string, arg: string, v: number, min: number): void {
  if (typeof v !== 'number' || !Number.isFinite(v) || v < min) throw new ArgumentError(expected(op, arg, `a finite number >= ${min}`, v));
}

function batchNorm(op: string, x: Tensor, opts: BatchNormOptions, relu: boolean): Tensor {
  checkImages(op, x);
  const [n, c, h, w] = x.shape as [number, number, number, number];
  const training = opts.training ?? false;
  const momentum = opts.momentum ?? 0.1;
  const eps = opts.eps ?? 1e-5;
  checkNumber(op, 'momentum', momentum, 0);
  checkNumber(op, 'eps', eps, 0);
  if (opts.weight) checkCompanion(op, 'weight', opts.weight, x, [c]);
  if (opts.bias) checkCompanion(op, 'bias', opts.bias, x, [c]);
  const runningMean = opts.runningMean ?? null;
  const runningVar = opts.runningVar ?? null;
  if (runningMean) checkRunning(op, 'runningMean', runningMean, x);
  if (runningVar) checkRunning(op, 'runningVar', runningVar, x);
  if (!training && (!runningMean || !runningVar)) {
    throw new ArgumentError(`${op}: eval mode (training false) needs runningMean and runningVar; pass them or set training: true`);
  }
  if (training && n * h * w < 2) {
    throw new ShapeError(expected(op, 'x', 'more than one value per channel in training', `shape [${x.shape.join(', ')}]`));
  }
  const shape: [number, number, number] = [n, c, h * w];
  const options = { training, relu, eps, momentum };
  return tidy(() => {
    const xc = contiguous(x);
    const weight = opts.weight ? contiguous(opts.weight) : null;
    const bias = opts.bias ? contiguous(opts.bias) : null;
    const y = Tensor.empty(x.shape, x.dtype, x.device);
    const saveMean = Tensor.empty([c], x.dtype, x.device);
    const saveInvstd = Tensor.empty([c], x.dtype, x.device);
    runBatchNorm('forward', x.dtype, shape, options, [xc, weight, bias, runningMean, runningVar, y, saveMean, saveInvstd]);
    const [needX, needW, needB] = [xc.requiresGrad, weight?.requiresGrad === true, bias?.requiresGrad === true];
    const saves = [xc, saveMean, saveInvstd, ...(relu ? [y] : []), ...(weight ? [weight] : [])];
    return record(op, y, [xc, weight, bias], saves, (g, saved) => {
      const [sx, sMean, sInvstd] = saved as [Tensor, Tensor, Tensor];
      const sy = relu ? saved[3]! : null;
      const sw = weight ? saved[saved.length - 1]! : null;
      const gc = contiguous(g);
      const dx = needX ? Tensor.empty(sx.shape, gc.dtype, gc.device) : null;
      const dw = needW ? Tensor.empty([c], gc.dtype, gc.device) : null;
      const db = needB ? Tensor.empty([c], gc.dtype, gc.device) : null;
      runBatchNorm('backward', gc.dtype, shape, options, [gc, sx, sy, sw, sMean, sInvstd, dx, dw, db]);
      return [dx, dw, db];
    });
  });
}

/**
 * Batch normalisation of `x` [N, C, H, W] per channel, as torch.nn.functional.batch_norm:
 * in training, with the batch's mean and biased variance, updating `runningMean` and
 * `runningVar` in place (`(1 - momentum) * running + momentum * batch`, the variance
 * unbiased); in eval, with the running statistics.
 *
 * @example
 * ```ts
 * import { batchNorm2d, ones, randn, zeros } from '@largebatch/tensor';
 * const runningMean = zeros([8]);
 * const runningVar = ones([8]);
 * const y = batchNorm2d(randn([4, 8, 5, 5]), { runningMean, runningVar, training: true });
 * // runningMean and runningVar now hold 0.9 * old + 0.1 * the batch's statistics
 * ```
 */
export function batchNorm2d(x: Tensor, opts: BatchNormOptions = {}): Tensor {
  return batchNorm('batchNorm2d', x, opts, false);
}

/**
 * relu(batchNorm2d(x, opts)) in one fused kernel (forward and backward): the pair that
 * follows most convolutions of a ResNet.
 *
 * @example
 * ```ts
 * import { batchNorm2dRelu, ones, randn } from '@largebatch/tensor';
 * const y = batchNorm2dRelu(randn([4, 8, 5, 5]), { weight: ones([8]), training: true });
 * ```
 */
export function batchNorm2dRelu(x: Tensor, opts: BatchNormOptions = {}): Tensor {
  return batchNorm('batchNorm2dRelu', x, opts, true);
}
