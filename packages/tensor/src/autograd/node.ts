import { AutogradError } from '../errors';
import type { Tensor } from '../tensor';

/** Where an input's gradient goes: another node, a leaf tensor's .grad, or nowhere. */
export type Edge = { node: GradNode } | { leaf: Tensor } | null;

/** Computes the gradient of each input from the gradient of the output. */
export type BackwardFn = (gradOutput: Tensor) => (Tensor | null)[];

/**
 * One recorded op. Reference-counted by the tensors it produced and by the nodes that
 * consume it, so that dropping the last tensor of a graph frees its saved tensors at once
 * (as Python's reference counting does for PyTorch).
 */
export class GradNode {
  private refs = 0;
  private freed = false;

  constructor(
    readonly name: string,
    readonly edges: readonly Edge[],
    private saved: Tensor[],
    readonly backwardFn: BackwardFn,
  ) {
    for (const e of edges) if (e && 'node' in e) e.node.retain();
  }

  retain(): void {
    this.refs += 1;
  }

  release(): void {
    this.refs -= 1;
    if (this.refs > 0) return;
    this.freeSaved();
    for (const e of this.edges) if (e && 'node' in e) e.node.release();
  }

  /** Backward has run without retainGraph: the saved tensors go now. */
  freeSaved(): void {
    if (this.freed) return;
    this.freed = true;
    for (const t of this.saved) t.dispose();
    this.saved = [];
  }

  apply(gradOutput: Tensor): (Tensor | null)[] {
    if (this.freed) {
      throw new AutogradError(
        `backward: trying to backward through ${this.name} a second time, after its saved tensors were freed; ` +
          'pass { retainGraph: true } to the first backward()',
      );
    }
    return this.backwardFn(gradOutput);
  }
}
