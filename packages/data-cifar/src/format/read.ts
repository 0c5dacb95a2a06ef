import { open, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';

import { CifarArgumentError, CifarFormatError } from '../errors';
import { checkBoolean, checkInteger, checkString } from '../validate';
import { type CifarDataset, IMAGE_BYTES, sharedBytes } from './dataset';
import { CIFAR10_LAYOUT, CIFAR100_LAYOUT, type CifarLayout } from './layout';

/** Options of {@link loadCifar10}. */
export interface LoadCifar10Options {
  /** The training split (default) or the test split. */
  train?: boolean;
  /**
   * Images the split must hold: the real dataset's count by default (50,000 / 10,000), a
   * number for other sets in the same layout (e.g. written by `writeCifarFiles`), or `null`
   * to accept any whole number of records.
   */
  expectedLength?: number | null;
}

/** Options of {@link loadCifar100}. */
export interface LoadCifar100Options extends LoadCifar10Options {
  /** The 100 fine classes (default) or the 20 coarse superclasses. */
  labels?: 'fine' | 'coarse';
}

/**
 * Reads CIFAR-10 in the official binary format. `dir` holds `cifar-10-batches-bin/` (as the
 * tarball extracts) or is that folder. Every file is checked: present, a whole number of
 * 3073-byte records, the expected image count, labels below the number of classes in
 * `batches.meta.txt`; a violation throws {@link CifarFormatError} naming the file (and record).
 *
 * @example
 * ```ts
 * import { loadCifar10 } from '@largebatch/data-cifar';
 * const train = await loadCifar10('data');                  // 50,000 images
 * const test = await loadCifar10('data', { train: false }); // 10,000 images
 * console.log(train.length, test.classes[test.labels[0]!]);
 * ```
 */
export async function loadCifar10(dir: string, options: LoadCifar10Options = {}): Promise<CifarDataset> {
  return loadSplit('loadCifar10', CIFAR10_LAYOUT, dir, options, 0);
}

/**
 * Reads CIFAR-100 in the official binary format (`cifar-100-binary/`: `train.bin`,
 * `test.bin`, `fine_label_names.txt`, `coarse_label_names.txt`), with the fine (default) or
 * the coarse labels. Checked as {@link loadCifar10} is.
 *
 * @example
 * ```ts
 * import { loadCifar100 } from '@largebatch/data-cifar';
 * const coarse = await loadCifar100('data', { train: false, labels: 'coarse' });
 * console.log(coarse.classes.length); // 20
 * ```
 */
export async function loadCifar100(dir: string, options: LoadCifar100Options = {}): Promise<CifarDataset> {
  const labels = options.labels ?? 'fine';
  if (labels !== 'fine' && labels !== 'coarse') {
    throw new CifarArgumentError('loadCifar100', 'options.labels', "'fine' or 'coarse'", labels);
  }
  return loadSplit('loadCifar100', CIFAR100_LAYOUT, dir, options, labels === 'coarse' ? 0 : 1);
}

/**
 * Checks a folder of `layout` without reading the images: the class files hold names and
 * every file of both splits is present and a whole number of records.
 */
export async function checkCifarFolder(folder: string, layout: CifarLayout): Promise<void> {
  for (const classFile of layout.classFiles) await readClassNames(join(folder, classFile));
  for (const train of [true, false]) await splitRecords(layout, folder, train, null);
}

async function loadSplit(fn: string, layout: CifarLayout, dir: string, options: LoadCifar10Options, labelIndex: number): Promise<CifarDataset> {
  checkString(fn, 'dir', dir);
  const train = checkBoolean(fn, 'options.train', options.train ?? true);
  const official = train ? layout.trainLength : layout.testLength;
  const expectedLength = options.expectedLength === null ? null : checkInteger(fn, 'options.expectedLength', options.expectedLength ?? official, 0);
  const folder = await locateFolder(fn, layout, dir);
  const classFile = join(folder, layout.classFiles[labelIndex]!);
  const classes = await readClassNames(classFile);
  const files = await splitRecords(layout, folder, train, expectedLength);
  const length = files.reduce((sum, f) => sum + f.records, 0);
  const images = sharedBytes(length * IMAGE_BYTES);
  const labels = new Uint8Array(length);
  let first = 0;
  for (const { file, records } of files) {
    await readRecords(layout, file, records, first, labelIndex, classes.length, classFile, images, labels);
    first += records;
  }
  return { length, images, labels, classes };
}

/** `dir/<layout folder>` when it exists, else `dir` itself when it holds the first class file. */
async function locateFolder(fn: string, layout: CifarLayout, dir: string): Promise<string> {
  const nested = join(dir, layout.folder);
  if (await isDirectory(nested)) return nested;
  if (await isFile(join(dir, layout.classFiles[0]!))) return dir;
  throw new CifarFormatError(
    `${fn}: no ${layout.name} files in '${dir}': expected the folder '${nested}' (as the official tarball extracts) or a folder holding ${layout.classFiles[0]}`,
    nested,
  );
}

async function isDirectory(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined))?.isDirectory() ?? false;
}

