/**
 * The official binary layouts (https://www.cs.toronto.edu/~kriz/cifar.html): each record is
 * the label byte(s) followed by the 3072 image bytes.
 */
export interface CifarLayout {
  /** For messages: 'CIFAR-10' or 'CIFAR-100'. */
  readonly name: string;
  /** The folder the official tarball extracts to. */
  readonly folder: string;
  /** Label bytes before each image: 1 (CIFAR-10) or 2 (CIFAR-100: coarse, then fine). */
  readonly labelBytes: number;
  /** Files of each split, in order. */
  readonly trainFiles: readonly string[];
  readonly testFiles: readonly string[];
  /** Images in each split of the real dataset. */
  readonly trainLength: number;
  readonly testLength: number;
  /** One class-name file per label byte, in the order of the label bytes. */
  readonly classFiles: readonly string[];
}

export const CIFAR10_LAYOUT: CifarLayout = {
  name: 'CIFAR-10',
  folder: 'cifar-10-batches-bin',
  labelBytes: 1,
  trainFiles: ['data_batch_1.bin', 'data_batch_2.bin', 'data_batch_3.bin', 'data_batch_4.bin', 'data_batch_5.bin'],
  testFiles: ['test_batch.bin'],
  trainLength: 50_000,
  testLength: 10_000,
  classFiles: ['batches.meta.txt'],
};

export const CIFAR100_LAYOUT: CifarLayout = {
  name: 'CIFAR-100',
  folder: 'cifar-100-binary',
  labelBytes: 2,
  trainFiles: ['train.bin'],
  testFiles: ['test.bin'],
  trainLength: 50_000,
  testLength: 10_000,
  classFiles: ['coarse_label_names.txt', 'fine_label_names.txt'],
};
