import { ArgumentError, expected } from './errors';

/** PyTorch's default seed, so an unseeded run is still reproducible. */
const DEFAULT_SEED = 67280421310721;

/** The global generator: a Philox key (the seed) and a block counter. */
const generator = { seed: DEFAULT_SEED, counter: 0 };

/**
 * Seeds the global generator. Draws are counter-based (Philox4x32-10): the same seed gives
 * the same numbers on CPU and CUDA, whatever the thread count.
 *
 * @example
 * ```ts
 * import { manualSeed, randn } from '@largebatch/tensor';
 * manualSeed(0);
 * const a = randn([4]);
 * manualSeed(0);
 * const b = randn([4]); // equal to a
 * ```
 */
export function manualSeed(seed: number): void {
  if (!Number.isSafeInteger(seed) || seed < 0) throw new ArgumentError(expected('manualSeed', 'seed', 'a non-negative safe integer', seed));
  generator.seed = seed;
  generator.counter = 0;
}

/** The generator state, to save in a checkpoint and restore with setRngState. */
export function getRngState(): { seed: number; counter: number } {
  return { ...generator };
}

export function setRngState(state: { seed: number; counter: number }): void {
  manualSeed(state.seed);
  if (!Number.isSafeInteger(state.counter) || state.counter < 0) {
    throw new ArgumentError(expected('setRngState', 'state.counter', 'a non-negative safe integer', state.counter));
  }
  generator.counter = state.counter;
}

/** Reserves the Philox blocks for a draw of n values and returns (seed, first block). */
export function reserveDraw(n: number): { seed: number; counter: number } {
  const draw = { seed: generator.seed, counter: generator.counter };
  generator.counter += Math.ceil(n / 4);
  return draw;
}
