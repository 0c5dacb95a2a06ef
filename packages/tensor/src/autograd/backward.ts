import { AutogradError, ShapeError } from '../errors';
import { keep, tidy } from '../memory';
import type { Tensor } from '../tensor';
import { noGrad } from './grad-mode';
import type { GradNode } from './node';
import { onesLike } from '../creation';
import { accumulateInto, cloneTensor } from './grad-helpers';

/** Nodes reachable from `root`, each after every node that consumes it (reverse topological). */
function topologicalOrder(root: GradNode): GradNode[] {
  const order: GradNode[] = [];
  const visited = new Set<GradNode>();
  const stack: { node: GradNode; next: number }[] = [{ node: root, next: 0 }];
  visited.add(root);
  while (stack.length > 0) {
    const top = stack[stack.length - 1]!;
    if (top.next < top.node.edges.length) {
      const e = top.node.edges[top.next++];
      if (e && 'node' in e && !visited.has(e.node)) {
        visited.add(e.node);
        stack.push({ node: e.node, next: 0 });
      }
    } else {
      order.push(top.node);
      stack.pop();
    }
  }
  return order.reverse();
}

/**
 * Adds g into leaf.grad. A new .grad takes g's storage only when nothing else can see it:
 * not the user's gradient, and not handed to another destination by the same backward
 * step (add's backward gives one tensor to both inputs), since .grad is accumulated in
 * place.
 */
function accumulateLeaf(leaf: Tensor, g: Tensor, shared: boolean): void {
  if (leaf.isDisposed) return;
  if (leaf.grad) {
    accumulateInto(leaf.grad, g);
  } else {
    // .grad must also be contiguous (no broadcast or permuted view) for in-place updates.
    leaf.grad = keep(shared || !g.isContiguous() ? cloneTensor(g) : g);
  }
}

/** The engine behind Tensor#backward. */
export function runBackward(root: Tensor, gradient: Tensor | undefined, retainGraph: boolean): void {
  if (gradient === undefined && root.numel !== 1) {
    throw new AutogradError(
      `backward: a gradient is needed for a non-scalar output of shape [${root.shape.join(', ')}] (grad can be implicitly created only for scalars)`,
    );
  }
  if (gradient !== undefined && (gradient.shape.length !== root.shape.length || gradient.shape.some((s, i) => s !== root.shape[i]))) {
    throw new ShapeError(`backward: gradient has shape [${gradient.shape.join(', ')}], expected [${root.shape.join(', ')}]`);
  }
  const rootNode = root.gradFn;
  noGrad(() =>
    tidy(() => {
      const g0 = gradient ?? onesLike(root);
      if (!rootNode) {
        accumulateLeaf(root, g0, gradient !== undefined);
        return;
      }
      const order = topologicalOrder(rootNode);
      const grads = new Map<GradNode, Tensor>([[rootNode, g0]]);
      for (const node of order) {
        const g = grads.get(node);
        if (!g) continue;
        grads.delete(node);
        const inputGrads = node.apply(g);
        const uses = new Map<unknown, number>();
        for (const ig of inputGrads) if (ig) uses.set(ig.storage, (uses.get(ig.storage) ?? 0) + 1);
        node.edges.forEach((edge, i) => {
          const ig = inputGrads[i];
          if (!edge || !ig) return;
          if ('leaf' in edge) {
            const shared = uses.get(ig.storage)! > 1 || (gradient !== undefined && ig.storage === gradient.storage);
            accumulateLeaf(edge.leaf, ig, shared);
          } else {
            const prev = grads.get(edge.node);
            if (prev) {
              // prev may be the user's gradient or a saved alias: add into a fresh tensor.
              grads.set(edge.node, prev.add(ig));
            } else {
              grads.set(edge.node, ig);
            }
          }
        });
        if (!retainGraph) node.freeSaved();
      }
    }),
  );
}
