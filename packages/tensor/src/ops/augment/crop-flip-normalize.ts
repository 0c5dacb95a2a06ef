/**
 * Training-image augmentation as one kernel on the images' device: random crop from a zero
 * padding, horizontal flip and per-channel normalisation of uint8 images into float32, as
 * torchvision's RandomCrop(size, padding) + RandomHorizontalFlip + ToTensor + Normalize with
 * the crops and flips given (drawn by the caller, so that CPU and GPU batches are equal).
 */
import { ArgumentError, DTypeError, ShapeError, expected } from '../../errors';
import { runAugment } from '../../kernels';
import { tidy } from '../../memory';
import { Tensor } from '../../tensor';
import { checkSameDevice, checkTensor } from '../operands';

/** Options of {@link cropFlipNormalize}. */
export interface CropFlipNormalizeOptions {
  /** Zero pixels added on each side before cropping (default 0). */
  padding?: number;
  /** Per-channel means of the values scaled to [0, 1] (default all 0). */
  mean?: readonly number[];
  /** Per-channel standard deviations, positive (default all 1: the output is x / 255). */
  std?: readonly number[];
}

/** The channel counts the kernel handles. */
const MAX_CHANNELS = 4;

/**
 * Crops, mirrors and normalises a batch of uint8 images `[N, C, H, W]` (C from 1 to 4) into
 * a new float32 tensor of the same shape on the same device. Image b is cropped at
 * (`top[b]`, `left[b]`) of itself zero-padded by `padding` px on each side (offsets in
 * [0, 2·padding] keep the crop inside; others just read more padding), mirrored left-right
 * where `flip[b]` is non-zero, and each byte v of channel c becomes
 * `(v / 255 − mean[c]) / std[c]`, rounded to float32 at each step as PyTorch computes it.
 * `top`, `left` and `flip` are int32 `[N]`. Not differentiable (the input is bytes).
 *
 * @example
 * ```ts
 * import { cropFlipNormalize, tensor } from '@largebatch/tensor';
 * const images = tensor([[[[0, 51], [102, 255]]]], { dtype: 'uint8' }); // one 1x2x2 image
 * const at = (v: number) => tensor([v], { dtype: 'int32' });
 * const out = cropFlipNormalize(images, at(1), at(1), at(1), { padding: 1, mean: [0.5], std: [0.5] });
 * out.toArray(); // [[[[-0.6, -1], [1, -0.2]]]] (to float32 precision): mirrored, (v / 255 - 0.5) / 0.5
 * ```
 */
export function cropFlipNormalize(images: Tensor, top: Tensor, left: Tensor, flip: Tensor, options: CropFlipNormalizeOptions = {}): Tensor {
  const op = 'cropFlipNormalize';
  checkTensor(op, 'images', images);
  if (images.dtype !== 'uint8') throw new DTypeError(expected(op, 'images.dtype', "'uint8'", images.dtype));
  if (images.ndim !== 4) throw new ShapeError(expected(op, 'images.shape', '[N, C, H, W]', images.shape));
  const [n, c, h, w] = images.shape as [number, number, number, number];
  if (c < 1 || c > MAX_CHANNELS) throw new ShapeError(expected(op, 'images.shape[1]', `1 to ${MAX_CHANNELS} channels`, c));
  const crops = { top, left, flip };
  for (const [name, t] of Object.entries(crops)) {
    checkTensor(op, name, t);
    if (t.dtype !== 'int32') throw new DTypeError(expected(op, `${name}.dtype`, "'int32'", t.dtype));
    if (t.ndim !== 1 || t.shape[0] !== n) throw new ShapeError(expected(op, `${name}.shape`, `[${n}] (one per image)`, t.shape));
  }
  checkSameDevice(op, [['images', images], ['top', top], ['left', left], ['flip', flip]]);
  const padding = options.padding ?? 0;
  if (!Number.isInteger(padding) || padding < 0 || padding >= 2 ** 31) {
    throw new ArgumentError(expected(op, 'options.padding', 'an integer in [0, 2^31)', padding));
  }
  const mean = perChannel(op, 'options.mean', options.mean, c, 0, (v) => Number.isFinite(v), 'finite');
  const std = perChannel(op, 'options.std', options.std, c, 1, (v) => Number.isFinite(v) && v > 0, 'positive and finite');
  const out = Tensor.empty([n, c, h, w], 'float32', images.device);
  try {
    tidy(() => {
      const inputs = [images, top, left, flip].map((t) => (t.isContiguous() ? t : t.contiguous()));
      runAugment([n, c, h, w, padding, 0], mean, std, [...inputs, out]);
    });
  } catch (err) {
    out.dispose();
    throw err;
  }
  return out;
}

/** `values` (one per channel, each passing `ok`), or `fill` for every channel when absent. */
function perChannel(op: string, arg: string, values: readonly number[] | undefined, channels: number, fill: number, ok: (v: number) => boolean, what: string): number[] {
  if (values === undefined) return new Array<number>(channels).fill(fill);
  if (!Array.isArray(values) || values.length !== channels || !values.every((v) => typeof v === 'number' && ok(v))) {
    throw new ArgumentError(expected(op, arg, `${channels} ${what} numbers (one per channel)`, values));
  }
  return [...values];
}
