// The optimizer state dict: what a checkpoint needs to resume training bit for bit, as
// plain data (numbers, strings, Float32Array copies), and the checks run before loading one.
import type { Tensor } from '@largebatch/tensor';

import { OptimizerArgumentError } from './errors';

/** One parameter's saved state. */
export interface ParamState {
  /** Its name (checked on load: a state dict is for the same parameters). */
  name: string;
  shape: number[];
  /**
   * A copy of its momentum buffer once that holds a step; null before its first step or
   * without momentum (the next step then starts the buffer afresh, as torch does).
   */
  momentumBuffer: Float32Array | null;
}

/** One param group's saved options and parameter states. */
export interface ParamGroupState<SavedOptions> {
  options: SavedOptions;
  params: ParamState[];
}

/** `optimizer.stateDict()`: plain data, safe to keep after the optimizer is disposed. */
export interface OptimizerStateDict<SavedOptions = Record<string, number | boolean | string>> {
  optimizer: string;
  paramGroups: ParamGroupState<SavedOptions>[];
}

function sameShape(a: unknown, b: readonly number[]): boolean {
  return Array.isArray(a) && a.length === b.length && a.every((s, i) => s === b[i]);
}

/**
 * Checks that a saved group fits the group it is loaded into: the same parameters (by
 * count, name and shape) and momentum buffers of the right length.
 */
export function checkGroupState(where: string, g: number, saved: unknown, params: readonly Tensor[], names: readonly string[]): asserts saved is ParamGroupState<unknown> {
  const at = `stateDict.paramGroups[${g}]`;
  const fail = (argument: string, value: unknown, expected: string) => new OptimizerArgumentError(where, argument, value, expected);
  if (typeof saved !== 'object' || saved === null) throw fail(at, saved, 'an object { options, params }');
  const { options, params: states } = saved as Partial<ParamGroupState<unknown>>;
  if (typeof options !== 'object' || options === null) throw fail(`${at}.options`, options, 'an object of options');
  if (!Array.isArray(states) || states.length !== params.length) {
    throw fail(`${at}.params`, states, `an array of ${params.length} parameter states (one per parameter of the group)`);
  }
  states.forEach((s: Partial<ParamState> | null, i) => {
    const p = params[i]!;
    if (typeof s !== 'object' || s === null) throw fail(`${at}.params[${i}]`, s, 'an object { name, shape, momentumBuffer }');
    if (s.name !== names[i]) throw fail(`${at}.params[${i}].name`, s.name, `'${names[i]}' (the state dict is for other parameters)`);
    if (!sameShape(s.shape, p.shape)) throw fail(`${at}.params[${i}].shape`, s.shape, `[${p.shape.join(', ')}] (the shape of '${names[i]}')`);
    const b = s.momentumBuffer;
    if (b !== null && (!(b instanceof Float32Array) || b.length !== p.numel)) {
      throw fail(`${at}.params[${i}].momentumBuffer`, b, `a Float32Array of length ${p.numel}, or null`);
    }
  });
}
