/** Formats a received value for an error message. */
function describe(value: unknown): string {
  if (typeof value === 'string') return JSON.stringify(value);
  if (typeof value === 'function') return 'a function';
  if (Array.isArray(value)) return `an array of length ${value.length}`;
  if (ArrayBuffer.isView(value)) return `a ${value.constructor.name} of length ${(value as Float32Array).length}`;
  return String(value);
}

/**
 * An optimizer option outside its valid range (a negative lr, momentum or weight decay, a
 * trust coefficient <= 0, an unknown variant …). The message names the option, the value
 * and what was expected.
 *
 * @example
 * ```ts
 * import { larsStep, OptimizerOptionError } from '@largebatch/optim';
 * try {
 *   larsStep([], [], { momentumBuffers: [] }, { lr: -1 });
 * } catch (e) {
 *   if (e instanceof OptimizerOptionError) console.log(e.option, e.value); // 'lr' -1
 * }
 * ```
 */
export class OptimizerOptionError extends RangeError {
  override readonly name = 'OptimizerOptionError';

  constructor(
    /** The optimizer or function that rejected it, e.g. `larsStep`. */
    readonly where: string,
    readonly option: string,
    readonly value: unknown,
    readonly expected: string,
  ) {
    super(`${where}: option '${option}' must be ${expected}, got ${describe(value)}`);
  }
}

/**
 * Arguments that do not fit together: params and grads of different counts or sizes, a
 * state whose momentum buffers do not match the params, a state dict for other params.
 *
 * @example
 * ```ts
 * import { sgdStep, OptimizerArgumentError } from '@largebatch/optim';
 * try {
 *   sgdStep([new Float32Array(3)], [new Float32Array(2)], { momentumBuffers: [] }, { lr: 0.1 });
 * } catch (e) {
 *   if (e instanceof OptimizerArgumentError) console.log(e.argument); // 'grads[0]'
 * }
 * ```
 */
export class OptimizerArgumentError extends RangeError {
  override readonly name = 'OptimizerArgumentError';

  constructor(
    readonly where: string,
    /** The argument, e.g. `grads[3]` or `state.momentumBuffers[0]`. */
    readonly argument: string,
    readonly value: unknown,
    readonly expected: string,
  ) {
    super(`${where}: argument '${argument}' must be ${expected}, got ${describe(value)}`);
  }
}

/**
 * A gradient holding NaN or Inf. The step updates every other tensor and leaves the ones
 * with non-finite gradients (parameters and momentum) unchanged, then throws this error
 * naming the first of them; `indices` lists them all. On CUDA a step does not wait for
 * the device, so its report comes one call late: the next step (after it has run) or
 * `synchronize()` throws it, with `fromPreviousStep` set.
 *
 * @example
 * ```ts
 * import { sgdStep, NonFiniteGradientError } from '@largebatch/optim';
 * try {
 *   sgdStep([new Float32Array(2)], [new Float32Array([1, NaN])], { momentumBuffers: [] }, { lr: 0.1, names: ['fc.bias'] });
 * } catch (e) {
 *   if (e instanceof NonFiniteGradientError) console.log(e.tensorName); // 'fc.bias'
 * }
 * ```
 */
export class NonFiniteGradientError extends Error {
  override readonly name = 'NonFiniteGradientError';

  constructor(
    readonly where: string,
    /** Indices of every tensor whose gradient holds NaN or Inf, ascending. */
    readonly indices: readonly number[],
    /** The name of the first of them. */
    readonly tensorName: string,
    /** Whether the gradients were those of the step before this call (a CUDA step's report). */
    readonly fromPreviousStep = false,
  ) {
    const more = indices.length > 1 ? ` (and ${indices.length - 1} more: ${indices.slice(1, 6).join(', ')}${indices.length > 6 ? ', …' : ''})` : '';
    const holds = fromPreviousStep ? 'held NaN or Inf in the previous step (reported now: a CUDA step does not wait for the device)' : 'holds NaN or Inf';
    super(
      `${where}: the gradient of tensor ${indices[0]} ('${tensorName}') ${holds}${more}; ` +
        'those tensors were left unchanged, the others were updated',
    );
  }

  /** Index of the first tensor whose gradient holds NaN or Inf. */
  get index(): number {
    return this.indices[0]!;
  }
}
