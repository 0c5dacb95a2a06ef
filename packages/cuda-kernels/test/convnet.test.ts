/**
 * The convnet bindings (src/addon/bind_convnet.cc) at the addon level: a small exact case
 * of each family, and every way a caller could make a kernel read or write out of bounds
 * refused with an error naming the kernel and the tensor. (Values on random shapes are
 * tested through @largebatch/tensor against references and PyTorch fixtures.)
 */
import { afterEach, describe, expect, it } from 'vitest';

import {
  ActivationOp, BatchNormOp, Conv2dOp, DTypeCode, DeviceCode, PoolMode, PoolOp, native, type BufferHandle,
} from '../src/index';

const live: BufferHandle[] = [];

function f32(values: number[] | number): BufferHandle {
  const data = typeof values === 'number' ? new Float32Array(values) : new Float32Array(values);
  const b = native.alloc(DeviceCode.cpu, data.length * 4);
  if (data.length > 0) native.write(b, 0, data);
  live.push(b);
  return b;
}

function i32(values: number[]): BufferHandle {
  const b = native.alloc(DeviceCode.cpu, values.length * 4);
  native.write(b, 0, new Int32Array(values));
  live.push(b);
  return b;
}

function read(b: BufferHandle, n: number): number[] {
  const out = new Float32Array(n);
  native.read(b, 0, out);
  return Array.from(out);
}

afterEach(() => {
  live.splice(0).forEach((b) => native.free(b));
});

// x [1, 1, 3, 3] with a 2x2 kernel, stride 1, no padding: y [1, 1, 2, 2].
const conv = [1, 1, 3, 3, 1, 2, 2, 2, 2, 1, 1, 0, 0, 1, 1, 1];
const F32 = DTypeCode.float32;

