import { ArgumentError, expected } from './errors';
import { storageStats } from './storage';
// A cycle with tensor.ts, used only at call time.
import { Tensor } from './tensor';

/** A tidy scope: the tensors created while it is the innermost one. */
export interface Scope {
  readonly tensors: Set<Tensor>;
}

const scopes: Scope[] = [];
export const tensorStats = { count: 0 };

export function currentScope(): Scope | undefined {
  return scopes[scopes.length - 1];
}

/**
 * Runs `fn` and disposes every tensor created inside it that is not returned (in a
 * tensor, an array or a plain object of tensors) or kept with `keep`. Returned tensors
 * move to the enclosing scope. Autograd still works across tidy: saved tensors hold their
 * own reference to the storage.
 *
 * @example
 * ```ts
 * import { tidy, randn, memory } from '@largebatch/tensor';
 * const before = memory().numTensors;
 * const total = tidy(() => randn([3, 3]).exp().sum()); // the intermediates are freed
 * console.log(memory().numTensors - before); // 1
 * total.dispose();
 * ```
 */
export function tidy<T>(fn: () => T): T {
  if (typeof fn !== 'function') throw new ArgumentError(expected('tidy', 'fn', 'a function', fn));
  const scope: Scope = { tensors: new Set() };
  scopes.push(scope);
  let result: T;
  try {
    result = fn();
  } catch (err) {
    scopes.pop();
    for (const t of scope.tensors) t.dispose();
    throw err;
  }
  scopes.pop();
  if (result instanceof Promise) {
    for (const t of scope.tensors) t.dispose();
    throw new ArgumentError('tidy: fn must be synchronous; it returned a Promise');
  }
  const returned = new Set<Tensor>();
  collectTensors(result, returned, 0);
  const parent = currentScope();
  for (const t of scope.tensors) {
    if (returned.has(t)) {
      t.scope = parent;
      parent?.tensors.add(t);
    } else {
      t.dispose();
    }
  }
  return result;
}

function collectTensors(value: unknown, into: Set<Tensor>, depth: number): void {
  if (value === null || typeof value !== 'object' || depth > 4) return;
  if (value instanceof Tensor) {
    into.add(value);
  } else if (Array.isArray(value)) {
    for (const v of value) collectTensors(v, into, depth + 1);
  } else if (value instanceof Map) {
    for (const v of value.values()) collectTensors(v, into, depth + 1);
  } else if (Object.getPrototypeOf(value) === Object.prototype) {
    for (const v of Object.values(value)) collectTensors(v, into, depth + 1);
  }
}

/**
 * Takes a tensor out of the tidy scopes, so no tidy disposes it; you dispose it.
 *
 * @example
 * ```ts
 * import { tidy, keep, ones } from '@largebatch/tensor';
 * let saved = tidy(() => { const t = keep(ones([2])); return undefined; }); // t survives
 * ```
 */
export function keep<T extends Tensor>(t: T): T {
  t.scope?.tensors.delete(t);
  t.scope = undefined;
  return t;
}

/**
 * Live tensors and the bytes of the storage they hold (views share storage; autograd's
 * saved tensors keep storage alive until backward or until their graph is dropped).
 *
 * @example
 * ```ts
 * import { memory } from '@largebatch/tensor';
 * const { numTensors, numBytes } = memory();
 * ```
 */
export function memory(): { numTensors: number; numBytes: number; numStorages: number } {
  return { numTensors: tensorStats.count, numBytes: storageStats.bytes, numStorages: storageStats.count };
}
