import { PhiloxStream, Stream } from '../random/philox';

/**
 * The order in which an epoch visits images 0..n−1: the identity without shuffling, else a
 * Fisher–Yates shuffle (i from n−1 down to 1 swaps i with a uniform j in [0, i]) driven by
 * the Philox stream of (seed, epoch). A pure function: the same seed and epoch give the same
 * order on any machine, and each epoch a different one.
 */
export function epochOrder(n: number, key: readonly [number, number], epoch: number, shuffle: boolean): Int32Array {
  const order = new Int32Array(n);
  for (let i = 0; i < n; i++) order[i] = i;
  if (!shuffle) return order;
  const random = new PhiloxStream(key, epoch, Stream.Shuffle);
  for (let i = n - 1; i > 0; i--) {
    const j = random.below(i + 1);
    const t = order[i]!;
    order[i] = order[j]!;
    order[j] = t;
  }
  return order;
}
