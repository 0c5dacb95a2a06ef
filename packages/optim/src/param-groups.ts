// The optimizer classes' first argument, in every form PyTorch users pass: tensors, [name,
// tensor] pairs (Module#namedParameters()), or param groups with their own options. Each
// parameter is checked once here and again whenever a group's layout is rebuilt.
import { Tensor } from '@largebatch/tensor';

import { OptimizerArgumentError } from './errors';

/** A parameter with its name, as `Module#namedParameters()` yields it. */
export type NamedParameter = readonly [string, Tensor];

/** Parameters: tensors, or [name, tensor] pairs (names appear in errors and `exclude`). */
export type Parameters = Iterable<Tensor> | Iterable<NamedParameter>;

/** A param group as passed in: its parameters and options overriding the defaults. */
export type ParamGroupInput<Options> = { params: Parameters } & Partial<Options>;

/** What the optimizer constructors take: parameters, or a list of param groups. */
export type ParamsOrGroups<Options> = Parameters | Iterable<ParamGroupInput<Options>>;

/**
 * A param group as the optimizer holds it: its tensors, their names, and every option with
 * its default filled in. Options are read at each step, so they may be changed between
 * steps (an LrScheduler writes `lr`).
 */
export type ParamGroup<Hyper> = Hyper & {
  params: Tensor[];
  /** One per tensor: its name, or `paramGroups[g].params[i]` for unnamed tensors. */
  names: string[];
};

const EXPECTED_PARAMS = 'a non-empty list of tensors, of [name, tensor] pairs, or of param groups { params, ...options }';

function isNamedParameter(x: unknown): x is NamedParameter {
  return Array.isArray(x) && x.length === 2 && typeof x[0] === 'string' && x[1] instanceof Tensor;
}

function isGroupInput(x: unknown): x is ParamGroupInput<unknown> {
  return typeof x === 'object' && x !== null && !Array.isArray(x) && !(x instanceof Tensor) && 'params' in x;
}

function isIterable(x: unknown): x is Iterable<unknown> {
  return typeof x === 'object' && x !== null && typeof (x as Iterable<unknown>)[Symbol.iterator] === 'function';
}

/** Splits the constructor's first argument into param group inputs. */
export function groupInputs<Options>(where: string, input: ParamsOrGroups<Options>): ParamGroupInput<Options>[] {
  if (!isIterable(input)) throw new OptimizerArgumentError(where, 'params', input, EXPECTED_PARAMS);
  const items = Array.from(input as Iterable<unknown>);
  if (items.length === 0) throw new OptimizerArgumentError(where, 'params', items, EXPECTED_PARAMS);
  if (items.every(isGroupInput)) return items as ParamGroupInput<Options>[];
  if (items.some(isGroupInput)) throw new OptimizerArgumentError(where, 'params', items, `${EXPECTED_PARAMS}, not a mix`);
  return [{ params: items as Parameters } as ParamGroupInput<Options>];
}

/**
 * Checks what the fused step needs of a parameter: a live float32 leaf, contiguous (a view
 * at an offset into a larger storage is fine), on the CPU or on CUDA.
 */
export function checkParam(where: string, argument: string, p: unknown): asserts p is Tensor {
  // Describe a tensor rather than print it (printing a disposed one would throw).
  const value = p instanceof Tensor ? `a ${p.dtype} tensor of shape [${p.shape.join(', ')}] on '${p.device}'` : p;
  const fail = (expected: string) => new OptimizerArgumentError(where, argument, value, expected);
  if (!(p instanceof Tensor)) throw fail('a Tensor');
  if (p.isDisposed) throw fail('a live tensor (this one was disposed)');
  if (!p.isLeaf) throw fail('a leaf tensor (one made by the user, not the result of an op)');
  if (p.dtype !== 'float32') throw fail(`a float32 tensor (dtype is '${p.dtype}')`);
  if (!p.isContiguous()) throw fail('a contiguous tensor');
}

/** The tensors and names of group g's parameters, each checked. */
export function namedParams(where: string, input: unknown, g: number): { params: Tensor[]; names: string[] } {
  const argument = `paramGroups[${g}].params`;
  if (!isIterable(input)) throw new OptimizerArgumentError(where, argument, input, 'a list of tensors or of [name, tensor] pairs');
  const params: Tensor[] = [];
  const names: string[] = [];
  Array.from(input).forEach((item, i) => {
    const [name, p] = isNamedParameter(item) ? item : [`${argument}[${i}]`, item];
    checkParam(where, `${argument}[${i}]`, p);
    // One native call updates the group, on one device.
    const first = params[0];
    if (first !== undefined && p.device !== first.device) {
      throw new OptimizerArgumentError(where, `${argument}[${i}]`, `a tensor on '${p.device}'`, `a tensor on '${first.device}', the device of the group's first parameter`);
    }
    params.push(p);
    names.push(name);
  });
  if (params.length === 0) throw new OptimizerArgumentError(where, argument, [], 'a non-empty list');
  return { params, names };
}
