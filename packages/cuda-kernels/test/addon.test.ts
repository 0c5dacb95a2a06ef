import { describe, expect, it } from 'vitest';

import { BinaryOp, DTypeCode, DeviceCode, ReduceOp, UnaryOp, getNumThreads, native, setNumThreads } from '../src/index';

function f32Buffer(values: number[]) {
  const b = native.alloc(DeviceCode.cpu, values.length * 4);
  native.write(b, 0, new Float32Array(values));
  return b;
}

function readF32(b: ReturnType<typeof native.alloc>, n: number): number[] {
  const out = new Float32Array(n);
  native.read(b, 0, out);
  return Array.from(out);
}

describe('the native addon', () => {
  it('writes, reads and copies buffers', () => {
    const a = f32Buffer([1, 2, 3, 4]);
    const b = native.alloc(DeviceCode.cpu, 16);
    native.copy(b, 4, a, 0, 12);
    native.copy(b, 0, a, 12, 4);
    expect(readF32(b, 4)).toEqual([4, 1, 2, 3]);
    native.free(a);
    native.free(b);
  });

  it('reads and writes typed arrays over a SharedArrayBuffer', () => {
    const b = native.alloc(DeviceCode.cpu, 8);
    const shared = new Float32Array(new SharedArrayBuffer(16), 8, 2);
    shared.set([5, 6]);
    native.write(b, 0, shared);
    expect(readF32(b, 2)).toEqual([5, 6]);
    native.free(b);
  });

  it('runs a strided binary kernel with a broadcast operand', () => {
    const a = f32Buffer([1, 2, 3, 4, 5, 6]);
    const b = f32Buffer([10, 20, 30]);
    const out = native.alloc(DeviceCode.cpu, 24);
    // out[i, j] = a[j, i] + b[j] over shape [2, 3], reading a transposed.
    native.binary(BinaryOp.add, DTypeCode.float32, [2, 3], out, 0, [3, 1], a, 0, [1, 2], b, 0, [0, 1]);
    expect(readF32(out, 6)).toEqual([11, 23, 35, 12, 24, 36]);
    [a, b, out].forEach((x) => native.free(x));
  });

  it('turns bad calls into JS errors naming the kernel, never a crash', () => {
    const a = f32Buffer([1, 2]);
    expect(() => native.read(a, 4, new Float32Array(2))).toThrow(/kernel 'read': read range \[4, 12\) is outside a buffer of 8 bytes/);
    expect(() => native.unary(UnaryOp.exp, 0, 0, [4], a, 0, [1], a, 0, [1], 0, 0)).toThrow(/kernel 'unary': strided view .* outside a buffer of 2 elements/);
    expect(() => native.unary(99, 0, 0, [2], a, 0, [1], a, 0, [1], 0, 0)).toThrow(/unknown unary op 99/);
    expect(() => native.reduce(ReduceOp.sum, 7, 1, 2, 1, a, 0, a)).toThrow(/unknown dtype code 7/);
    expect(() => native.alloc(DeviceCode.cpu, -1)).toThrow(/negative size/);
    expect(() => native.binary(BinaryOp.add, 0, [2], a, 0, [1], a, 0, [1], {} as never, 0, [1])).toThrow(/must be a buffer handle/);
    native.free(a);
    expect(() => native.read(a, 0, new Float32Array(1))).toThrow(/freed buffer/);
    expect(() => native.free(a)).not.toThrow();
  });

  it('sizes the thread pool and rejects a bad size', () => {
    const n = getNumThreads();
    setNumThreads(1);
    expect(getNumThreads()).toBe(1);
    setNumThreads(n);
    expect(getNumThreads()).toBe(n);
    expect(() => setNumThreads(0)).toThrow(/positive integer, got 0/);
  });

  it('reports the CPU features and the CUDA state with a reason', () => {
    expect(['avx512', 'avx2', 'portable']).toContain(native.cpuInfo().simd);
    const info = native.cudaInfo();
    if (!info.available) {
      expect(info.reason).toMatch(info.built ? /CUDA runtime error|no CUDA device/ : /built without CUDA/);
      expect(() => native.alloc(DeviceCode.cuda, 16)).toThrow(/kernel 'alloc': (CUDA is unavailable|built without CUDA)/);
      expect(() => native.cudaSync()).toThrow(/cudaSync/);
      expect(native.cudaMemoryStats()).toEqual({ inUseBytes: 0, peakBytes: 0 });
    }
  });
});
