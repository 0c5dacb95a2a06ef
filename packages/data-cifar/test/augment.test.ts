import { memory } from '@largebatch/tensor';
import { describe, expect, it } from 'vitest';

import { CIFAR10_NORMALIZATION, type CifarDataset, DataLoader, type Normalization, syntheticCifar } from '../src/index';
import { drawCropFlip } from '../src/augment/crop-flip';
import { epochOrder } from '../src/loader/epoch-order';
import { seedKey } from '../src/random/philox';
import { chiSquareCritical001, chiSquareUniform } from './helpers';

/**
 * torchvision's train transform written out the slow, obvious way: pad to 40×40 with zero
 * bytes, crop 32×32 at (top, left), mirror, ToTensor (x / 255 in float32), Normalize.
 */
function naiveTransform(image: Uint8Array, top: number, left: number, flip: boolean, norm: Normalization | null): Float32Array {
  const padded = new Uint8Array(3 * 40 * 40);
  for (let c = 0; c < 3; c++) for (let y = 0; y < 32; y++) for (let x = 0; x < 32; x++) padded[c * 1600 + (y + 4) * 40 + (x + 4)] = image[c * 1024 + y * 32 + x]!;
  const out = new Float32Array(3072);
  for (let c = 0; c < 3; c++) {
    for (let y = 0; y < 32; y++) {
      for (let x = 0; x < 32; x++) {
        const cropX = flip ? 31 - x : x;
        const byte = padded[c * 1600 + (y + top) * 40 + (cropX + left)]!;
        const scaled = Math.fround(byte / 255);
        out[c * 1024 + y * 32 + x] = norm ? Math.fround(Math.fround(scaled - Math.fround(norm.mean[c]!)) / Math.fround(norm.std[c]!)) : scaled;
      }
    }
  }
  return out;
}

async function collectEpoch(loader: DataLoader, epoch: number): Promise<{ images: Float32Array[]; labels: Int32Array[] }> {
  const images: Float32Array[] = [];
  const labels: Int32Array[] = [];
  for await (const batch of loader.epoch(epoch)) {
    expect(batch.images.dtype).toBe('float32');
    expect(batch.labels.dtype).toBe('int32');
    images.push(batch.images.data() as Float32Array);
    labels.push(batch.labels.data() as Int32Array);
    batch.images.dispose();
    batch.labels.dispose();
  }
  return { images, labels };
}

describe('augmentation', () => {
  const set = syntheticCifar({ n: 150, seed: 11 });

  for (const prefetch of [0, 2]) {
    it(`equals the naive transform for a fixed seed (prefetch ${prefetch})`, async () => {
      const seed = 1234;
      const norm: Normalization = { mean: [0.5, 0.4, 0.3], std: [0.25, 0.2, 0.3] };
      const loader = new DataLoader(set, { batchSize: 64, shuffle: true, augment: true, seed, prefetch, normalize: norm });
      for (const epoch of [0, 3]) {
        const { images, labels } = await collectEpoch(loader, epoch);
        expect(images.map((b) => b.length / 3072)).toEqual([64, 64, 22]);
        const order = epochOrder(150, seedKey(seed), epoch, true);
        let flips = 0;
        let padded = 0;
        for (let p = 0; p < 150; p++) {
          const index = order[p]!;
          const { top, left, flip } = drawCropFlip(seedKey(seed), epoch, index);
          flips += flip ? 1 : 0;
          padded += top !== 4 || left !== 4 ? 1 : 0;
          const want = naiveTransform(set.images.subarray(index * 3072, (index + 1) * 3072), top, left, flip, norm);
          const got = images[Math.floor(p / 64)]!.subarray((p % 64) * 3072, (p % 64 + 1) * 3072);
          expect(got).toEqual(want);
          expect(labels[Math.floor(p / 64)]![p % 64]).toBe(set.labels[index]);
        }
        // The comparison covered both kinds of view.
        expect(flips).toBeGreaterThan(40);
        expect(padded).toBeGreaterThan(100);
      }
      await loader.close();
    });
  }

  it('without augment is the plain normalised image, with the study figures by default', async () => {
    const loader = new DataLoader(set, { batchSize: 150, prefetch: 0 });
    const { images } = await collectEpoch(loader, 0);
    for (const i of [0, 77, 149]) {
      expect(images[0]!.subarray(i * 3072, (i + 1) * 3072)).toEqual(naiveTransform(set.images.subarray(i * 3072, (i + 1) * 3072), 4, 4, false, CIFAR10_NORMALIZATION));
    }
    const raw = new DataLoader(set, { batchSize: 150, prefetch: 0, normalize: false });
    const plain = (await collectEpoch(raw, 0)).images[0]!;
    expect(plain[5]).toBe(Math.fround(set.images[5]! / 255));
  });

  it('draws crop offsets and flips uniformly (chi-square), recovered from the batches', async () => {
    // Every image encodes its coordinates: red = 8·x, green = 8·y, blue = 255.
    const n = 20_000;
    const coordinates = new Uint8Array(3072);
    for (let y = 0; y < 32; y++) {
      for (let x = 0; x < 32; x++) {
        coordinates[y * 32 + x] = 8 * x;
        coordinates[1024 + y * 32 + x] = 8 * y;
        coordinates[2048 + y * 32 + x] = 255;
      }
    }
    const images = new Uint8Array(n * 3072);
    for (let i = 0; i < n; i++) images.set(coordinates, i * 3072);
    const dataset: CifarDataset = { length: n, images, labels: new Uint8Array(n), classes: ['only'] };
    const loader = new DataLoader(dataset, { batchSize: 500, shuffle: true, augment: true, seed: 5, normalize: false });
    const tops = new Array<number>(9).fill(0);
    const lefts = new Array<number>(9).fill(0);
    const flips = [0, 0];
    const joint = new Array<number>(162).fill(0);
    for await (const batch of loader) {
      const data = batch.images.data() as Float32Array;
      batch.images.dispose();
      batch.labels.dispose();
      for (let b = 0; b < data.length / 3072; b++) {
        const at = (c: number, y: number, x: number): number => Math.round(data[b * 3072 + c * 1024 + y * 32 + x]! * 255) / 8;
        // Output (16, 16) always comes from inside the image: source row 16 + top − 4, column (flip ? 15 : 16) + left − 4.
        const sourceX = at(0, 16, 16);
        const flip = at(0, 16, 17) < sourceX;
        const top = at(1, 16, 16) - 12;
        const left = sourceX - (flip ? 11 : 12);
        tops[top]! += 1;
        lefts[left]! += 1;
        flips[flip ? 1 : 0]! += 1;
        joint[(top * 9 + left) * 2 + (flip ? 1 : 0)]! += 1;
      }
    }
    await loader.close();
    expect(tops.reduce((a, b) => a + b)).toBe(n);
    expect(chiSquareUniform(tops)).toBeLessThan(chiSquareCritical001(8));
    expect(chiSquareUniform(lefts)).toBeLessThan(chiSquareCritical001(8));
    expect(chiSquareUniform(flips)).toBeLessThan(10.83);
    expect(chiSquareUniform(joint)).toBeLessThan(chiSquareCritical001(161));
  });

  it('leaks no tensor over an epoch', async () => {
    const before = memory().numTensors;
    const loader = new DataLoader(set, { batchSize: 32, shuffle: true, augment: true });
    for await (const { images, labels } of loader) {
      expect(memory().numTensors).toBe(before + 2);
      images.dispose();
      labels.dispose();
    }
    expect(memory().numTensors).toBe(before);
    await loader.close();
  });
});
