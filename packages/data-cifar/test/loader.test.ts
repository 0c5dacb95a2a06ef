import { memory } from '@largebatch/tensor';
import { describe, expect, it } from 'vitest';

import { CifarArgumentError, CifarError, type CifarDataset, DataLoader } from '../src/index';
import { chiSquareCritical001, chiSquareUniform } from './helpers';

/** n images whose first byte is their index mod 256 and label their index mod 10. */
function numbered(n: number): CifarDataset {
  const images = new Uint8Array(n * 3072);
  for (let i = 0; i < n; i++) images[i * 3072] = i % 256;
  return { length: n, images, labels: Uint8Array.from({ length: n }, (_, i) => i % 10), classes: Array.from({ length: 10 }, (_, c) => `c${c}`) };
}

/** The order an epoch visits a `numbered` set in (first bytes, normalize off), and the batch sizes. */
async function visit(batches: AsyncIterable<{ images: { data(): unknown; shape: readonly number[]; dispose(): void }; labels: { data(): unknown; shape: readonly number[]; dispose(): void } }>) {
  const order: number[] = [];
  const sizes: number[] = [];
  for await (const { images, labels } of batches) {
    const data = images.data() as Float32Array;
    const lab = labels.data() as Int32Array;
    sizes.push(images.shape[0]!);
    expect(images.shape).toEqual([images.shape[0], 3, 32, 32]);
    expect(labels.shape).toEqual([images.shape[0]]);
    for (let b = 0; b < lab.length; b++) {
      const index = Math.round(data[b * 3072]! * 255);
      expect(lab[b]).toBe(index % 10);
      order.push(index);
    }
    images.dispose();
    labels.dispose();
  }
  return { order, sizes };
}

