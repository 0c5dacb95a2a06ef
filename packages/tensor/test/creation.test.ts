import { describe, expect, it } from 'vitest';

import {
  ArgumentError, CudaUnavailableError, DTypeError, DeviceError, ShapeError, arange, cuda, full, getRngState, manualSeed,
  ones, rand, randn, setNumThreads, getNumThreads, setRngState, tensor, tidy, zeros,
} from '../src/index';

describe('creation and read-back', () => {
  it('tensor() takes nested arrays, typed arrays and numbers', () => {
    tidy(() => {
      const a = tensor([[1, 2, 3], [4, 5, 6]]);
      expect(a.shape).toEqual([2, 3]);
      expect(a.dtype).toBe('float32');
      expect(a.toArray()).toEqual([[1, 2, 3], [4, 5, 6]]);
      expect(tensor(new Int32Array([1, 2, 3, 4]), { shape: [2, 2] }).toArray()).toEqual([[1, 2], [3, 4]]);
      expect(tensor(new Float64Array([0.1])).dtype).toBe('float64');
      expect(tensor(3.5).toArray()).toBe(3.5);
      expect(tensor(3.5).item()).toBe(3.5);
      expect(tensor([true, false], { dtype: 'uint8' }).toArray()).toEqual([1, 0]);
      expect(tensor([1.7, -2.2], { dtype: 'int32' }).toArray()).toEqual([1, -2]);
      expect(Array.from(tensor([1, 2]).data())).toEqual([1, 2]);
      expect(tensor([[]]).shape).toEqual([1, 0]);
      const shared = new Uint8Array(new SharedArrayBuffer(4));
      shared.set([1, 2, 3, 4]);
      expect(tensor(shared, { shape: [2, 2] }).toArray()).toEqual([[1, 2], [3, 4]]);
    });
  });

  it('zeros, ones, full and arange', () => {
    tidy(() => {
      expect(zeros([2]).toArray()).toEqual([0, 0]);
      expect(ones([1, 2], { dtype: 'float64' }).dtype).toBe('float64');
      expect(full([2], 7, { dtype: 'int32' }).toArray()).toEqual([7, 7]);
      expect(arange(2, 8, 2).toArray()).toEqual([2, 4, 6]);
      expect(arange(3).dtype).toBe('int32');
      expect(arange(0, 1, 0.25).dtype).toBe('float32');
    });
  });

  it('randn and rand are reproducible from manualSeed and have the right statistics', () => {
    tidy(() => {
      manualSeed(123);
      const a = randn([20000]);
      const state = getRngState();
      const c = rand([10], { low: 2, high: 3 });
      manualSeed(123);
      const b = randn([20000]);
      expect(Array.from(b.data())).toEqual(Array.from(a.data()));
      setRngState(state);
      expect(Array.from(rand([10], { low: 2, high: 3 }).data())).toEqual(Array.from(c.data()));
      const mean = a.mean().item();
      const std = a.sub(mean).pow(2).mean().sqrt().item();
      expect(Math.abs(mean)).toBeLessThan(0.03);
      expect(Math.abs(std - 1)).toBeLessThan(0.03);
      const u = rand([20000]).data();
      expect(Math.min(...u)).toBeGreaterThanOrEqual(0);
      expect(Math.max(...u)).toBeLessThan(1);
      expect(Array.from(c.data()).every((v) => v >= 2 && v < 3)).toBe(true);
    });
  });

  it('random numbers do not depend on the thread count', () => {
    tidy(() => {
      const n = getNumThreads();
      setNumThreads(1);
      manualSeed(5);
      const one = randn([50001]).data();
      setNumThreads(2);
      manualSeed(5);
      const two = randn([50001]).data();
      setNumThreads(n);
      expect(Array.from(two)).toEqual(Array.from(one));
    });
  });

  it('bad arguments get typed errors naming the argument and the value', () => {
    expect(() => zeros([2, -1])).toThrow(ShapeError);
    expect(() => zeros([2, -1])).toThrow(/shape must be an array of non-negative integers, got \[2, -1\]/);
    expect(() => zeros([2], { dtype: 'int64' as never })).toThrow(DTypeError);
    expect(() => zeros([2], { device: 'tpu' as never })).toThrow(DeviceError);
    expect(() => tensor([[1, 2], [3]])).toThrow(/ragged/);
    expect(() => tensor([1, 2, 3], { shape: [2, 2] })).toThrow(/a shape with 3 elements/);
    expect(() => randn([2], { dtype: 'int32' })).toThrow(DTypeError);
    expect(() => arange(0, 5, 0)).toThrow(ArgumentError);
    expect(() => manualSeed(-1)).toThrow(/seed must be a non-negative safe integer, got -1/);
    expect(() => tensor([1], { dtype: 'int32', requiresGrad: true })).toThrow(/requiresGrad/);
    expect(() => tidy(() => tensor([1, 2]).item())).toThrow(/one-element/);
  });

  it('without a GPU, cuda reports why and device "cuda" fails with CudaUnavailableError', () => {
    if (cuda.isAvailable()) return; // this check is about machines without a GPU
    expect(cuda.reason().length).toBeGreaterThan(10);
    expect(cuda.reason()).toMatch(cuda.isBuilt() ? /CUDA runtime error|no CUDA device/ : /built without CUDA/);
    expect(() => zeros([2], { device: 'cuda' })).toThrow(CudaUnavailableError);
    tidy(() => expect(() => ones([2]).to('cuda')).toThrow(/CUDA is unavailable: /));
    expect(() => cuda.synchronize()).toThrow(CudaUnavailableError);
    expect(cuda.memoryStats()).toEqual({ inUse: 0, peak: 0 });
    expect(() => cuda.resetPeakMemory()).not.toThrow();
    expect(() => cuda.emptyCache()).not.toThrow();
  });
});
