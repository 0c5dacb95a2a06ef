import { CifarArgumentError } from '../errors';
import { checkInteger } from '../validate';

/** Channels, height and width of one CIFAR image. */
export const CHANNELS = 3;
export const HEIGHT = 32;
export const WIDTH = 32;
/** Bytes of one image: 3 planes of 32x32, red then green then blue, rows top to bottom. */
export const IMAGE_BYTES = CHANNELS * HEIGHT * WIDTH;

/**
 * A labelled set of CIFAR images in memory, as the official files store them.
 *
 * `images` holds `length` images of {@link IMAGE_BYTES} bytes each, channel-major
 * (N×3×32×32); `labels[i] < classes.length` names image i's class. The readers and
 * {@link syntheticCifar} put `images` in a `SharedArrayBuffer`, so the loader's worker reads it
 * without a copy.
 *
 * @example
 * ```ts
 * import { syntheticCifar } from '@largebatch/data-cifar';
 * const set = syntheticCifar({ n: 10, seed: 1 });
 * console.log(set.length, set.images.length, set.classes[set.labels[0]!]); // 10 30720 synthetic-…
 * ```
 */
export interface CifarDataset {
  readonly length: number;
  readonly images: Uint8Array;
  readonly labels: Uint8Array;
  readonly classes: readonly string[];
}

/** A zeroed byte array in shared memory (so worker threads can read it without a copy). */
export function sharedBytes(length: number): Uint8Array {
  return new Uint8Array(new SharedArrayBuffer(length));
}

/** Throws unless `dataset` is a consistent {@link CifarDataset} (sizes agree, labels below the class count). */
export function checkDataset(fn: string, argument: string, dataset: unknown): CifarDataset {
  if (typeof dataset !== 'object' || dataset === null) throw new CifarArgumentError(fn, argument, 'a CIFAR dataset object', dataset);
  const d = dataset as Partial<CifarDataset>;
  const length = checkInteger(fn, `${argument}.length`, d.length, 0);
  if (!(d.images instanceof Uint8Array) || d.images.length !== length * IMAGE_BYTES) {
    const got = d.images instanceof Uint8Array ? `a Uint8Array of ${d.images.length}` : d.images;
    throw new CifarArgumentError(fn, `${argument}.images`, `a Uint8Array of ${length} × ${IMAGE_BYTES} bytes`, got);
  }
  if (!(d.labels instanceof Uint8Array) || d.labels.length !== length) {
    const got = d.labels instanceof Uint8Array ? `a Uint8Array of ${d.labels.length}` : d.labels;
    throw new CifarArgumentError(fn, `${argument}.labels`, `a Uint8Array of ${length} labels`, got);
  }
  if (!Array.isArray(d.classes) || d.classes.length === 0 || d.classes.length > 256 || !d.classes.every((c) => typeof c === 'string')) {
    throw new CifarArgumentError(fn, `${argument}.classes`, 'an array of 1 to 256 class names', d.classes);
  }
  const numClasses = d.classes.length;
  const bad = d.labels.findIndex((label) => label >= numClasses);
  if (bad >= 0) {
    throw new CifarArgumentError(fn, `${argument}.labels[${bad}]`, `below the class count ${numClasses}`, d.labels[bad]);
  }
  return d as CifarDataset;
}

/** `bytes` itself when it already lies in shared memory, else a shared copy. */
export function inSharedMemory(bytes: Uint8Array): Uint8Array {
  if (bytes.buffer instanceof SharedArrayBuffer) return bytes;
  const copy = sharedBytes(bytes.length);
  copy.set(bytes);
  return copy;
}
