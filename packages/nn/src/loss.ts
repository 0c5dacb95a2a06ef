/**
 * Losses. crossEntropy is @largebatch/tensor's fused softmaxCrossEntropy (log-softmax and
 * NLL in one native kernel, forward and backward) followed by the reduction:
 *   loss_i = (1 - eps) * (-log p[i, y_i]) + eps * mean_c(-log p[i, c]),
 * which is PyTorch's label smoothing (the target mixes the one-hot with the uniform 1/C).
 */
import { ArgumentError, DTypeError, ShapeError, Tensor, softmaxCrossEntropy, tidy } from '@largebatch/tensor';

/** Options of crossEntropy, as torch.nn.functional.cross_entropy's. */
export interface CrossEntropyOptions {
  /** eps in [0, 1]: the weight of the uniform distribution in the target; default 0. */
  labelSmoothing?: number;
  /** 'mean' (default) over the batch, 'sum', or 'none' for the per-sample losses [N]. */
  reduction?: 'mean' | 'sum' | 'none';
}

/**
 * Cross-entropy between `logits` [N, C] and int32 class `labels` [N], equal to PyTorch's
 * F.cross_entropy (label smoothing and reductions included). Differentiable in `logits`.
 * The labels' range is checked by the kernel, so a correct call never reads them on the
 * host; a label outside [0, C) is an ArgumentError naming its position.
 *
 * @example
 * ```ts
 * import { crossEntropy } from '@largebatch/nn';
 * import { randn, tensor } from '@largebatch/tensor';
 * const logits = randn([4, 10], { requiresGrad: true });
 * const loss = crossEntropy(logits, tensor([3, 0, 9, 1], { dtype: 'int32' }), { labelSmoothing: 0.1 });
 * loss.backward(); // logits.grad: [4, 10]
 * ```
 */
export function crossEntropy(logits: Tensor, labels: Tensor, options: CrossEntropyOptions = {}): Tensor {
  const op = 'crossEntropy';
  if (!(logits instanceof Tensor)) throw new ArgumentError(`${op}: logits must be a Tensor, got ${String(logits)}`);
  if (!(labels instanceof Tensor)) throw new ArgumentError(`${op}: labels must be a Tensor, got ${String(labels)}`);
  if (logits.dtype !== 'float32' && logits.dtype !== 'float64') throw new DTypeError(`${op}: logits dtype must be 'float32' or 'float64', got '${logits.dtype}'`);
  if (labels.dtype !== 'int32') throw new DTypeError(`${op}: labels dtype must be 'int32', got '${labels.dtype}'`);
  if (logits.ndim !== 2 || logits.shape[0] === 0 || logits.shape[1] === 0) {
    throw new ShapeError(`${op}: logits must be a non-empty [N, C] tensor, got shape [${logits.shape.join(', ')}]`);
  }
  const [n, c] = logits.shape as [number, number];
  if (labels.ndim !== 1 || labels.shape[0] !== n) {
    throw new ShapeError(`${op}: labels must have shape [${n}] to match logits [${n}, ${c}], got [${labels.shape.join(', ')}]`);
  }
  const smoothing = options.labelSmoothing ?? 0;
  if (typeof smoothing !== 'number' || !(smoothing >= 0 && smoothing <= 1)) {
    throw new ArgumentError(`${op}: labelSmoothing must be a number in [0, 1], got ${String(smoothing)}`);
  }
  const reduction = options.reduction ?? 'mean';
  if (reduction !== 'mean' && reduction !== 'sum' && reduction !== 'none') {
    throw new ArgumentError(`${op}: reduction must be 'mean', 'sum' or 'none', got '${String(reduction)}'`);
  }
  return tidy(() => {
    const perSample = softmaxCrossEntropy(logits, labels, { labelSmoothing: smoothing });
    if (reduction === 'none') return perSample;
    return reduction === 'sum' ? perSample.sum() : perSample.mean();
  });
}
