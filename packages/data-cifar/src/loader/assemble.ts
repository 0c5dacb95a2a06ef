import { drawCropFlip, IDENTITY, writeCropFlip } from '../augment/crop-flip';
import { IMAGE_BYTES } from '../format/dataset';
import type { HostBatch, TransformOn } from './protocol';

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
  transformOn: TransformOn;
}

/**
 * Writes batch `batch` of an epoch (positions [batch·B, batch·B + size) of `order`) into
 * `slot`: labels, and the images transformed (float32) or raw with their crops and flips
 * (bytes); returns its size, less than B only for a last partial batch.
 */
export function assembleBatch(source: BatchSource, order: Int32Array, epoch: number, batch: number, slot: HostBatch): number {
  const first = batch * source.batchSize;
  const size = Math.min(source.batchSize, order.length - first);
  for (let b = 0; b < size; b++) {
    const index = order[first + b]!;
    const view = source.augment ? drawCropFlip(source.key, epoch, index) : IDENTITY;
    slot.labels[b] = source.labels[index]!;
    if (slot.kind === 'float') {
      writeCropFlip(slot.images, b * IMAGE_BYTES, source.images, index * IMAGE_BYTES, view, source.table);
    } else {
      slot.images.set(source.images.subarray(index * IMAGE_BYTES, (index + 1) * IMAGE_BYTES), b * IMAGE_BYTES);
      slot.top[b] = view.top;
      slot.left[b] = view.left;
      slot.flip[b] = view.flip ? 1 : 0;
    }
  }
  return size;
}

/** Batches per epoch: ⌈n / B⌉, or ⌊n / B⌋ when the last partial batch is dropped. */
export function batchesPerEpoch(n: number, batchSize: number, dropLast: boolean): number {
  return dropLast ? Math.floor(n / batchSize) : Math.ceil(n / batchSize);
}