async function isFile(path: string): Promise<boolean> {
  return (await stat(path).catch(() => undefined))?.isFile() ?? false;
}

/** Class names, one per line; blank lines (the official files end with some) are skipped. */
async function readClassNames(file: string): Promise<string[]> {
  const text = await readFile(file, 'utf8').catch((err: NodeJS.ErrnoException) => {
    throw new CifarFormatError(`${file}: cannot read the class names (${err.code ?? err.message}); expected one name per line`, file);
  });
  const names = text.split(/\r?\n/).map((line) => line.trim()).filter((line) => line.length > 0);
  if (names.length === 0 || names.length > 256) {
    throw new CifarFormatError(`${file}: ${names.length} class names; expected 1 to 256, one per line`, file);
  }
  return names;
}

/** The files of a split with their record counts, after checking sizes and the total. */
async function splitRecords(layout: CifarLayout, folder: string, train: boolean, expectedLength: number | null): Promise<{ file: string; records: number }[]> {
  const recordBytes = layout.labelBytes + IMAGE_BYTES;
  const names = train ? layout.trainFiles : layout.testFiles;
  const split = train ? 'train' : 'test';
  const files: { file: string; records: number }[] = [];
  for (const name of names) {
    const file = join(folder, name);
    const info = await stat(file).catch(() => undefined);
    if (!info?.isFile()) throw new CifarFormatError(`${file}: missing; expected the ${layout.name} ${split} file ${name}`, file);
    if (info.size % recordBytes !== 0) {
      throw new CifarFormatError(
        `${file}: ${info.size} bytes is not a whole number of ${recordBytes}-byte records; expected the ${layout.name} binary format (is the file truncated?)`,
        file,
      );
    }
    files.push({ file, records: info.size / recordBytes });
  }
  const total = files.reduce((sum, f) => sum + f.records, 0);
  if (expectedLength !== null && total !== expectedLength) {
    const perFile = expectedLength / files.length;
    const culprit = files.find((f) => f.records !== perFile);
    const counts = files.map((f) => `${f.records} in ${f.file}`).join(', ');
    throw new CifarFormatError(`${folder}: the ${split} split holds ${total} images (${counts}); expected ${expectedLength}`, culprit?.file ?? folder);
  }
  return files;
}

/** Records read per call: a few MB, so a 150 MB file never sits in memory twice. */
const CHUNK_RECORDS = 1024;

/** Reads `records` records of `file` into images/labels from index `first`, checking every label. */
async function readRecords(
  layout: CifarLayout,
  file: string,
  records: number,
  first: number,
  labelIndex: number,
  numClasses: number,
  classFile: string,
  images: Uint8Array,
  labels: Uint8Array,
): Promise<void> {
  const recordBytes = layout.labelBytes + IMAGE_BYTES;
  const chunk = Buffer.alloc(Math.min(records, CHUNK_RECORDS) * recordBytes);
  const handle = await open(file, 'r');
  try {
    for (let start = 0; start < records; start += CHUNK_RECORDS) {
      const count = Math.min(CHUNK_RECORDS, records - start);
      const bytes = count * recordBytes;
      const { bytesRead } = await handle.read(chunk, 0, bytes, start * recordBytes);
      if (bytesRead !== bytes) {
        throw new CifarFormatError(`${file}: ended at byte ${start * recordBytes + bytesRead} while ${records * recordBytes} were expected (did it change while being read?)`, file, start);
      }
      for (let r = 0; r < count; r++) {
        const at = r * recordBytes;
        const label = chunk[at + labelIndex]!;
        if (label >= numClasses) {
          throw new CifarFormatError(
            `${file}: record ${start + r} has label ${label}; expected a label below ${numClasses} (the classes in ${classFile})`,
            file,
            start + r,
          );
        }
        labels[first + start + r] = label;
        images.set(chunk.subarray(at + layout.labelBytes, at + recordBytes), (first + start + r) * IMAGE_BYTES);
      }
    }
  } finally {
    await handle.close();
  }
}
