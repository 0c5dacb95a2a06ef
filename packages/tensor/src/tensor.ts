import { AutogradError, DisposedError, ShapeError, ArgumentError, expected } from './errors';
import { type AnyTypedArray, type DType, bytesPerElement, newTypedArray } from './dtype';
import type { Device } from './device';
import { Storage } from './storage';
import { type Scope, currentScope, tensorStats } from './memory';
import { type Shape, contiguousStrides, numel } from './shape';
import type { GradNode } from './autograd/node';
import { copyStrided, readContiguous } from './kernels';
import { runBackward } from './autograd/backward';

/** What the garbage-collection safety net releases for a tensor that was never disposed. */
interface Held {
  storage: Storage;
  node: GradNode | null;
}

const registry = new FinalizationRegistry<Held>((held) => {
  tensorStats.count -= 1;
  held.node?.release();
  held.storage.release();
});

type Nested = number | Nested[];

/**
 * An n-dimensional array on a device, with reverse-mode autograd as in PyTorch.
 * Create tensors with `tensor`, `zeros`, `randn`, ...; ops are functions and methods
 * (`add(x, y)` or `x.add(y)`). Free them with `dispose()` or `tidy`.
 *
 * @example
 * ```ts
 * import { tensor } from '@largebatch/tensor';
 * const w = tensor([[1, 2], [3, 4]], { requiresGrad: true });
 * const loss = w.mul(w).sum();
 * loss.backward();
 * console.log(w.grad!.toArray()); // [[2, 4], [6, 8]]
 * ```
 */
export class Tensor {
  readonly shape: readonly number[];
  readonly strides: readonly number[];
  /** Offset of element [0, ..., 0] in the storage, in elements. */
  readonly offset: number;
  readonly dtype: DType;
  /** Whether gradients flow to this tensor. Set it on leaves; ops set it on results. */
  requiresGrad = false;
  /** The autograd node that produced this tensor (null for leaves). */
  gradFn: GradNode | null = null;
  /** The tidy scope that owns this tensor, if any. */
  scope: Scope | undefined;

  private readonly _storage: Storage;
  private _grad: Tensor | null = null;
  private _disposed = false;
  private readonly held: Held | null;

  /** Internal: wraps storage. `internal` tensors (autograd's saved values) are not counted. */
  constructor(storage: Storage, shape: Shape, strides: readonly number[], offset: number, dtype: DType, internal = false) {
    this._storage = storage;
    this.shape = shape;
    this.strides = strides;
    this.offset = offset;
    this.dtype = dtype;
    storage.retain();
    if (internal) {
      this.held = null;
      return;
    }
    tensorStats.count += 1;
    this.held = { storage, node: null };
    registry.register(this, this.held, this);
    const scope = currentScope();
    if (scope) {
      this.scope = scope;
      scope.tensors.add(this);
    }
  }

  /** A new contiguous tensor with uninitialised contents. */
  static empty(shape: Shape, dtype: DType, device: Device): Tensor {
    const storage = new Storage(numel(shape) * bytesPerElement(dtype), device);
    return new Tensor(storage, shape.slice(), contiguousStrides(shape), 0, dtype);
  }

  /** Internal: a view of this tensor's storage with another shape, strides and offset. */
  view_(shape: Shape, strides: readonly number[], offset: number): Tensor {
    return new Tensor(this.storage, shape, strides, offset, this.dtype);
  }

  /** Internal: an uncounted alias kept by autograd until backward frees it. */
  saved_(): Tensor {
    return new Tensor(this.storage, this.shape, this.strides, this.offset, this.dtype, true);
  }

  /** Internal: records the autograd node that produced this tensor. */
  setGradFn_(node: GradNode): void {
    node.retain();
    this.gradFn = node;
    this.requiresGrad = true;
    if (this.held) this.held.node = node;
  }

  get storage(): Storage {
    if (this._disposed) throw new DisposedError('tensor used after dispose()');
    return this._storage;
  }

  get device(): Device {
    return this._storage.device;
  }

  get ndim(): number {
    return this.shape.length;
  }

  get numel(): number {
    return numel(this.shape);
  }

