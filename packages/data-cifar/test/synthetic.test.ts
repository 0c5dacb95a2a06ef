import { describe, expect, it } from 'vitest';

import { CifarArgumentError, syntheticCifar } from '../src/index';
import { chiSquareCritical001, chiSquareUniform } from './helpers';

describe('syntheticCifar', () => {
  it('is the same for the same seed, different for another, and extends by n and start', () => {
    const a = syntheticCifar({ n: 30, seed: 4 });
    const b = syntheticCifar({ n: 30, seed: 4 });
    const c = syntheticCifar({ n: 30, seed: 5 });
    expect(Buffer.compare(Buffer.from(a.images), Buffer.from(b.images))).toBe(0);
    expect(a.labels).toEqual(b.labels);
    expect(Buffer.compare(Buffer.from(a.images), Buffer.from(c.images))).not.toBe(0);
    const longer = syntheticCifar({ n: 40, seed: 4 });
    expect(longer.images.subarray(0, 30 * 3072)).toEqual(a.images);
    const tail = syntheticCifar({ n: 10, seed: 4, start: 30 });
    expect(tail.images).toEqual(longer.images.subarray(30 * 3072));
    expect(tail.labels).toEqual(longer.labels.subarray(30));
  });

  it('has the dataset shape, uniform labels and varied pixels', () => {
    const set = syntheticCifar({ n: 2000, seed: 0, classes: 7 });
    expect(set.length).toBe(2000);
    expect(set.images.length).toBe(2000 * 3072);
    expect(set.classes).toEqual(['synthetic-0', 'synthetic-1', 'synthetic-2', 'synthetic-3', 'synthetic-4', 'synthetic-5', 'synthetic-6']);
    const counts = new Array<number>(7).fill(0);
    for (const label of set.labels) counts[label]! += 1;
    expect(chiSquareUniform(counts)).toBeLessThan(chiSquareCritical001(6));
    const distinct = new Set(set.images.subarray(0, 3072));
    expect(distinct.size).toBeGreaterThan(50);
  });

  it('is learnable: a nearest-class-mean classifier far beats chance on held-out images', () => {
    const classes = 10;
    const train = syntheticCifar({ n: 2000, seed: 9, classes });
    const test = syntheticCifar({ n: 500, seed: 9, classes, start: 2000 });
    const means = Array.from({ length: classes }, () => new Float64Array(3072));
    const counts = new Array<number>(classes).fill(0);
    for (let i = 0; i < train.length; i++) {
      const mean = means[train.labels[i]!]!;
      counts[train.labels[i]!]! += 1;
      for (let p = 0; p < 3072; p++) mean[p]! += train.images[i * 3072 + p]!;
    }
    means.forEach((mean, c) => mean.forEach((v, p) => (mean[p] = v / counts[c]!)));
    let correct = 0;
    for (let i = 0; i < test.length; i++) {
      let best = -1;
      let bestDistance = Infinity;
      means.forEach((mean, c) => {
        let d = 0;
        for (let p = 0; p < 3072; p++) d += (test.images[i * 3072 + p]! - mean[p]!) ** 2;
        if (d < bestDistance) [best, bestDistance] = [c, d];
      });
      if (best === test.labels[i]) correct += 1;
    }
    expect(correct / test.length).toBeGreaterThan(0.5); // chance is 0.1
  });

  it('rejects bad options with the option named', () => {
    expect(() => syntheticCifar({ n: -1 })).toThrow(CifarArgumentError);
    expect(() => syntheticCifar({ n: 1.5 })).toThrow(/options.n must be an integer in \[0, 4294967295\], got 1.5/);
    expect(() => syntheticCifar({ n: 1, classes: 300 })).toThrow(/options.classes must be an integer in \[1, 256\], got 300/);
    expect(() => syntheticCifar({ n: 1, seed: -2 })).toThrow(/options.seed must be an integer >= 0, got -2/);
  });
});
