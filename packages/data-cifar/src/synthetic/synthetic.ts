import { CHANNELS, HEIGHT, IMAGE_BYTES, WIDTH, type CifarDataset, sharedBytes } from '../format/dataset';
import { Stream, philox, scaleToRange, seedKey } from '../random/philox';
import { CifarArgumentError } from '../errors';
import { checkInteger } from '../validate';

/** Options of {@link syntheticCifar}. */
export interface SyntheticCifarOptions {
  /** Number of images. */
  n: number;
  /** Seed, an integer in [0, 2^53) (default 0). */
  seed?: number;
  /** Number of classes, 1 to 256 (default 10). */
  classes?: number;
  /** Index of the first image (default 0): sets of the same seed with disjoint ranges share the classes, not the images. */
  start?: number;
}

/** Peak-to-peak amplitude of the per-pixel noise, in pixel units. */
const NOISE = 80;
const TWO_PI = 2 * Math.PI;
const unit = (word: number): number => word / 0x1_0000_0000;

/** What makes a class recognisable: a colour and an oriented stripe pattern (sin and cos phases precomputed). */
interface ClassLook {
  base: number[];
  amplitude: number[];
  sinPattern: Float32Array;
  cosPattern: Float32Array;
}

function classLook(key: readonly [number, number], c: number): ClassLook {
  const a = philox(key, c, 0, Stream.SyntheticClass, 0, new Uint32Array(4));
  const b = philox(key, c, 1, Stream.SyntheticClass, 0, new Uint32Array(4));
  const base = [0, 1, 2].map((ch) => 64 + scaleToRange(a[ch]!, 128));
  const angle = unit(a[3]!) * Math.PI;
  const cycles = 1.5 + 3 * unit(b[0]!); // stripes across the image
  const amplitude = [1, 2, 3].map((w) => (b[w]! & 1 ? 1 : -1) * (20 + 30 * unit(b[w]! >>> 1)));
  const sinPattern = new Float32Array(HEIGHT * WIDTH);
  const cosPattern = new Float32Array(HEIGHT * WIDTH);
  for (let y = 0; y < HEIGHT; y++) {
    for (let x = 0; x < WIDTH; x++) {
      const phase = (TWO_PI * cycles * (x * Math.cos(angle) + y * Math.sin(angle))) / WIDTH;
      sinPattern[y * WIDTH + x] = Math.sin(phase);
      cosPattern[y * WIDTH + x] = Math.cos(phase);
    }
  }
  return { base, amplitude, sinPattern, cosPattern };
}

/**
 * A synthetic, learnable stand-in for CIFAR (not real photographs): each class has its own
 * colour and its own stripe pattern (orientation and frequency); each image shows its class's
 * pattern at a random phase, brightness and contrast, plus uniform per-pixel noise of ±40.
 * Deterministic: image i is a pure function of (seed, start + i), so a larger `n` extends a
 * smaller set and another `start` gives a held-out set of the same classes. Labels are uniform over the classes. Same shape as the real datasets; write it to disk
 * with {@link writeCifarFiles}.
 *
 * @example
 * ```ts
 * import { syntheticCifar } from '@largebatch/data-cifar';
 * const train = syntheticCifar({ n: 5000, seed: 1 });
 * const test = syntheticCifar({ n: 1000, seed: 1, start: 5000 }); // held out: the next 1000 images
 * console.log(train.length, test.length, test.classes.length); // 5000 1000 10
 * ```
 */
export function syntheticCifar(options: SyntheticCifarOptions): CifarDataset {
  const fn = 'syntheticCifar';
  if (typeof options !== 'object' || options === null) throw new CifarArgumentError(fn, 'options', 'an object with n', options);
  const n = checkInteger(fn, 'options.n', options.n, 0, 0xffff_ffff);
  const key = seedKey(checkInteger(fn, 'options.seed', options.seed ?? 0, 0));
  const numClasses = checkInteger(fn, 'options.classes', options.classes ?? 10, 1, 256);
  const start = checkInteger(fn, 'options.start', options.start ?? 0, 0, 0xffff_ffff - n);
  const looks = Array.from({ length: numClasses }, (_, c) => classLook(key, c));
  const images = sharedBytes(n * IMAGE_BYTES);
  const labels = new Uint8Array(n);
  const block = new Uint32Array(4);
  const noise = new Uint8Array(block.buffer);
  const plane = HEIGHT * WIDTH;
  for (let i = 0; i < n; i++) {
    const index = start + i;
    philox(key, 0, index, Stream.SyntheticImage, 0, block);
    const label = scaleToRange(block[0]!, numClasses);
    labels[i] = label;
    const look = looks[label]!;
    const shift = unit(block[1]!) * TWO_PI;
    const brightness = unit(block[2]!) * 40 - 20;
    const contrast = 0.6 + 0.8 * unit(block[3]!);
    const s = Math.cos(shift) * contrast;
    const t = Math.sin(shift) * contrast;
    const out = i * IMAGE_BYTES;
    for (let p = 0; p < IMAGE_BYTES; p++) {
      // 16 noise bytes per Philox block (blocks 1, 2, … of image i).
      if ((p & 15) === 0) philox(key, 1 + (p >>> 4), index, Stream.SyntheticImage, 0, block);
      const c = (p / plane) | 0;
      const q = p - c * plane;
      const stripes = look.sinPattern[q]! * s + look.cosPattern[q]! * t; // sin(phase + shift)
      const value = look.base[c]! + brightness + look.amplitude[c]! * stripes + (noise[p & 15]! / 255 - 0.5) * NOISE;
      images[out + p] = value < 0 ? 0 : value > 255 ? 255 : Math.round(value);
    }
  }
  const classes = Array.from({ length: numClasses }, (_, c) => `synthetic-${c}`);
  return { length: n, images, labels, classes };
}
