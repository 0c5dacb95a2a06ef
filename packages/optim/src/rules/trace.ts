/** Options of {@link trace}, as torch.optim.SGD's. */
export interface TraceOptions {
  momentum: number;
  dampening: number;
  nesterov: boolean;
}

/**
 * Momentum as torch.optim.SGD computes it (optax's trace, with torch's dampening and
 * first step). With update d: on the first step (no buffer yet) the buffer is a copy of d;
 * after, buffer ← momentum·buffer + (1 − dampening)·d. The update becomes the buffer, or
 * with nesterov d + momentum·buffer. Returns the buffer (new on the first step) for the
 * caller to keep; with momentum 0 the update is left alone and no buffer is made.
 *
 * @example
 * ```ts
 * import { trace } from '@largebatch/optim';
 * const options = { momentum: 0.9, dampening: 0, nesterov: false };
 * const d = new Float32Array([1]);
 * let buffer = trace(d, undefined, options); // buffer = [1], d = [1]
 * const d2 = new Float32Array([1]);
 * buffer = trace(d2, buffer, options); // buffer = [1.9], d2 = [1.9]
 * ```
 */
export function trace(update: Float32Array, buffer: Float32Array | undefined, options: TraceOptions): Float32Array | undefined {
  const { momentum, dampening, nesterov } = options;
  if (momentum === 0) return buffer;
  if (buffer === undefined) {
    buffer = Float32Array.from(update);
  } else {
    const keep = 1 - dampening;
    for (let i = 0; i < buffer.length; i++) buffer[i] = momentum * buffer[i]! + keep * update[i]!;
  }
  if (nesterov) {
    for (let i = 0; i < update.length; i++) update[i]! += momentum * buffer[i]!;
  } else {
    update.set(buffer);
  }
  return buffer;
}
