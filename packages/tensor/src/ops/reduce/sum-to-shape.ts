import type { Tensor } from '../../tensor';
import { sum } from './reduce';

/**
 * Sums a broadcast gradient back to `shape`: over the leading dims broadcasting added and
 * over the dims where `shape` has 1. Returns `g` itself when the shapes agree.
 */
export function sumToShape(g: Tensor, shape: readonly number[]): Tensor {
  const lead = g.ndim - shape.length;
  const dims: number[] = [];
  for (let i = 0; i < g.ndim; i++) {
    if (i < lead || (shape[i - lead] === 1 && g.shape[i] !== 1)) dims.push(i);
  }
  if (dims.length === 0) return g;
  return sum(g, dims, true).reshape(shape);
}
