/**
 * Module as torch.nn.Module: a tree of modules, each holding named parameters (leaf tensors
 * with requiresGrad) and buffers (running statistics and counters), registered explicitly
 * with registerParameter / registerBuffer / registerModule. Registration order is the order
 * of namedParameters() and stateDict(), exactly as PyTorch's.
 */
import { ArgumentError, type Device, type Tensor, keep, noGrad, tidy } from '@largebatch/tensor';

import { StateDictError } from './errors';

type Slot = 'parameter' | 'buffer' | 'module';

/**
 * The base class of every layer and model. A subclass registers its tensors and children
 * in its constructor and implements `forward`.
 *
 * @example
 * ```ts
 * import { Module, Linear } from '@largebatch/nn';
 * import { randn, type Tensor } from '@largebatch/tensor';
 * class TwoLayer extends Module {
 *   readonly fc1 = this.registerModule('fc1', new Linear(4, 8));
 *   readonly fc2 = this.registerModule('fc2', new Linear(8, 2));
 *   forward(x: Tensor): Tensor {
 *     return this.fc2.forward(this.fc1.forward(x).relu());
 *   }
 * }
 * const net = new TwoLayer();
 * net.namedParameters().map(([name]) => name); // ['fc1.weight', 'fc1.bias', 'fc2.weight', 'fc2.bias']
 * ```
 */
export abstract class Module {
  /** Whether the module is in training mode (dropout active, batch statistics); see train() / eval(). */
  training = true;

  private readonly parameterSlots = new Map<string, Tensor | null>();
  private readonly bufferSlots = new Map<string, Tensor>();
  private readonly moduleSlots = new Map<string, Module>();

  /** Computes the module's output. */
  abstract forward(x: Tensor): Tensor;

  /**
   * Adds a parameter under `name` and returns it: the tensor becomes a leaf that requires
   * grad, owned by the module (taken out of any tidy scope; dispose() frees it). `null`
   * declares an absent optional parameter (a layer without bias), as PyTorch's None.
   */
  registerParameter(name: string, t: Tensor | null): Tensor | null {
    this.checkName(name);
    if (t !== null) {
      t.requiresGrad = true;
      keep(t);
    }
    this.parameterSlots.set(name, t);
    return t;
  }

  /** Adds a buffer (state that is saved but not trained, e.g. BN's running mean) and returns it. */
  registerBuffer(name: string, t: Tensor): Tensor {
    this.checkName(name);
    this.bufferSlots.set(name, keep(t));
    return t;
  }

  /** Adds a submodule under `name` and returns it; its tensors' names get the prefix `name.`. */
  registerModule<M extends Module>(name: string, m: M): M {
    this.checkName(name);
    if (!(m instanceof Module)) throw new ArgumentError(`registerModule: module '${name}' must be a Module, got ${String(m)}`);
    this.moduleSlots.set(name, m);
    return m;
  }

  /** The parameter registered as `name` (null when declared absent). */
  protected parameter(name: string): Tensor | null {
    return this.lookup(this.parameterSlots, 'parameter', name);
  }

  /** The buffer registered as `name`. */
  protected buffer(name: string): Tensor {
    return this.lookup(this.bufferSlots, 'buffer', name);
  }

  /** The direct submodules with their names, in registration order. */
  namedChildren(): [string, Module][] {
    return [...this.moduleSlots];
  }

  children(): Module[] {
    return [...this.moduleSlots.values()];
  }

  /** This module and every descendant, depth first, with dotted names ('' for this one). */
  namedModules(prefix = ''): [string, Module][] {
    const out: [string, Module][] = [[prefix, this]];
    for (const [name, m] of this.moduleSlots) out.push(...m.namedModules(join(prefix, name)));
    return out;
  }

  modules(): Module[] {
    return this.namedModules().map(([, m]) => m);
  }

  /**
   * Every parameter with its dotted path, as PyTorch's named_parameters(): a module's own
   * parameters first, then each submodule's in registration order; a tensor shared by two
   * modules appears once, under its first name.
   */
  namedParameters(): [string, Tensor][] {
    return this.collect((m) => [...m.parameterSlots]);
  }

  parameters(): Tensor[] {
    return this.namedParameters().map(([, t]) => t);
  }

  /** Every buffer with its dotted path, as PyTorch's named_buffers(). */
  namedBuffers(): [string, Tensor][] {
    return this.collect((m) => [...m.bufferSlots]);
  }

  buffers(): Tensor[] {
    return this.namedBuffers().map(([, t]) => t);
  }

  /**
   * Parameters and buffers by dotted name, in PyTorch's state_dict() order (per module: its
   * parameters, then its buffers, then its submodules). The tensors are the module's own, not
   * copies: read or save them, do not dispose them.
   */
  stateDict(): Record<string, Tensor> {
    return Object.fromEntries(this.collect((m) => [...m.parameterSlots, ...m.bufferSlots]));
  }

