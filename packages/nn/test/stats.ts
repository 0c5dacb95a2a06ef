/** Sample statistics of a flat array, for the statistical checks of initialisers. */
export function stats(v: ArrayLike<number>): { min: number; max: number; mean: number; variance: number } {
  let min = Infinity;
  let max = -Infinity;
  let sum = 0;
  for (let i = 0; i < v.length; i++) {
    min = Math.min(min, v[i]!);
    max = Math.max(max, v[i]!);
    sum += v[i]!;
  }
  const mean = sum / v.length;
  let sq = 0;
  for (let i = 0; i < v.length; i++) sq += (v[i]! - mean) ** 2;
  return { min, max, mean, variance: sq / v.length };
}
