import type { Tensor } from '../tensor';
import { isGradEnabled } from './grad-mode';
import { type BackwardFn, type Edge, GradNode } from './node';

/** Whether an op on these inputs must record a node. */
export function needsGrad(...inputs: (Tensor | null | undefined)[]): boolean {
  return isGradEnabled() && inputs.some((t) => t?.requiresGrad === true);
}

function edgeOf(t: Tensor | null | undefined): Edge {
  if (!t || !t.requiresGrad) return null;
  return t.gradFn ? { node: t.gradFn } : { leaf: t };
}

/**
 * Records `out = name(inputs)` on the tape when any input requires grad. `save` lists the
 * tensors backward reads; `backward(g, saved)` gets uncounted aliases of them, valid until
 * the graph is freed. Returns `out`.
 */
export function record(
  name: string,
  out: Tensor,
  inputs: readonly (Tensor | null | undefined)[],
  save: readonly Tensor[],
  backward: (g: Tensor, saved: Tensor[]) => (Tensor | null)[],
): Tensor {
  if (!needsGrad(...inputs)) return out;
  const saved = save.map((t) => t.saved_());
  const fn: BackwardFn = (g) => backward(g, saved);
  out.setGradFn_(new GradNode(name, inputs.map(edgeOf), saved, fn));
  return out;
}
