// Device 'cuda' where it is available (a GPU, or the emulated addon: LARGEBATCH_CUDA_EMULATE=1,
// run by `pnpm test:cuda-emulated` from the repo root): moves between devices with
// autograd, creation on the device, the same random numbers, memory accounting, and the
// errors for mixed devices and bad indices. Skipped where CUDA is unavailable
// (creation.test.ts checks the error there).
import { describe, expect, it } from 'vitest';

import {
  DeviceError, cuda, indexSelect, manualSeed, matmul, memory, ones, rand, randn, tensor, testing, tidy, zeros,
} from '../src/index';

const { expectClose, expectNoLeaks } = testing;

describe.runIf(cuda.isAvailable())('device cuda', () => {
  it("testDevices() lists 'cpu' then 'cuda'; cuda.reason() says what runs it", () => {
    expect(testing.testDevices()).toEqual(['cpu', 'cuda']);
    expect(cuda.isBuilt()).toBe(true);
    expect(cuda.reason().length).toBeGreaterThan(5);
  });

  it("to('cuda') and to('cpu') copy the values; the gradient flows back across each copy", () => {
    tidy(() => {
      const x = tensor([[1, -2, 3], [4, 5, -6]], { requiresGrad: true });
      const onDevice = x.to('cuda');
      expect(onDevice.device).toBe('cuda');
      expect(onDevice.toArray()).toEqual([[1, -2, 3], [4, 5, -6]]);
      // y = sum((x_cuda * 2)^2 on the CPU): dy/dx = 8 x, back through both copies.
      const y = onDevice.mul(2).to('cpu').pow(2).sum();
      y.backward();
      expect(x.grad!.device).toBe('cpu');
      expect(x.grad!.toArray()).toEqual([[8, -16, 24], [32, 40, -48]]);
      const back = onDevice.permute([1, 0]).to('cpu'); // a strided view copies contiguous
      expect(back.toArray()).toEqual([[1, 4], [-2, 5], [3, -6]]);
      expect(onDevice.to('cuda')).toBe(onDevice);
    });
  });

  it('creates tensors on the device, and randn / rand draw the same Philox numbers as on the CPU', () => {
    tidy(() => {
      expect(zeros([2, 2], { device: 'cuda' }).toArray()).toEqual([[0, 0], [0, 0]]);
      expect(ones([3], { device: 'cuda', dtype: 'int32' }).toArray()).toEqual([1, 1, 1]);
      for (const draw of [(d: 'cpu' | 'cuda') => randn([1000], { device: d }), (d: 'cpu' | 'cuda') => rand([257], { device: d, dtype: 'float64', low: -1, high: 3 })]) {
        manualSeed(11);
        const onCpu = draw('cpu');
        manualSeed(11);
        const onCuda = draw('cuda');
        expect(onCuda.device).toBe('cuda');
        expectClose(onCuda, onCpu, { rtol: 1e-6, atol: 1e-6 });
      }
    });
  });

  it('memory() counts tensors and bytes on both devices; a copy leaks nothing', () => {
    const before = memory();
    const a = zeros([4, 8], { device: 'cuda' });
    expect(memory().numTensors).toBe(before.numTensors + 1);
    expect(memory().numBytes).toBe(before.numBytes + 128);
    expectNoLeaks(() => tidy(() => a.to('cpu').to('cuda').add(1).toArray()));
    a.dispose();
    expect(memory()).toEqual(before);
  });

  it('cuda.memoryStats() counts device bytes in use and their peak; resetPeakMemory() restarts the peak; emptyCache() keeps what is in use', () => {
    cuda.synchronize();
    const before = cuda.memoryStats();
    expect(before.peak).toBeGreaterThanOrEqual(before.inUse);
    const a = zeros([1000], { device: 'cuda' });
    const b = zeros([10, 50], { device: 'cuda', dtype: 'float64' });
    expect(cuda.memoryStats().inUse).toBe(before.inUse + 4000 + 4000);
    a.dispose();
    expect(cuda.memoryStats().inUse).toBe(before.inUse + 4000);
    expect(cuda.memoryStats().peak).toBeGreaterThanOrEqual(before.inUse + 8000);
    cuda.resetPeakMemory();
    expect(cuda.memoryStats()).toEqual({ inUse: before.inUse + 4000, peak: before.inUse + 4000 });
    // An op's temporaries raise the peak, and are gone after it.
    tidy(() => b.add(1).mul(2).sum().item());
    expect(cuda.memoryStats().inUse).toBe(before.inUse + 4000);
    expect(cuda.memoryStats().peak).toBeGreaterThan(before.inUse + 4000);
    b.dispose();
    expect(cuda.memoryStats().inUse).toBe(before.inUse);
    // Only cached free memory goes back to the device: what is in use stays, and stays valid.
    const c = tensor([1, 2, 3], { device: 'cuda' });
    cuda.emptyCache();
    expect(cuda.memoryStats().inUse).toBe(before.inUse + 12);
    expect(c.toArray()).toEqual([1, 2, 3]);
    c.dispose();
  });

  it('an op on tensors of two devices fails with a DeviceError naming both arguments', () => {
    tidy(() => {
      const a = randn([2, 3], { device: 'cuda' });
      const b = randn([3, 2]);
      expect(() => matmul(a, b)).toThrow(DeviceError);
      expect(() => matmul(a, b)).toThrow(/matmul: b is on 'cpu' but a is on 'cuda'/);
      expect(() => a.add(randn([2, 3]))).toThrow(/b is on 'cpu' but a is on 'cuda'/);
      expect(() => indexSelect(a, 0, tensor([1], { dtype: 'int32' }))).toThrow(/index is on 'cpu' but x is on 'cuda'/);
    });
  });

  it('a bad index on the device fails like on the CPU, naming the kernel, and writes nothing', () => {
    tidy(() => {
      const x = randn([3, 2], { device: 'cuda' });
      const index = tensor([0, 7, 1], { dtype: 'int32', device: 'cuda' });
      expect(() => indexSelect(x, 0, index)).toThrow(/indexSelect.*index 7 at position 1 is out of range for a dimension of size 3/);
    });
  });
});
