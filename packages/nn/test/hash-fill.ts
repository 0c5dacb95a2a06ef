/**
 * Deterministic parameter values that make_fixtures.py (hash_uniform, hash_parameter) computes
 * the same, bit for bit: a 32-bit integer hash (murmur3's finaliser) of the tensor index k and
 * the element index i, exact in both languages, mapped to [-1, 1) by an exact division, then
 * scaled in float64 and rounded once to float32. This lets the ResNet parity fixtures carry
 * no weights (resnet50's would be ~94 MB).
 */
import { type Tensor, tensor } from '@largebatch/tensor';

import type { Module } from '../src/index';

/** n values uniform in [-1, 1), the k-th stream. */
export function hashUniform(k: number, n: number): Float64Array {
  const out = new Float64Array(n);
  const salt = Math.imul(k + 1, 0x85ebca77);
  for (let i = 0; i < n; i++) {
    let h = Math.imul(i, 0x9e3779b1) ^ salt;
    h ^= h >>> 16;
    h = Math.imul(h, 0x85ebca6b);
    h ^= h >>> 13;
    h = Math.imul(h, 0xc2b2ae35);
    h ^= h >>> 16;
    out[i] = (h >>> 0) / 2 ** 31 - 1;
  }
  return out;
}

/**
 * The k-th parameter: conv and fc weights uniform within kaiming_uniform_'s bound
 * sqrt(6 / fan_in) (so activations keep their scale through 50 layers), BN scales 1 +- 0.25,
 * biases +- 0.2.
 */
export function hashParameter(k: number, name: string, shape: readonly number[]): Tensor {
  const n = shape.reduce((a, b) => a * b, 1);
  const u = hashUniform(k, n);
  const values = new Float32Array(n);
  if (shape.length >= 2) {
    const bound = Math.sqrt(6 / (n / shape[0]!));
    for (let i = 0; i < n; i++) values[i] = u[i]! * bound;
  } else if (name.endsWith('.weight')) {
    for (let i = 0; i < n; i++) values[i] = 1 + 0.25 * u[i]!;
  } else {
    for (let i = 0; i < n; i++) values[i] = 0.2 * u[i]!;
  }
  return tensor(values, { shape });
}

/** Every parameter of `net` by its index in namedParameters() order (fresh tensors; the caller disposes them). */
export function hashParameters(net: Module): Record<string, Tensor> {
  return Object.fromEntries(net.namedParameters().map(([name, p], k) => [name, hashParameter(k, name, p.shape)]));
}
