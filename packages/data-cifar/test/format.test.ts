import { appendFile, readFile, rm, truncate, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { beforeAll, describe, expect, it } from 'vitest';

import { CifarArgumentError, CifarFormatError, type CifarDataset, loadCifar10, loadCifar100, syntheticCifar, writeCifarFiles } from '../src/index';
import { tempDir } from './helpers';

const recordOf = (set: CifarDataset, i: number): number[] => [set.labels[i]!, ...set.images.subarray(i * 3072, (i + 1) * 3072)];

/** A CIFAR-10 copy of `set` in a fresh folder, for tests that damage it. */
async function cifar10Copy(name: string, root: string, train: CifarDataset, test: CifarDataset): Promise<string> {
  const dir = join(root, name);
  await writeCifarFiles(dir, train);
  await writeCifarFiles(dir, test, { train: false });
  return join(dir, 'cifar-10-batches-bin');
}

async function expectFormatError(promise: Promise<unknown>, file: string, message: RegExp, record?: number): Promise<void> {
  const err = await promise.then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(CifarFormatError);
  expect((err as CifarFormatError).file).toBe(file);
  expect((err as CifarFormatError).record).toBe(record);
  expect((err as Error).message).toMatch(message);
  expect((err as Error).message).toContain(file);
}

describe('CIFAR-10 binary files', () => {
  let root: string;
  const train = syntheticCifar({ n: 53, seed: 1 });
  const test = syntheticCifar({ n: 17, seed: 1, start: 53 });
  beforeAll(async () => {
    root = await tempDir('format');
  });

  it('reads back what writeCifarFiles wrote: counts, labels, images, classes', async () => {
    const folder = await cifar10Copy('roundtrip', root, train, test);
    const back = await loadCifar10(join(root, 'roundtrip'), { expectedLength: 53 });
    expect(back.length).toBe(53);
    expect(back.labels).toEqual(train.labels);
    expect(Buffer.compare(Buffer.from(back.images), Buffer.from(train.images))).toBe(0);
    expect(back.classes).toEqual(train.classes);
    expect(back.images.buffer).toBeInstanceOf(SharedArrayBuffer);
    const backTest = await loadCifar10(folder, { train: false, expectedLength: 17 }); // the folder itself works too
    expect(backTest.labels).toEqual(test.labels);
  });

  it('writes the official layout: 5 train files of consecutive records, label byte first', async () => {
    const folder = await cifar10Copy('layout', root, train, test);
    const sizes = [];
    let first = 0;
    for (let k = 1; k <= 5; k++) {
      const bytes = await readFile(join(folder, `data_batch_${k}.bin`));
      expect(bytes.length % 3073).toBe(0);
      const records = bytes.length / 3073;
      sizes.push(records);
      expect([...bytes.subarray(0, 3073)]).toEqual(recordOf(train, first));
      first += records;
    }
    expect(sizes).toEqual([10, 11, 10, 11, 11]);
    expect((await readFile(join(folder, 'test_batch.bin'))).length).toBe(17 * 3073);
    expect((await readFile(join(folder, 'batches.meta.txt'), 'utf8')).split('\n').filter(Boolean)).toEqual(train.classes);
  });

  it('expects the real dataset sizes by default and accepts any with expectedLength: null', async () => {
    await cifar10Copy('sizes', root, train, test);
    const folder = join(root, 'sizes', 'cifar-10-batches-bin');
    await expectFormatError(loadCifar10(join(root, 'sizes')), join(folder, 'data_batch_1.bin'), /holds 53 images .*expected 50000/);
    await expectFormatError(loadCifar10(join(root, 'sizes'), { train: false }), join(folder, 'test_batch.bin'), /holds 17 images .*expected 10000/);
    expect((await loadCifar10(join(root, 'sizes'), { expectedLength: null })).length).toBe(53);
  });

  it('names a missing folder, a missing file and a missing class list', async () => {
    const folder = await cifar10Copy('missing', root, train, test);
    await expectFormatError(loadCifar10(join(root, 'nowhere')), join(root, 'nowhere', 'cifar-10-batches-bin'), /no CIFAR-10 files/);
    await rm(join(folder, 'data_batch_3.bin'));
    await expectFormatError(loadCifar10(join(root, 'missing'), { expectedLength: null }), join(folder, 'data_batch_3.bin'), /missing; expected the CIFAR-10 train file/);
    await rm(join(folder, 'batches.meta.txt'));
    await expectFormatError(loadCifar10(join(root, 'missing'), { train: false, expectedLength: null }), join(folder, 'batches.meta.txt'), /cannot read the class names/);
    // Without its class list, the folder itself is not recognised as one.
    await expectFormatError(loadCifar10(folder, { train: false }), join(folder, 'cifar-10-batches-bin'), /or a folder holding batches.meta.txt/);
  });

  it('names a truncated file and a file with extra bytes', async () => {
    const folder = await cifar10Copy('truncated', root, train, test);
    const file = join(folder, 'data_batch_2.bin');
    await truncate(file, 11 * 3073 - 100);
    await expectFormatError(loadCifar10(folder, { expectedLength: null }), file, /not a whole number of 3073-byte records/);
    const testFile = join(folder, 'test_batch.bin');
    await appendFile(testFile, Buffer.alloc(1));
    await expectFormatError(loadCifar10(folder, { train: false, expectedLength: null }), testFile, /52242 bytes is not a whole number/);
  });

  it('names the file and record of a label out of range', async () => {
    const folder = await cifar10Copy('label', root, train, test);
    const file = join(folder, 'data_batch_4.bin');
    const bytes = await readFile(file);
    bytes[5 * 3073] = 10; // record 5 of the file: label 10 of 10 classes
    await writeFile(file, bytes);
    await expectFormatError(loadCifar10(folder, { expectedLength: 53 }), file, /record 5 has label 10; expected a label below 10/, 5);
  });

  it('names an empty class list', async () => {
    const folder = await cifar10Copy('classes', root, train, test);
    await writeFile(join(folder, 'batches.meta.txt'), '\n\n');
    await expectFormatError(loadCifar10(folder, { expectedLength: 53 }), join(folder, 'batches.meta.txt'), /0 class names; expected 1 to 256/);
  });

  it('rejects bad arguments with the argument named', async () => {
    await expect(loadCifar10('')).rejects.toThrow(CifarArgumentError);
    await expect(loadCifar10(root, { expectedLength: -1 })).rejects.toThrow(/options.expectedLength must be an integer >= 0, got -1/);
    await expect(loadCifar100(root, { labels: 'medium' as 'fine' })).rejects.toThrow(/options.labels must be 'fine' or 'coarse', got 'medium'/);
    await expect(writeCifarFiles(root, { ...train, length: 52 })).rejects.toThrow(/dataset.images must be a Uint8Array of 52 × 3072 bytes/);
    const badLabels = new Uint8Array(train.labels);
    badLabels[7] = 12;
    await expect(writeCifarFiles(root, { ...train, labels: badLabels })).rejects.toThrow(/dataset.labels\[7\] must be below the class count 10, got 12/);
    await expect(writeCifarFiles(root, train, { layout: 'cifar100' })).rejects.toThrow(/options.coarse must be the coarse labels/);
  });
});

describe('CIFAR-100 binary files', () => {
  const fine = syntheticCifar({ n: 40, seed: 3, classes: 100 });
  const coarse = { labels: fine.labels.map((l) => Math.floor(l / 5)), classes: Array.from({ length: 20 }, (_, c) => `super-${c}`) };

  it('reads back fine and coarse labels written by writeCifarFiles', async () => {
    const dir = await tempDir('cifar100');
    const folder = await writeCifarFiles(dir, fine, { layout: 'cifar100', coarse });
    expect(folder).toBe(join(dir, 'cifar-100-binary'));
    const bytes = await readFile(join(folder, 'train.bin'));
    expect(bytes.length).toBe(40 * 3074);
    expect([bytes[3074]!, bytes[3075]!]).toEqual([coarse.labels[1], fine.labels[1]]);
    const back = await loadCifar100(dir, { expectedLength: 40 });
    expect(back.labels).toEqual(fine.labels);
    expect(back.classes).toEqual(fine.classes);
    expect(Buffer.compare(Buffer.from(back.images), Buffer.from(fine.images))).toBe(0);
    const backCoarse = await loadCifar100(dir, { expectedLength: 40, labels: 'coarse' });
    expect(backCoarse.labels).toEqual(coarse.labels);
    expect(backCoarse.classes).toEqual(coarse.classes);
  });

  it('checks each label against its own class list', async () => {
    const dir = await tempDir('cifar100-bad');
    const folder = await writeCifarFiles(dir, fine, { train: false, layout: 'cifar100', coarse });
    const file = join(folder, 'test.bin');
    const bytes = await readFile(file);
    bytes[3 * 3074] = 20; // coarse label of record 3
    await writeFile(file, bytes);
    expect((await loadCifar100(dir, { train: false, expectedLength: 40 })).length).toBe(40); // fine labels are fine
    await expectFormatError(loadCifar100(dir, { train: false, expectedLength: 40, labels: 'coarse' }), file, /record 3 has label 20; expected a label below 20/, 3);
  });
});
