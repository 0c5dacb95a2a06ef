// The loader's `device` option: batches on each device of testing.testDevices() ('cuda' too
// where it is available, e.g. under `pnpm test:cuda-emulated`) hold the same values as on
// the CPU, whichever side transforms the images, and an unavailable device is refused when
// the loader is made.
import { cuda, CudaUnavailableError, memory, testing } from '@largebatch/tensor';
import { describe, expect, it } from 'vitest';

import { DataLoader, syntheticCifar } from '../src/index';

const set = syntheticCifar({ n: 40, seed: 3 });

/** Every batch of one epoch as host arrays, checking the tensors' device and freeing them. */
async function epoch(loader: DataLoader, device: string): Promise<{ images: number[]; labels: number[] }> {
  const images: number[] = [];
  const labels: number[] = [];
  for await (const batch of loader) {
    expect(batch.images.device).toBe(device);
    expect(batch.labels.device).toBe(device);
    images.push(...batch.images.data());
    labels.push(...batch.labels.data());
    batch.images.dispose();
    batch.labels.dispose();
  }
  return { images, labels };
}

testing.describeEachDevice(describe, 'DataLoader device option', (device) => {
  it('gives batches on the device with the values of the CPU loader (augmented, shuffled)', async () => {
    const before = memory();
    const options = { batchSize: 16, shuffle: true, augment: true, seed: 5 };
    const onCpu = new DataLoader(set, options);
    const onDevice = new DataLoader(set, { ...options, device });
    const expected = await epoch(onCpu, 'cpu');
    const got = await epoch(onDevice, device);
    expect(got.labels).toEqual(expected.labels);
    expect(got.images).toEqual(expected.images);
    await onCpu.close();
    await onDevice.close();
    expect(memory()).toEqual(before);
  });

  it("transformOn 'device' gives the batches of the worker's transform, bit for bit, for every normalisation and a partial last batch", async () => {
    const before = memory();
    const normalizations = [true, false, { mean: [0.3, 0.5, 0.7], std: [0.9, 0.25, 0.4] }] as const;
    for (const normalize of normalizations) {
      for (const prefetch of [0, 2]) {
        const options = { batchSize: 12, shuffle: true, augment: normalize !== false, seed: 9, normalize, prefetch, device };
        const onWorker = new DataLoader(set, options);
        const onDevice = new DataLoader(set, { ...options, transformOn: 'device' });
        const expected = await epoch(onWorker, device);
        const got = await epoch(onDevice, device);
        expect(got.labels).toEqual(expected.labels);
        expect(got.images).toEqual(expected.images);
        await onWorker.close();
        await onDevice.close();
      }
    }
    expect(memory()).toEqual(before);
  });
});

describe('DataLoader transformOn', () => {
  it("refuses anything but 'worker' or 'device', naming the option", () => {
    // @ts-expect-error: not a TransformOn
    expect(() => new DataLoader(set, { batchSize: 8, transformOn: 'gpu' })).toThrow(/DataLoader: options.transformOn must be 'worker' or 'device', got 'gpu'/);
  });
});

describe.runIf(!cuda.isAvailable())('DataLoader without CUDA', () => {
  it("refuses device 'cuda' when it is made, giving the reason", () => {
    expect(() => new DataLoader(set, { batchSize: 8, device: 'cuda' })).toThrow(CudaUnavailableError);
    expect(() => new DataLoader(set, { batchSize: 8, device: 'cuda' })).toThrow(/DataLoader: options.device is 'cuda' but CUDA is unavailable: /);
  });
});
