/**
 * Softmax cross-entropy of logits against class labels in one native kernel, forward and
 * backward (packages/cuda-kernels/src/kernels/softmax), as torch.nn.functional.cross_entropy
 * with reduction 'none'. With p = softmax(z) per row and eps the label smoothing (the target
 * is (1 - eps) one_hot(y) + eps / C):
 *   loss_i = (1 - eps) (-log p[i, y_i]) + eps mean_c(-log p[i, c])
 *   dL/dz[i, c] = (p[i, c] - (1 - eps) [c == y_i] - eps / C) g_i   for the upstream g = dL/dloss.
 * The composite logSoftmax + indexSelect + mean is the reference the tests check it against.
 */
import { record } from '../../autograd/record';
import { ArgumentError, DTypeError, ShapeError, expected } from '../../errors';
import { runCrossEntropy } from '../../kernels';
import { tidy } from '../../memory';
import { Tensor } from '../../tensor';
import { contiguous } from '../cast';
import { checkFloating, checkSameDevice, checkTensor } from '../operands';

const OP = 'softmaxCrossEntropy';

/** Options of {@link softmaxCrossEntropy}. */
export interface SoftmaxCrossEntropyOptions {
  /** eps in [0, 1]: the weight of the uniform distribution in the target; default 0. */
  labelSmoothing?: number;
}

/**
 * The typed error for the first label outside [0, classes), or null if there is none. Read
 * on the host only after the kernel has refused the labels, so that a correct call never
 * waits for the device to check them.
 */
function labelRangeError(labels: Tensor, classes: number): ArgumentError | null {
  const values = labels.data();
  const i = values.findIndex((y) => y < 0 || y >= classes);
  return i < 0 ? null : new ArgumentError(expected(OP, `labels[${i}]`, `a class index in [0, ${classes})`, values[i]));
}

/**
 * Per-sample cross-entropy [N] of `logits` [N, C] (float32 or float64) against int32 class
 * `labels` [N] on the same device, as torch.nn.functional.cross_entropy(logits, labels,
 * label_smoothing, reduction='none'): log-softmax and the loss fused in one kernel, and the
 * gradient with respect to `logits` in one more (labels get none). A label outside [0, C)
 * is an ArgumentError naming its position. Reduce the result with `mean()` or `sum()`.
 *
 * @example
 * ```ts
 * import { randn, softmaxCrossEntropy, tensor } from '@largebatch/tensor';
 * const logits = randn([3, 5], { requiresGrad: true });
 * const losses = softmaxCrossEntropy(logits, tensor([4, 0, 2], { dtype: 'int32' }), { labelSmoothing: 0.1 }); // [3]
 * losses.mean().backward(); // logits.grad: [3, 5]
 * ```
 */
export function softmaxCrossEntropy(logits: Tensor, labels: Tensor, options: SoftmaxCrossEntropyOptions = {}): Tensor {
  checkTensor(OP, 'logits', logits);
  checkTensor(OP, 'labels', labels);
  checkFloating(OP, 'logits', logits);
  if (labels.dtype !== 'int32') throw new DTypeError(expected(OP, 'labels.dtype', "'int32'", labels.dtype));
  if (logits.ndim !== 2 || logits.shape[1] === 0) {
    throw new ShapeError(expected(OP, 'logits', 'an [N, C] tensor with C >= 1', `shape [${logits.shape.join(', ')}]`));
  }
  const [n, c] = logits.shape as [number, number];
  if (labels.ndim !== 1 || labels.shape[0] !== n) {
    throw new ShapeError(expected(OP, 'labels', `of shape [${n}] (one per row of logits)`, `shape [${labels.shape.join(', ')}]`));
  }
  checkSameDevice(OP, [['logits', logits], ['labels', labels]]);
  const smoothing = options.labelSmoothing ?? 0;
  if (typeof smoothing !== 'number' || !(smoothing >= 0 && smoothing <= 1)) {
    throw new ArgumentError(expected(OP, 'labelSmoothing', 'a number in [0, 1]', smoothing));
  }
  const shape: [number, number] = [n, c];
  return tidy(() => {
    const z = contiguous(logits);
    const y = contiguous(labels);
    const loss = Tensor.empty([n], logits.dtype, logits.device);
    try {
      runCrossEntropy('forward', logits.dtype, shape, smoothing, [z, y, loss]);
    } catch (err) {
      throw labelRangeError(y, c) ?? err;
    }
    return record(OP, loss, [z], [z, y], (g, [sz, sy]) => {
      const dz = Tensor.empty(shape, g.dtype, g.device);
      runCrossEntropy('backward', g.dtype, shape, smoothing, [sz!, sy!, contiguous(g), dz]);
      return [dz];
    });
  });
}
