import { CudaUnavailableError, cropFlipNormalize, cuda, type Device, type Tensor, tensor, tidy } from '@largebatch/tensor';

import { PADDING } from '../augment/crop-flip';
import { checkNormalization, pixelTable, type Normalization } from '../augment/normalize';
import { CifarArgumentError, CifarError } from '../errors';
import { CHANNELS, HEIGHT, IMAGE_BYTES, WIDTH, type CifarDataset, checkDataset } from '../format/dataset';
import { seedKey } from '../random/philox';
import { checkBoolean, checkInteger } from '../validate';
import { batchesPerEpoch } from './assemble';
import { type BatchProducer, InlineProducer } from './batch-producer';
import type { HostBatch, LoaderPlan, TransformOn } from './protocol';
import { WorkerProducer } from './worker-producer';

/** Options of {@link DataLoader}. */
export interface DataLoaderOptions {
  /** Images per batch (the last one may be smaller unless `dropLast`). */
  batchSize: number;
  /** Visit the images in a new seeded order each epoch (default false: in dataset order). */
  shuffle?: boolean;
  /** Seed of the shuffle and the augmentation, an integer in [0, 2^53) (default 0). */
  seed?: number;
  /** Drop the last batch when it is smaller than `batchSize` (default false: keep it). */
  dropLast?: boolean;
  /** Random crop 32 from the image zero-padded by 4 px, then a random horizontal flip (default false). */
  augment?: boolean;
  /**
   * `true` (default): `(x / 255 − mean) / std` with the study's CIFAR-10 figures
   * ({@link CIFAR10_NORMALIZATION}); `false`: `x / 255`; or your own `{ mean, std }`.
   */
  normalize?: boolean | Normalization;
  /** Device of the batch tensors (default `'cpu'`). */
  device?: Device;
  /**
   * Where the crop, flip and normalisation run. `'worker'` (default): on the worker thread,
   * whose float32 batch is copied to `device`. `'device'`: the worker only gathers the raw
   * bytes and draws each image's crop and flip; `device` runs them as one fused kernel
   * (`cropFlipNormalize`: on a GPU, a quarter of the bytes to copy and no per-pixel work on
   * the host). The batches are the same bit for bit either way.
   */
  transformOn?: TransformOn;
  /** Batches prepared ahead by a worker thread (default 2); 0 makes each batch on the calling thread when asked. */
  prefetch?: number;
}

/** One batch: `images` float32 [B, 3, 32, 32] and `labels` int32 [B]. The consumer disposes both. */
export interface Batch {
  images: Tensor;
  labels: Tensor;
}

/**
 * Batches of a {@link CifarDataset} as tensors, for training and evaluation.
 *
 * - **Epochs.** `for await (const batch of loader)` runs the loader's next epoch: its k-th
 *   iteration is epoch k (0, 1, 2, …). `loader.epoch(e)` runs epoch e explicitly (e.g. when
 *   resuming). The order and the augmentation of epoch e are a pure function of (seed, e),
 *   drawn from Philox4x32-10: the same on every run and machine, different every epoch.
 * - **Off the main thread.** A worker thread assembles, augments and normalises the next
 *   `prefetch` batches into shared memory while the caller trains, so loading does not stall
 *   training (with `transformOn: 'device'` it only assembles them, and the device augments
 *   and normalises). One epoch at a time per loader; `close()` ends the worker (idle, it does not
 *   keep the process alive).
 * - **Ownership.** Each batch's tensors belong to the consumer: call `dispose()` on both when
 *   done, or the batch stays in memory.
 *
 * @example
 * ```ts
 * import { DataLoader, syntheticCifar } from '@largebatch/data-cifar';
 * const loader = new DataLoader(syntheticCifar({ n: 1000, seed: 0 }), { batchSize: 128, shuffle: true, augment: true, seed: 42 });
 * for (let epoch = 0; epoch < 2; epoch++) {
 *   for await (const { images, labels } of loader) {
 *     // images: float32 [128, 3, 32, 32] (104 in the last batch), labels: int32 [128]
 *     images.dispose();
 *     labels.dispose();
 *   }
 * }
 * await loader.close();
 * ```
 */
export class DataLoader implements AsyncIterable<Batch> {
  /** Batches per epoch. */
  readonly length: number;
  readonly batchSize: number;
  readonly device: Device;
  private readonly plan: LoaderPlan;
  /** The normalisation that the device applies when `transformOn` is 'device' (identity when off). */
  private readonly normalization: Normalization;
  private readonly prefetch: number;
  private producer: BatchProducer | undefined;
  /** The epoch that the next plain iteration runs. */
  private nextEpoch = 0;
  /** The epoch being iterated, if any. */
  private activeEpoch: number | undefined;