describe('DataLoader', () => {
  const set = numbered(250);

  it('visits every image once per epoch, in dataset order without shuffle, keeping the last partial batch', async () => {
    const loader = new DataLoader(set, { batchSize: 64, normalize: false });
    expect(loader.length).toBe(4);
    const { order, sizes } = await visit(loader);
    expect(sizes).toEqual([64, 64, 64, 58]);
    expect(order).toEqual(Array.from({ length: 250 }, (_, i) => i));
    await loader.close();
  });

  it('drops the last partial batch with dropLast', async () => {
    const loader = new DataLoader(set, { batchSize: 64, dropLast: true, shuffle: true, normalize: false });
    expect(loader.length).toBe(3);
    const { order, sizes } = await visit(loader);
    expect(sizes).toEqual([64, 64, 64]);
    expect(new Set(order).size).toBe(192);
    await loader.close();
  });

  it('shuffles differently each epoch, the same for the same seed and epoch, whatever the prefetch', async () => {
    const a = new DataLoader(set, { batchSize: 100, shuffle: true, seed: 7, normalize: false });
    const b = new DataLoader(set, { batchSize: 100, shuffle: true, seed: 7, normalize: false, prefetch: 0 });
    const other = new DataLoader(set, { batchSize: 100, shuffle: true, seed: 8, normalize: false });
    const e0 = (await visit(a)).order; // plain iteration k runs epoch k
    const e1 = (await visit(a)).order;
    expect([...e0].sort((x, y) => x - y)).toEqual(Array.from({ length: 250 }, (_, i) => i));
    expect(e1).not.toEqual(e0);
    expect((await visit(b.epoch(1))).order).toEqual(e1);
    expect((await visit(b.epoch(0))).order).toEqual(e0);
    expect((await visit(a.epoch(0))).order).toEqual(e0);
    expect((await visit(other.epoch(0))).order).not.toEqual(e0);
    await Promise.all([a.close(), b.close(), other.close()]);
  });

  it('shuffles uniformly: where an image lands is uniform over positions (chi-square)', async () => {
    const small = numbered(8);
    const loader = new DataLoader(small, { batchSize: 8, shuffle: true, seed: 3, normalize: false, prefetch: 0 });
    const firstImage = new Array<number>(8).fill(0);
    const positionOfLast = new Array<number>(8).fill(0);
    for (let epoch = 0; epoch < 1600; epoch++) {
      const { order } = await visit(loader.epoch(epoch));
      firstImage[order[0]!]! += 1;
      positionOfLast[order.indexOf(7)]! += 1;
    }
    expect(chiSquareUniform(firstImage)).toBeLessThan(chiSquareCritical001(7));
    expect(chiSquareUniform(positionOfLast)).toBeLessThan(chiSquareCritical001(7));
  });

  it('can be left early and iterated again, leaking nothing', async () => {
    const before = memory().numTensors;
    const loader = new DataLoader(set, { batchSize: 10, shuffle: true, normalize: false, prefetch: 3 });
    let seen = 0;
    for await (const { images, labels } of loader.epoch(0)) {
      images.dispose();
      labels.dispose();
      if (++seen === 2) break;
    }
    expect(memory().numTensors).toBe(before);
    const { order } = await visit(loader.epoch(1));
    expect(order.length).toBe(250);
    const fresh = new DataLoader(set, { batchSize: 10, shuffle: true, normalize: false, prefetch: 0 });
    expect((await visit(fresh.epoch(1))).order).toEqual(order);
    expect(memory().numTensors).toBe(before);
    await loader.close();
  });

  it('runs one epoch at a time, and starts a new worker after close()', async () => {
    const loader = new DataLoader(set, { batchSize: 50, normalize: false });
    const first = loader.epoch(0)[Symbol.asyncIterator]();
    const batch = await first.next();
    await expect(loader.epoch(1)[Symbol.asyncIterator]().next()).rejects.toThrow(CifarError);
    await expect(loader.epoch(1)[Symbol.asyncIterator]().next()).rejects.toThrow(/epoch 1 was started while epoch 0 is still being iterated/);
    if (!batch.done) {
      batch.value.images.dispose();
      batch.value.labels.dispose();
    }
    await first.return?.();
    await loader.close();
    expect((await visit(loader)).sizes).toEqual([50, 50, 50, 50, 50]);
    await loader.close();
  });

  it('copies a dataset that is not in shared memory for its worker', async () => {
    expect(set.images.buffer).toBeInstanceOf(ArrayBuffer);
    const loader = new DataLoader(set, { batchSize: 125, normalize: false, prefetch: 1 });
    expect((await visit(loader)).order.length).toBe(250);
    await loader.close();
  });

  it('rejects bad options with the option named', () => {
    const bad = (options: object, message: RegExp): void => {
      expect(() => new DataLoader(set, options as never)).toThrow(CifarArgumentError);
      expect(() => new DataLoader(set, options as never)).toThrow(message);
    };
    bad({}, /options.batchSize must be an integer >= 1, got undefined/);
    bad({ batchSize: 0 }, /options.batchSize must be an integer >= 1, got 0/);
    bad({ batchSize: 8, seed: 0.5 }, /options.seed must be an integer >= 0, got 0.5/);
    bad({ batchSize: 8, shuffle: 'yes' }, /options.shuffle must be true or false, got 'yes'/);
    bad({ batchSize: 8, device: 'tpu' }, /options.device must be 'cpu' or 'cuda', got 'tpu'/);
    bad({ batchSize: 8, prefetch: 100 }, /options.prefetch must be an integer in \[0, 64\], got 100/);
    bad({ batchSize: 8, normalize: { mean: [0, 0], std: [1, 1, 1] } }, /options.normalize must be true, false or \{ mean/);
    bad({ batchSize: 8, normalize: { mean: [0, 0, 0], std: [1, 0, 1] } }, /positive stds/);
    expect(() => new DataLoader({ ...set, length: 3 }, { batchSize: 8 })).toThrow(/dataset.images must be a Uint8Array of 3 × 3072 bytes/);
    const loader = new DataLoader(set, { batchSize: 8 });
    expect(() => loader.epoch(-1)).toThrow(/DataLoader.epoch: epoch must be an integer in \[0, 4294967295\], got -1/);
  });
});
