// The crossEntropy export (fused log-softmax + cross-entropy, src/kernels/softmax) against a
// float64 reference, on the CPU and, where CUDA is available (the emulated run too), on CUDA.
import { describe, expect, it } from 'vitest';

import { CrossEntropyOp, DeviceCode, DTypeCode, native, type BufferHandle } from '../src/index';

const devices = native.cudaInfo().available ? (['cpu', 'cuda'] as const) : (['cpu'] as const);

/** loss_i and dlogits as torch.nn.functional.cross_entropy(reduction='none'), in float64. */
function reference(z: Float64Array, y: Int32Array, classes: number, eps: number, dloss: Float64Array) {
  const rows = y.length;
  const loss = new Float64Array(rows);
  const dz = new Float64Array(rows * classes);
  for (let i = 0; i < rows; i++) {
    const row = z.subarray(i * classes, (i + 1) * classes);
    const m = Math.max(...row);
    const lse = m + Math.log(row.reduce((acc, v) => acc + Math.exp(v - m), 0));
    const mean = row.reduce((acc, v) => acc + v, 0) / classes;
    loss[i] = lse - (1 - eps) * row[y[i]!]! - eps * mean;
    row.forEach((v, j) => {
      dz[i * classes + j] = (Math.exp(v - lse) - (j === y[i] ? 1 - eps : 0) - eps / classes) * dloss[i]!;
    });
  }
  return { loss, dz };
}

function upload(device: number, data: Float32Array | Int32Array): BufferHandle {
  const b = native.alloc(device, Math.max(4, data.byteLength));
  native.write(b, 0, data);
  return b;
}

describe.each(devices)('crossEntropy on %s', (device) => {
  const code = DeviceCode[device];

  it('gives the per-row losses and the logits gradient of a float64 reference (label smoothing 0.1, odd class count)', () => {
    const [rows, classes, eps] = [7, 37, 0.1];
    const z = Float32Array.from({ length: rows * classes }, (_, i) => Math.sin(i * 1.7) * 4);
    const y = Int32Array.from({ length: rows }, (_, i) => (i * 11) % classes);
    const dloss = Float32Array.from({ length: rows }, (_, i) => 0.5 + i / rows);
    const [zb, yb, lossb, dlossb, dzb] = [upload(code, z), upload(code, y), native.alloc(code, 4 * rows), upload(code, dloss), native.alloc(code, 4 * rows * classes)];
    native.crossEntropy(CrossEntropyOp.forward, DTypeCode.float32, [rows, classes], eps, [zb, yb, lossb], [0, 0, 0]);
    native.crossEntropy(CrossEntropyOp.backward, DTypeCode.float32, [rows, classes], eps, [zb, yb, dlossb, dzb], [0, 0, 0, 0]);
    const [loss, dz] = [new Float32Array(rows), new Float32Array(rows * classes)];
    native.read(lossb, 0, loss);
    native.read(dzb, 0, dz);
    const ref = reference(Float64Array.from(z), y, classes, eps, Float64Array.from(dloss));
    loss.forEach((v, i) => expect(Math.abs(v - ref.loss[i]!)).toBeLessThan(1e-5 * Math.max(1, Math.abs(ref.loss[i]!))));
    dz.forEach((v, i) => expect(Math.abs(v - ref.dz[i]!)).toBeLessThan(1e-6));
    [zb, yb, lossb, dlossb, dzb].forEach((b) => native.free(b));
  });

  it('fails on a label outside [0, classes), naming its position and value, and writes nothing', () => {
    const [zb, yb, lossb] = [upload(code, new Float32Array(6)), upload(code, Int32Array.of(1, 3)), upload(code, Float32Array.of(7, 7))];
    expect(() => native.crossEntropy(CrossEntropyOp.forward, DTypeCode.float32, [2, 3], 0, [zb, yb, lossb], [0, 0, 0])).toThrow(
      /largebatch kernel 'crossEntropy': cross_entropy: label 3 at position 1 is not a class in \[0, 3\)/,
    );
    const loss = new Float32Array(2);
    native.read(lossb, 0, loss);
    expect(loss).toEqual(Float32Array.of(7, 7));
    [zb, yb, lossb].forEach((b) => native.free(b));
  });
});
