import { CifarArgumentError } from '../errors';
import { CHANNELS } from '../format/dataset';

/** Per-channel mean and standard deviation (red, green, blue) of pixel values scaled to [0, 1]. */
export interface Normalization {
  mean: readonly [number, number, number];
  std: readonly [number, number, number];
}

/** The study's normalisation (the usual CIFAR-10 figures): `(x / 255 - mean) / std`. */
export const CIFAR10_NORMALIZATION: Normalization = {
  mean: [0.4914, 0.4822, 0.4465],
  std: [0.2023, 0.1994, 0.201],
};

/**
 * The float32 value of each byte 0..255 of each channel (3 × 256 entries): with `norm`,
 * `(v / 255 - mean) / std` rounded to float32 at each step as torchvision's ToTensor then
 * Normalize compute it; with `null`, `v / 255` (ToTensor alone). A lookup per pixel is the
 * whole cost of normalising.
 */
export function pixelTable(norm: Normalization | null): Float32Array {
  const table = new Float32Array(CHANNELS * 256);
  for (let c = 0; c < CHANNELS; c++) {
    const mean = Math.fround(norm?.mean[c] ?? 0);
    const std = Math.fround(norm?.std[c] ?? 1);
    for (let v = 0; v < 256; v++) table[c * 256 + v] = Math.fround(Math.fround(v / 255) - mean) / std;
  }
  return table;
}

/** Throws unless `value` is `true`, `false` or a {@link Normalization}; returns the normalisation or `null`. */
export function checkNormalization(fn: string, argument: string, value: unknown): Normalization | null {
  if (value === true) return CIFAR10_NORMALIZATION;
  if (value === false) return null;
  const n = value as Partial<Normalization> | null;
  const triple = (v: unknown, positive: boolean): boolean =>
    Array.isArray(v) && v.length === CHANNELS && v.every((x) => typeof x === 'number' && Number.isFinite(x) && (!positive || x > 0));
  if (typeof n !== 'object' || n === null || !triple(n.mean, false) || !triple(n.std, true)) {
    throw new CifarArgumentError(fn, argument, 'true, false or { mean: [r, g, b], std: [r, g, b] } with finite means and positive stds', value === null ? null : JSON.stringify(value));
  }
  return n as Normalization;
}
