/** Messages and shared memory between the DataLoader and its batch worker. */
import { IMAGE_BYTES } from '../format/dataset';
import type { BatchSource } from './assemble';

/** How a loader makes the batches of any epoch. */
export interface LoaderPlan extends BatchSource {
  shuffle: boolean;
  dropLast: boolean;
}

/**
 * Everything the worker needs, sent once as its `workerData` (`images` in shared memory, so
 * never copied). Batches travel in `slots` buffers laid out by {@link slotViews}, which move
 * (are transferred, not copied) to the loader with each batch and back when it is done.
 */
export interface WorkerSetup extends LoaderPlan {
  slots: number;
}

export type ToWorker =
  | { type: 'start'; run: number; epoch: number }
  /** A slot given back; from any run, even a stopped one. */
  | { type: 'release'; slot: ArrayBuffer }
  | { type: 'stop'; run: number };

export type FromWorker =
  | { type: 'batch'; run: number; slot: ArrayBuffer; size: number }
  | { type: 'error'; run: number; message: string };

/**
 * Where a batch's crop, flip and normalisation run: `'worker'` writes float32 images into
 * the slot; `'device'` leaves the slot with the raw bytes and each image's crop and flip, for
 * the loader's device to transform (`cropFlipNormalize`).
 */
export type TransformOn = 'worker' | 'device';

/** A batch slot, full size; the first `size` entries of each array are the batch. */
export type HostBatch =
  | { kind: 'float'; images: Float32Array; labels: Int32Array }
  | { kind: 'bytes'; images: Uint8Array; labels: Int32Array; top: Int32Array; left: Int32Array; flip: Int32Array };

/** Bytes of one slot: B images of float32 and B int32 labels, or B raw images and four int32 per image (label, top, left, flip). */
export function slotBytes(batchSize: number, transformOn: TransformOn): number {
  return batchSize * (transformOn === 'worker' ? IMAGE_BYTES * 4 + 4 : IMAGE_BYTES + 4 * 4);
}

export function slotViews(buffer: ArrayBufferLike, batchSize: number, transformOn: TransformOn): HostBatch {
  if (transformOn === 'worker') {
    return {
      kind: 'float',
      images: new Float32Array(buffer, 0, batchSize * IMAGE_BYTES),
      labels: new Int32Array(buffer, batchSize * IMAGE_BYTES * 4, batchSize),
    };
  }
  const ints = (k: number) => new Int32Array(buffer, k * batchSize * 4, batchSize);
  return { kind: 'bytes', labels: ints(0), top: ints(1), left: ints(2), flip: ints(3), images: new Uint8Array(buffer, batchSize * 16, batchSize * IMAGE_BYTES) };
}
