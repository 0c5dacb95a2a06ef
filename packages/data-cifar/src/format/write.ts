import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { CifarArgumentError } from '../errors';
import { checkBoolean, checkString } from '../validate';
import { type CifarDataset, IMAGE_BYTES, checkDataset } from './dataset';
import { CIFAR10_LAYOUT, CIFAR100_LAYOUT, type CifarLayout } from './layout';

/** Options of {@link writeCifarFiles}. */
export interface WriteCifarOptions {
  /** Write the train files (default) or the test files. */
  train?: boolean;
  /** `'cifar10'` (default: 1 label byte, 5 train files) or `'cifar100'` (2 label bytes; needs `coarse`). */
  layout?: 'cifar10' | 'cifar100';
  /** For `'cifar100'`: the coarse labels and class names; the dataset's own are the fine ones. */
  coarse?: { labels: Uint8Array; classes: readonly string[] };
}

/**
 * Writes a dataset in the official binary layout under `dir` (`dir/cifar-10-batches-bin/` or
 * `dir/cifar-100-binary/`), so that {@link loadCifar10} / {@link loadCifar100} read it back
 * and so that any CIFAR reader can use a synthetic set. The CIFAR-10 train split is cut into
 * 5 consecutive files of (nearly) equal size, as the official one is. Each file is written to
 * a temporary name and renamed, so a crash never leaves a half-written file.
 *
 * @example
 * ```ts
 * import { loadCifar10, syntheticCifar, writeCifarFiles } from '@largebatch/data-cifar';
 * await writeCifarFiles('synthetic', syntheticCifar({ n: 500, seed: 1 }));
 * await writeCifarFiles('synthetic', syntheticCifar({ n: 100, seed: 2 }), { train: false });
 * const back = await loadCifar10('synthetic', { train: false, expectedLength: 100 });
 * console.log(back.length); // 100
 * ```
 */
export async function writeCifarFiles(dir: string, dataset: CifarDataset, options: WriteCifarOptions = {}): Promise<string> {
  const fn = 'writeCifarFiles';
  checkString(fn, 'dir', dir);
  checkDataset(fn, 'dataset', dataset);
  const train = checkBoolean(fn, 'options.train', options.train ?? true);
  const layoutName = options.layout ?? 'cifar10';
  if (layoutName !== 'cifar10' && layoutName !== 'cifar100') throw new CifarArgumentError(fn, 'options.layout', "'cifar10' or 'cifar100'", layoutName);
  const layout = layoutName === 'cifar10' ? CIFAR10_LAYOUT : CIFAR100_LAYOUT;
  // Label bytes in file order, with the class names each indexes.
  const labelSets: { labels: Uint8Array; classes: readonly string[] }[] = [];
  if (layout.labelBytes === 2) {
    if (options.coarse === undefined) throw new CifarArgumentError(fn, 'options.coarse', "the coarse labels and classes (layout 'cifar100')", undefined);
    const { labels, classes } = checkDataset(fn, 'options.coarse', { ...options.coarse, length: dataset.length, images: dataset.images });
    labelSets.push({ labels, classes });
  }
  labelSets.push(dataset);

  const folder = join(dir, layout.folder);
  await mkdir(folder, { recursive: true });
  for (const [i, classFile] of layout.classFiles.entries()) {
    await writeFileAtomic(join(folder, classFile), `${labelSets[i]!.classes.join('\n')}\n`);
  }
  const files = train ? layout.trainFiles : layout.testFiles;
  for (const [k, name] of files.entries()) {
    const first = Math.floor((k * dataset.length) / files.length);
    const end = Math.floor(((k + 1) * dataset.length) / files.length);
    await writeFileAtomic(join(folder, name), encodeRecords(layout, dataset.images, labelSets, first, end));
  }
  return folder;
}

/** Records [first, end) as the file stores them: label bytes, then the image. */
function encodeRecords(layout: CifarLayout, images: Uint8Array, labelSets: { labels: Uint8Array }[], first: number, end: number): Buffer {
  const recordBytes = layout.labelBytes + IMAGE_BYTES;
  const out = Buffer.alloc((end - first) * recordBytes);
  for (let i = first; i < end; i++) {
    const at = (i - first) * recordBytes;
    labelSets.forEach(({ labels }, b) => {
      out[at + b] = labels[i]!;
    });
    out.set(images.subarray(i * IMAGE_BYTES, (i + 1) * IMAGE_BYTES), at + layout.labelBytes);
  }
  return out;
}

async function writeFileAtomic(path: string, data: string | Buffer): Promise<void> {
  const temporary = `${path}.tmp-${process.pid}-${randomBytes(4).toString('hex')}`;
  try {
    await writeFile(temporary, data);
    await rename(temporary, path);
  } catch (err) {
    await rm(temporary, { force: true });
    throw err;
  }
}