  /**
   * Copies `dict`'s values into this module's parameters and buffers, in place and outside
   * autograd, casting dtypes (an int64 `num_batches_tracked` read as int32 or float loads) and
   * moving devices as needed. Every key is checked before anything is copied: a shape
   * mismatch, and with `strict` (default true) a missing or unexpected key, throws a
   * StateDictError naming the keys. Returns the keys that were missing and unexpected.
   */
  loadStateDict(
    dict: Record<string, Tensor>,
    options: { strict?: boolean } = {},
  ): { missingKeys: string[]; unexpectedKeys: string[] } {
    if (typeof dict !== 'object' || dict === null) throw new ArgumentError(`loadStateDict: dict must be a record of tensors, got ${String(dict)}`);
    const strict = options.strict ?? true;
    const own = this.stateDict();
    const missingKeys = Object.keys(own).filter((k) => !(k in dict));
    const unexpectedKeys = Object.keys(dict).filter((k) => !(k in own));
    const shapeMismatches = Object.keys(own)
      .filter((k) => k in dict && !sameShape(own[k]!.shape, dict[k]!.shape))
      .map((key) => ({ key, expected: own[key]!.shape, got: dict[key]!.shape }));
    if (shapeMismatches.length > 0 || (strict && (missingKeys.length > 0 || unexpectedKeys.length > 0))) {
      throw new StateDictError(strict ? missingKeys : [], strict ? unexpectedKeys : [], shapeMismatches);
    }
    noGrad(() =>
      tidy(() => {
        for (const [key, target] of Object.entries(own)) {
          const src = dict[key];
          if (src) target.copy_(src.to(target.device));
        }
      }),
    );
    return { missingKeys, unexpectedKeys };
  }

  /** Sets training mode on this module and every descendant; returns this. */
  train(mode = true): this {
    for (const m of this.modules()) m.training = mode;
    return this;
  }

  /** Evaluation mode (train(false)): dropout off, BN uses its running statistics. */
  eval(): this {
    return this.train(false);
  }

  /**
   * Moves every parameter and buffer to `device` (a parameter stays a leaf that requires
   * grad; gradients are dropped); the tensors it replaces are disposed. Returns this.
   */
  to(device: Device): this {
    for (const m of this.modules()) {
      for (const [name, t] of m.parameterSlots) {
        if (t === null || t.device === device) continue;
        m.parameterSlots.set(name, moved(t, device, true));
      }
      for (const [name, t] of m.bufferSlots) {
        if (t.device !== device) m.bufferSlots.set(name, moved(t, device, false));
      }
    }
    return this;
  }

  /** Calls `fn` on every submodule and then on this module (PyTorch's order); returns this. */
  apply(fn: (m: Module) => void): this {
    for (const m of this.children()) m.apply(fn);
    fn(this);
    return this;
  }

  /** Frees every parameter (with its gradient) and buffer of this module and its descendants. */
  dispose(): void {
    for (const m of this.modules()) {
      for (const t of m.parameterSlots.values()) t?.dispose();
      for (const t of m.bufferSlots.values()) t.dispose();
    }
  }

  /** (name, tensor) pairs of every module, prefixed with its path, each tensor once. */
  private collect(own: (m: Module) => [string, Tensor | null][]): [string, Tensor][] {
    const seen = new Set<Tensor>();
    const out: [string, Tensor][] = [];
    for (const [path, m] of this.namedModules()) {
      for (const [name, t] of own(m)) {
        if (t === null || seen.has(t)) continue;
        seen.add(t);
        out.push([join(path, name), t]);
      }
    }
    return out;
  }

  private checkName(name: string): void {
    if (typeof name !== 'string' || name === '' || name.includes('.')) {
      throw new ArgumentError(`register: name must be a non-empty string without '.', got ${JSON.stringify(name)}`);
    }
    const taken = this.slotOf(name);
    if (taken) throw new ArgumentError(`register: name '${name}' is already registered as a ${taken}`);
  }

  private slotOf(name: string): Slot | null {
    if (this.parameterSlots.has(name)) return 'parameter';
    if (this.bufferSlots.has(name)) return 'buffer';
    return this.moduleSlots.has(name) ? 'module' : null;
  }

  private lookup<T>(slots: Map<string, T>, kind: Slot, name: string): T {
    if (!slots.has(name)) throw new ArgumentError(`${this.constructor.name}: no ${kind} named '${name}'`);
    return slots.get(name)!;
  }
}

function join(prefix: string, name: string): string {
  return prefix === '' ? name : `${prefix}.${name}`;
}

function sameShape(a: readonly number[], b: readonly number[]): boolean {
  return a.length === b.length && a.every((s, i) => s === b[i]);
}

/** A copy of `t` on `device`, outside autograd and any tidy scope; `t` is disposed. */
function moved(t: Tensor, device: Device, requiresGrad: boolean): Tensor {
  const copy = keep(noGrad(() => t.to(device)));
  copy.requiresGrad = requiresGrad;
  t.dispose();
  return copy;
}
