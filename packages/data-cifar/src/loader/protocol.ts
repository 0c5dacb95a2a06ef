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

/** Bytes of one slot: B images of float32 then B int32 labels. */
export function slotBytes(batchSize: number): number {
  return batchSize * (IMAGE_BYTES * 4 + 4);
}

/** The images and labels of a batch slot, full size; the first `size` entries are the batch. */
export interface HostBatch {
  images: Float32Array;
  labels: Int32Array;
}

export function slotViews(buffer: ArrayBufferLike, batchSize: number): HostBatch {
  return {
    images: new Float32Array(buffer, 0, batchSize * IMAGE_BYTES),
    labels: new Int32Array(buffer, batchSize * IMAGE_BYTES * 4, batchSize),
  };
}