  get isDisposed(): boolean {
    return this._disposed;
  }

  /** True for tensors that autograd does not trace back through (user-created or detached). */
  get isLeaf(): boolean {
    return this.gradFn === null;
  }

  /** The accumulated gradient, after backward(). */
  get grad(): Tensor | null {
    return this._grad;
  }

  set grad(g: Tensor | null) {
    if (g !== null) {
      if (g.shape.length !== this.shape.length || g.shape.some((s, i) => s !== this.shape[i])) {
        throw new ShapeError(expected('grad', 'grad', `a tensor of shape [${this.shape.join(', ')}]`, g.shape));
      }
      if (g.dtype !== this.dtype) throw new ShapeError(expected('grad', 'grad.dtype', `'${this.dtype}'`, g.dtype));
      if (g.device !== this.device) throw new ShapeError(expected('grad', 'grad.device', `'${this.device}'`, g.device));
    }
    if (this._grad && this._grad !== g) this._grad.dispose();
    this._grad = g;
  }

  size(dim?: number): number | readonly number[] {
    if (dim === undefined) return this.shape;
    const r = this.shape.length;
    if (!Number.isInteger(dim) || dim < -r || dim >= r) throw new ArgumentError(expected('size', 'dim', `in [${-r}, ${r - 1}]`, dim));
    return this.shape[dim < 0 ? dim + r : dim]!;
  }

  isContiguous(): boolean {
    let expectStride = 1;
    for (let i = this.shape.length - 1; i >= 0; i--) {
      if (this.shape[i] !== 1 && this.strides[i] !== expectStride) return false;
      expectStride *= this.shape[i]!;
    }
    return true;
  }

  /** A flat copy of the elements in row-major order. */
  data(): AnyTypedArray {
    const n = this.numel;
    const out = newTypedArray(this.dtype, n);
    if (n === 0) return out;
    if (this.isContiguous()) {
      readContiguous(this, out);
    } else {
      const tmp = Tensor.empty(this.shape, this.dtype, this.device);
      try {
        copyStrided(tmp, this);
        readContiguous(tmp, out);
      } finally {
        tmp.dispose();
      }
    }
    return out;
  }

  /** Nested arrays of numbers; a number for a 0-d tensor. */
  toArray(): Nested {
    const flat = this.data();
    if (this.shape.length === 0) return flat[0]!;
    let pos = 0;
    const build = (d: number): Nested[] => {
      const out: Nested[] = [];
      for (let i = 0; i < this.shape[d]!; i++) out.push(d === this.shape.length - 1 ? flat[pos++]! : build(d + 1));
      return out;
    };
    return build(0);
  }

  /** The value of a one-element tensor. */
  item(): number {
    if (this.numel !== 1) throw new ShapeError(expected('item', 'tensor', 'a one-element tensor', `shape [${this.shape.join(', ')}]`));
    return this.data()[0]!;
  }

  /**
   * Backpropagates from this tensor. A scalar needs no `gradient`; otherwise pass one of
   * this tensor's shape. Saved tensors are freed afterwards unless `retainGraph`.
   */
  backward(gradient?: Tensor, options: { retainGraph?: boolean } = {}): void {
    if (!this.requiresGrad) throw new AutogradError('backward: this tensor does not require grad (no tensor it came from has requiresGrad)');
    runBackward(this, gradient, options.retainGraph ?? false);
  }

  /** Frees this tensor's hold on its storage (and its gradient). Idempotent. */
  dispose(): void {
    if (this._disposed) return;
    this._disposed = true;
    if (this.held) {
      registry.unregister(this);
      tensorStats.count -= 1;
      this.scope?.tensors.delete(this);
      this.scope = undefined;
    }
    this._grad?.dispose();
    this._grad = null;
    this.gradFn?.release();
    this.gradFn = null;
    this._storage.release();
  }

  toString(): string {
    const body = this.numel <= 64 ? JSON.stringify(this.toArray()) : `[${this.numel} values]`;
    return `Tensor(${body}, shape=[${this.shape.join(', ')}], dtype=${this.dtype}, device=${this.device}${this.requiresGrad ? ', requiresGrad' : ''})`;
  }
}