  constructor(dataset: CifarDataset, options: DataLoaderOptions) {
    const fn = 'DataLoader';
    checkDataset(fn, 'dataset', dataset);
    if (typeof options !== 'object' || options === null) throw new CifarArgumentError(fn, 'options', 'an object with batchSize', options);
    this.batchSize = checkInteger(fn, 'options.batchSize', options.batchSize, 1);
    const seed = checkInteger(fn, 'options.seed', options.seed ?? 0, 0);
    const device = options.device ?? 'cpu';
    if (device !== 'cpu' && device !== 'cuda') throw new CifarArgumentError(fn, 'options.device', "'cpu' or 'cuda'", device);
    if (device === 'cuda' && !cuda.isAvailable()) {
      throw new CudaUnavailableError(`${fn}: options.device is 'cuda' but CUDA is unavailable: ${cuda.reason()}`);
    }
    this.device = device;
    this.prefetch = checkInteger(fn, 'options.prefetch', options.prefetch ?? 2, 0, 64);
    const dropLast = checkBoolean(fn, 'options.dropLast', options.dropLast ?? false);
    const transformOn = options.transformOn ?? 'worker';
    if (transformOn !== 'worker' && transformOn !== 'device') throw new CifarArgumentError(fn, 'options.transformOn', "'worker' or 'device'", transformOn);
    const normalization = checkNormalization(fn, 'options.normalize', options.normalize ?? true);
    this.normalization = normalization ?? { mean: [0, 0, 0], std: [1, 1, 1] };
    this.plan = {
      images: dataset.images,
      labels: dataset.labels,
      batchSize: this.batchSize,
      augment: checkBoolean(fn, 'options.augment', options.augment ?? false),
      key: seedKey(seed),
      table: pixelTable(normalization),
      transformOn,
      shuffle: checkBoolean(fn, 'options.shuffle', options.shuffle ?? false),
      dropLast,
    };
    this.length = batchesPerEpoch(dataset.length, this.batchSize, dropLast);
  }

  /** Runs the next epoch: the k-th iteration of this loader is epoch k. */
  [Symbol.asyncIterator](): AsyncIterator<Batch> {
    return this.epoch(this.nextEpoch++)[Symbol.asyncIterator]();
  }

  /** The batches of epoch `epoch` (an integer in [0, 2^32)), in its seeded order and augmentation. */
  epoch(epoch: number): AsyncIterable<Batch> {
    checkInteger('DataLoader.epoch', 'epoch', epoch, 0, 0xffff_ffff);
    return { [Symbol.asyncIterator]: () => this.run(epoch) };
  }

  /** Ends the worker thread. The loader can still be iterated afterwards: a new worker starts. */
  async close(): Promise<void> {
    const producer = this.producer;
    this.producer = undefined;
    await producer?.close();
  }

  private async *run(epoch: number): AsyncGenerator<Batch> {
    if (this.activeEpoch !== undefined) {
      throw new CifarError(`DataLoader: epoch ${epoch} was started while epoch ${this.activeEpoch} is still being iterated; finish or break out of it first`);
    }
    this.activeEpoch = epoch;
    try {
      this.producer ??= this.prefetch === 0 ? new InlineProducer(this.plan) : new WorkerProducer(this.plan, this.prefetch);
      yield* this.producer.batches(epoch, (host, size) => this.toTensors(host, size));
    } finally {
      this.activeEpoch = undefined;
    }
  }

  /** Copies a host batch into new tensors on the loader's device, transforming its images there when they are raw. */
  private toTensors(host: HostBatch, size: number): Batch {
    const shape = [size, CHANNELS, HEIGHT, WIDTH];
    const onDevice = <T extends Int32Array | Uint8Array | Float32Array>(values: T, count: number, s: number[]) =>
      tensor(values.subarray(0, count), { shape: s, device: this.device });
    return tidy(() => {
      const labels = onDevice(host.labels, size, [size]);
      if (host.kind === 'float') return { images: onDevice(host.images, size * IMAGE_BYTES, shape), labels };
      const crop = (values: Int32Array) => onDevice(values, size, [size]);
      const bytes = onDevice(host.images, size * IMAGE_BYTES, shape);
      const images = cropFlipNormalize(bytes, crop(host.top), crop(host.left), crop(host.flip), { padding: PADDING, ...this.normalization });
      return { images, labels };
    });
  }
}
