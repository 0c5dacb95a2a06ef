// The CUDA device through the addon, where it is available (a GPU, or the emulated build:
// `pnpm test:cuda-emulated`): copies between the devices, kernels dispatched on the
// buffers' device, and CUDA failures as JS errors naming the call and the CUDA error.
import { describe, expect, it } from 'vitest';

import { BinaryOp, Conv2dOp, DeviceCode, DTypeCode, native, OptimFlag, OptimVariantCode, type BufferHandle } from '../src/index';

describe.runIf(native.cudaInfo().available)('the CUDA device', () => {
  it('copies host -> device -> device -> host, across the staging buffer size too', () => {
    const n = (5 << 20) / 4 + 3; // more than the 4 MiB staging buffer
    const host = Float32Array.from({ length: n }, (_, i) => i % 1000);
    const [a, b] = [native.alloc(DeviceCode.cuda, 4 * n), native.alloc(DeviceCode.cuda, 4 * n)];
    const back = native.alloc(DeviceCode.cpu, 4 * n);
    native.write(a, 0, host);
    native.copy(b, 0, a, 0, 4 * n);
    native.copy(back, 0, b, 0, 4 * n);
    const out = new Float32Array(n);
    native.read(back, 0, out);
    expect(out).toEqual(host);
    [a, b, back].forEach((h) => native.free(h));
  });

  it('runs a kernel on CUDA buffers and refuses a call that mixes devices, naming the argument', () => {
    const [a, out] = [native.alloc(DeviceCode.cuda, 12), native.alloc(DeviceCode.cuda, 12)];
    const onCpu = native.alloc(DeviceCode.cpu, 12);
    native.write(a, 0, Float32Array.of(1, 2, 3));
    native.binary(BinaryOp.mul, DTypeCode.float32, [3], out, 0, [1], a, 0, [1], a, 0, [1]);
    const result = new Float32Array(3);
    native.read(out, 0, result);
    expect(result).toEqual(Float32Array.of(1, 4, 9));
    expect(() => native.binary(BinaryOp.mul, DTypeCode.float32, [3], out, 0, [1], a, 0, [1], onCpu, 0, [1])).toThrow(
      /largebatch kernel 'binary': b \(argument 9\) is on 'cpu' but out \(argument 3\) is on 'cuda'/,
    );
    [a, out, onCpu].forEach((h) => native.free(h));
  });

  it('queues an optimizer step without waiting: optimCollect brings back its flags and NaN/Inf report, once', () => {
    const [w, g, m] = [0, 1, 2].map(() => native.alloc(DeviceCode.cuda, 8)) as [BufferHandle, BufferHandle, BufferHandle];
    native.write(w, 0, Float32Array.of(1, 2));
    native.write(g, 0, Float32Array.of(0.5, Number.NaN));
    const state = native.optimState(2);
    const flags = new Uint8Array(2);
    const step = () => native.optimStep(
      OptimVariantCode.sgd, Float64Array.of(0.1, 0.9, 0, 0, 0, 0, 0, 0), [w, w], [g, g], [m, m],
      Float64Array.of(0, 0, 0, 1, 1, 1, 1, 1), flags, null, 0, null, state,
    );
    expect(step()).toBe(-1); // tensor 1's NaN is not known yet
    expect(flags).toEqual(Uint8Array.of(0, 0));
    expect(() => step()).toThrow(/largebatch kernel 'optimStep': the previous step's report was not collected/);
    expect(native.optimCollect(state, flags)).toBe(1);
    expect(flags).toEqual(Uint8Array.of(OptimFlag.momentumReady, OptimFlag.nonFinite));
    expect(native.optimCollect(state, flags)).toBe(-1); // nothing pending
    const out = new Float32Array(2);
    native.read(w, 0, out);
    expect(out).toEqual(Float32Array.of(0.95, 2));
    native.optimStateFree(state);
    native.optimStateFree(state);
    expect(() => native.optimCollect(state, flags)).toThrow(/optimizer state was freed/);
    [w, g, m].forEach((h) => native.free(h));
  });

  it('counts the device bytes in use and their peak, with the peak reset to what is in use; empties the cache', () => {
    const before = native.cudaMemoryStats();
    const a = native.alloc(DeviceCode.cuda, 1000);
    const b = native.alloc(DeviceCode.cuda, 0); // the pool is asked for 1 byte
    expect(native.cudaMemoryStats().inUseBytes).toBe(before.inUseBytes + 1001);
    native.free(a);
    expect(native.cudaMemoryStats()).toEqual({ inUseBytes: before.inUseBytes + 1, peakBytes: Math.max(before.peakBytes, before.inUseBytes + 1001) });
    native.cudaResetPeakMemory();
    expect(native.cudaMemoryStats()).toEqual({ inUseBytes: before.inUseBytes + 1, peakBytes: before.inUseBytes + 1 });
    // A failed allocation counts nothing.
    expect(() => native.alloc(DeviceCode.cuda, 2 ** 52)).toThrow(/out of memory/);
    native.free(b);
    expect(native.cudaMemoryStats()).toEqual({ inUseBytes: before.inUseBytes, peakBytes: before.inUseBytes + 1 });
    native.cudaEmptyCache(); // waits for the stream; what is in use is not handed back
    expect(native.cudaMemoryStats().inUseBytes).toBe(before.inUseBytes);
  });

  it("counts conv2d backward weight's split-K workspace while it is in use, and frees it after", () => {
    // [3, 2, 33, 33] * [3, 2, 3, 3], padding 1: dw is one 64 x 64 tile over a depth of
    // 3 * 33 * 33, split 3 ways, so the workspace holds 3 partial dw of 3 * 18 float32.
    const shape = [3, 2, 33, 33, 3, 3, 3, 33, 33, 1, 1, 1, 1, 1, 1, 1];
    const [x, dy, dw, dbias] = [3 * 2 * 33 * 33, 3 * 3 * 33 * 33, 3 * 18, 3].map((n) => native.alloc(DeviceCode.cuda, 4 * n)) as [BufferHandle, BufferHandle, BufferHandle, BufferHandle];
    native.cudaResetPeakMemory();
    const before = native.cudaMemoryStats();
    native.conv2d(Conv2dOp.backwardWeight, DTypeCode.float32, shape, [x, dy, dw, null], [0, 0, 0, 0]);
    expect(native.cudaMemoryStats()).toEqual({ inUseBytes: before.inUseBytes, peakBytes: before.inUseBytes + 3 * 3 * 18 * 4 });
    native.cudaResetPeakMemory();
    native.conv2d(Conv2dOp.backwardWeight, DTypeCode.float32, shape, [x, dy, null, dbias], [0, 0, 0, 0]); // no GEMM, no workspace
    expect(native.cudaMemoryStats()).toEqual({ inUseBytes: before.inUseBytes, peakBytes: before.inUseBytes });
    [x, dy, dw, dbias].forEach((h) => native.free(h));
  });

  it('a failed CUDA call is a JS error naming the call and the CUDA error, and the next kernel is not blamed', () => {
    expect(() => native.alloc(DeviceCode.cuda, 2 ** 52)).toThrow(/largebatch kernel 'alloc': cudaMallocAsync.* failed: cudaErrorMemoryAllocation: out of memory/);
    const a = native.alloc(DeviceCode.cuda, 8);
    native.write(a, 0, Float32Array.of(2, 3));
    native.binary(BinaryOp.add, DTypeCode.float32, [2], a, 0, [1], a, 0, [1], a, 0, [1]);
    native.cudaSync();
    const result = new Float32Array(2);
    native.read(a, 0, result);
    expect(result).toEqual(Float32Array.of(4, 6));
    native.free(a);
  });
});