describe('convnet bindings', () => {
  it('compute small cases exactly', () => {
    const x = f32([1, 2, 3, 4, 5, 6, 7, 8, 9]);
    const w = f32([1, 0, 0, -1]);
    const y = f32(4);
    native.conv2d(Conv2dOp.forward, F32, conv, [x, w, y, f32([10])], [0, 0, 0, 0]);
    expect(read(y, 4)).toEqual([6, 6, 6, 6]); // x[i][j] - x[i+1][j+1] = -4, plus 10

    const pooled = f32(1);
    const indices = i32([0]);
    native.pool2d(PoolOp.forward, PoolMode.max, F32, [1, 3, 3, 1, 1, 3, 3, 1, 1, 0, 0], [x, pooled, indices], [0, 0, 0]);
    expect(read(pooled, 1)).toEqual([9]);

    const out = f32(3);
    native.activation(ActivationOp.addRelu, F32, 3, [f32([1, -2, 3]), f32([-2, 1, 1]), out], [0, 0, 0]);
    expect(read(out, 3)).toEqual([0, 0, 4]);

    // Training batch norm of one channel [1, 3]: mean 2, biased var 2/3.
    const [bx, by, mean, invstd, rm, rv] = [f32([1, 2, 3]), f32(3), f32(1), f32(1), f32([0]), f32([1])];
    native.batchNorm(BatchNormOp.forward, F32, [1, 1, 3], [1, 0, 0, 0.5], [bx, null, null, rm, rv, by, mean, invstd], [0, 0, 0, 0, 0, 0, 0, 0]);
    expect(read(mean, 1)[0]).toBeCloseTo(2, 6);
    expect(read(by, 3).map((v) => v * Math.sqrt(2 / 3))).toEqual([expect.closeTo(-1, 6), expect.closeTo(0, 6), expect.closeTo(1, 6)]);
    expect(read(rm, 1)[0]).toBeCloseTo(1, 6); // 0.5 * 0 + 0.5 * 2
    expect(read(rv, 1)[0]).toBeCloseTo(1, 6); // 0.5 * 1 + 0.5 * 1 (unbiased var of 1, 2, 3)
  });

  it('refuse buffers too small for the shape, naming the tensor', () => {
    const [x, w, y] = [f32(9), f32(4), f32(4)];
    expect(() => native.conv2d(Conv2dOp.forward, F32, conv, [x, w, f32(3), null], [0, 0, 0, 0])).toThrow(
      /kernel 'conv2d': tensor 'y': elements \[0, 4\) are outside a buffer of 3/,
    );
    expect(() => native.conv2d(Conv2dOp.forward, F32, conv, [x, w, y, null], [1, 0, 0, 0])).toThrow(/tensor 'x': elements \[1, 10\)/);
    expect(() => native.conv2d(Conv2dOp.forward, F32, conv, [x, w, y, f32(0)], [0, 0, 0, 0])).toThrow(/tensor 'bias'/);
    expect(() => native.conv2d(Conv2dOp.backwardData, F32, conv, [y, w, f32(8)], [0, 0, 0])).toThrow(/tensor 'dx'/);
    expect(() => native.conv2d(Conv2dOp.backwardWeight, F32, conv, [x, y, f32(3), null], [0, 0, 0, 0])).toThrow(/tensor 'dw'/);
    expect(() => native.conv2d(Conv2dOp.forward, F32, conv, [x, w, y, null], [-1, 0, 0, 0])).toThrow(/tensor 'x'/);
    expect(() => native.pool2d(PoolOp.forward, PoolMode.avg, F32, [2, 3, 3, 1, 1, 3, 3, 1, 1, 0, 0], [x, f32(2), null], [0, 0, 0])).toThrow(
      /kernel 'pool2d': tensor 'x': elements \[0, 18\)/,
    );
    expect(() => native.activation(ActivationOp.relu, F32, 10, [x, null, f32(10)], [0, 0, 0])).toThrow(/tensor 'a'/);
    expect(() =>
      native.batchNorm(BatchNormOp.forward, F32, [1, 2, 4], [1, 0, 1e-5, 0.1], [f32(8), f32(1), null, null, null, f32(8), f32(2), f32(2)], [0, 0, 0, 0, 0, 0, 0, 0]),
    ).toThrow(/kernel 'batchNorm': tensor 'weight': elements \[0, 2\)/);
  });

  it('refuse shapes that do not fit together, missing tensors and unknown ops', () => {
    const [x, w, y] = [f32(9), f32(4), f32(4)];
    const wrongP = conv.slice();
    wrongP[7] = 3;
    expect(() => native.conv2d(Conv2dOp.forward, F32, wrongP, [x, w, y, null], [0, 0, 0, 0])).toThrow(/output 3x2 does not match the 2x2/);
    const badGroups = conv.slice();
    badGroups[15] = 2;
    expect(() => native.conv2d(Conv2dOp.forward, F32, badGroups, [x, w, y, null], [0, 0, 0, 0])).toThrow(/groups 2 must divide/);
    const zeroStride = conv.slice();
    zeroStride[9] = 0;
    expect(() => native.conv2d(Conv2dOp.forward, F32, zeroStride, [x, w, y, null], [0, 0, 0, 0])).toThrow(/must be in \[1, 2\^31\)/);
    expect(() => native.conv2d(Conv2dOp.forward, F32, [...conv.slice(0, 15), 2 ** 40], [x, w, y, null], [0, 0, 0, 0])).toThrow(/outside \[0, 2\^31\)/);
    expect(() => native.conv2d(Conv2dOp.forward, F32, conv, [x, null, y, null], [0, 0, 0, 0])).toThrow(/tensor 'w' is required/);
    expect(() => native.conv2d(Conv2dOp.forward, F32, conv, [x, w, y], [0, 0, 0])).toThrow(/expected 4 tensors and offsets, got 3 and 3/);
    expect(() => native.conv2d(7, F32, conv, [x, w, y, null], [0, 0, 0, 0])).toThrow(/unknown op 7/);
    expect(() => native.conv2d(Conv2dOp.forward, DTypeCode.int32, conv, [x, w, y, null], [0, 0, 0, 0])).toThrow(/needs float32 or float64, got int32/);
    expect(() => native.pool2d(PoolOp.forward, PoolMode.max, F32, [1, 3, 3, 1, 1, 3, 3, 1, 1, 2, 2], [x, f32(1), i32([0])], [0, 0, 0])).toThrow(
      /padding must be in \[0, kernel \/ 2\]/,
    );
    expect(() => native.pool2d(PoolOp.forward, PoolMode.max, F32, [1, 3, 3, 1, 1, 3, 3, 1, 1, 0, 0], [x, f32(1), null], [0, 0, 0])).toThrow(
      /tensor 'indices' is required/,
    );
    expect(() => native.pool2d(PoolOp.forward, 9, F32, [1, 3, 3, 1, 1, 3, 3, 1, 1, 0, 0], [x, f32(1), null], [0, 0, 0])).toThrow(/unknown mode 9/);
    expect(() =>
      native.batchNorm(BatchNormOp.forward, F32, [1, 1, 9], [0, 0, 1e-5, 0.1], [x, null, null, null, null, f32(9), f32(1), f32(1)], [0, 0, 0, 0, 0, 0, 0, 0]),
    ).toThrow(/tensor 'runningMean' is required/);
    expect(() => native.activation(3, F32, 1, [x, null, y], [0, 0, 0])).toThrow(/unknown op 3/);
  });

  it('refuse max-pool indices outside the plane before writing anything', () => {
    const dx = f32([7, 7, 7, 7]);
    // [1 plane, 2x2] pooled by 1x1 windows: 4 outputs whose indices must lie in [0, 4).
    const shape = [1, 2, 2, 2, 2, 1, 1, 1, 1, 0, 0];
    expect(() => native.pool2d(PoolOp.backward, PoolMode.max, F32, shape, [f32([1, 1, 1, 1]), i32([0, 1, 4, 3]), dx], [0, 0, 0])).toThrow(
      /index 4 at position 2 is outside a plane of 4/,
    );
    expect(() => native.pool2d(PoolOp.backward, PoolMode.max, F32, shape, [f32([1, 1, 1, 1]), i32([0, -1, 2, 3]), dx], [0, 0, 0])).toThrow(
      /index -1 at position 1/,
    );
    expect(read(dx, 4)).toEqual([7, 7, 7, 7]);
  });

  it('name the first bad max-pool index when the check is split over threads', () => {
    // 40000 planes of 2x2 pooled to 1x1: 40000 indices, checked in several parallel chunks.
    const planes = 40000;
    const indices = new Array<number>(planes).fill(3);
    indices[39000] = 9;
    indices[20001] = 4;
    const dx = f32(new Array<number>(4 * planes).fill(7));
    const shape = [planes, 2, 2, 1, 1, 2, 2, 2, 2, 0, 0];
    expect(() => native.pool2d(PoolOp.backward, PoolMode.max, F32, shape, [f32(planes), i32(indices), dx], [0, 0, 0])).toThrow(
      /index 4 at position 20001 is outside a plane of 4/,
    );
    expect(read(dx, 8)).toEqual([7, 7, 7, 7, 7, 7, 7, 7]);
  });
});
