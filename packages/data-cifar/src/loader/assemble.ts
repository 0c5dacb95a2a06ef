import { drawCropFlip, IDENTITY, writeCropFlip } from '../augment/crop-flip';
import { IMAGE_BYTES } from '../format/dataset';

/** What a batch is made from: the images, labels and settings shared by every batch of a loader. */
export interface BatchSource {
  images: Uint8Array;
  labels: Uint8Array;
  batchSize: number;
  augment: boolean;
  /** Philox key of the loader's seed. */
  key: readonly [number, number];
  /** The per-channel byte → float32 table (see `pixelTable`). */
  table: Float32Array;
}

/**
 * Writes batch `batch` of an epoch (positions [batch·B, batch·B + size) of `order`) into
 * `images` (size×3×32×32 float32) and `labels` (int32); returns its size, less than B only
 * for a last partial batch.
 */
export function assembleBatch(source: BatchSource, order: Int32Array, epoch: number, batch: number, images: Float32Array, labels: Int32Array): number {
  const first = batch * source.batchSize;
  const size = Math.min(source.batchSize, order.length - first);
  for (let b = 0; b < size; b++) {
    const index = order[first + b]!;
    const view = source.augment ? drawCropFlip(source.key, epoch, index) : IDENTITY;
    writeCropFlip(images, b * IMAGE_BYTES, source.images, index * IMAGE_BYTES, view, source.table);
    labels[b] = source.labels[index]!;
  }
  return size;
}

/** Batches per epoch: ⌈n / B⌉, or ⌊n / B⌋ when the last partial batch is dropped. */
export function batchesPerEpoch(n: number, batchSize: number, dropLast: boolean): number {
  return dropLast ? Math.floor(n / batchSize) : Math.ceil(n / batchSize);
}
