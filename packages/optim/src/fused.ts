// The fused native step: one addon call updates every tensor of a param group, with no
// per-tensor kernel launches and no read-back beyond the NaN/Inf report (on CUDA collected
// at the group's next call, so that a step never waits for the device). The SGD and LARS
// classes call it with their tensors' storage handles; it has the same semantics as
// sgdStep/larsStep (functional.ts), which tests hold it to.
import { native, OptimFlag, OptimVariantCode, type BufferHandle, type OptimStateHandle } from '@largebatch/cuda-kernels';
import { DisposedError } from '@largebatch/tensor';

import { NonFiniteGradientError, OptimizerArgumentError, OptimizerOptionError } from './errors';
import { larsHyper, sgdHyper, type LarsOptions, type SgdHyper, type SgdOptions } from './options';

/** Where a tensor's floats live: a native float32 buffer and an element offset into it. */
export interface BufferSpan {
  readonly buffer: BufferHandle;
  readonly offset: number;
}

/** One tensor of a {@link FusedGroup}. */
export interface FusedTensor {
  /** For error messages. */
  readonly name: string;
  /** Element count. */
  readonly size: number;
  readonly param: BufferSpan;
  /** The momentum buffer (size elements); needed for steps with momentum != 0. */
  readonly momentum?: BufferSpan;
  /** LARS 'paper': no trust-ratio adaptation and no weight decay for this tensor. */
  readonly excluded?: boolean;
}

function isSpan(s: unknown): s is BufferSpan {
  return typeof s === 'object' && s !== null && 'buffer' in s && Number.isSafeInteger((s as BufferSpan).offset) && (s as BufferSpan).offset >= 0;
}

/**
 * The tensors of one param group, laid out once for the native step. `sgdStep` and
 * `larsStep` then update them all in one addon call; whether each momentum buffer holds a
 * previous step is tracked here (as torch's "momentum_buffer in state").
 *
 * On CUDA a step is queued and returns at once; its flags and NaN/Inf report are read back
 * behind it, and the group's next call collects them (waiting for that step only). A
 * NonFiniteGradientError of a CUDA step is therefore thrown by the next step, after that
 * step has run, or by {@link synchronize}.
 *
 * @example
 * ```ts
 * import { native, DeviceCode } from '@largebatch/cuda-kernels';
 * import { FusedGroup } from '@largebatch/optim';
 * const [w, g, v] = [0, 1, 2].map(() => native.alloc(DeviceCode.cpu, 8));
 * native.write(w!, 0, new Float32Array([3, 4]));
 * native.write(g!, 0, new Float32Array([0.6, 0.8]));
 * const group = new FusedGroup([{ name: 'w', size: 2, param: { buffer: w!, offset: 0 }, momentum: { buffer: v!, offset: 0 } }]);
 * group.larsStep([{ buffer: g!, offset: 0 }], { lr: 1, momentum: 0.9, trustCoefficient: 0.01 });
 * const out = new Float32Array(2);
 * native.read(w!, 0, out); // ≈ [2.97, 3.96]: λ = 0.01·5/1
 * [w, g, v].forEach((b) => native.free(b!));
 * ```
 */
export class FusedGroup {
  private readonly params: BufferHandle[];
  private readonly momenta: (BufferHandle | null)[];
  private readonly layout: Float64Array;
  private readonly flags: Uint8Array;
  private readonly names: string[];
  /** ‖w‖² per tensor after the last LARS step (NaN: unknown), for the next one. */
  private readonly weightSq: Float64Array;
  private readonly keepWeightNorms: boolean;
  private readonly state: OptimStateHandle;
  /** Where the last step was called, for its report. */
  private lastStep = '';
  /** A collected CUDA report not yet thrown. */
  private unreported: NonFiniteGradientError | null = null;
  private disposed = false;

  /**
   * With `keepWeightNorms`, a LARS step takes each tensor's ‖w‖² from the previous step's
   * update pass instead of reading w again (bit for bit the same value, one pass over the
   * weights less); the caller then must call {@link forgetWeightNorm} for every tensor that
   * anything else writes between steps. Without it (the default) every step reads w.
   */
  constructor(readonly tensors: readonly FusedTensor[], options: { keepWeightNorms?: boolean } = {}) {
    const where = 'FusedGroup';
    if (!Array.isArray(tensors)) throw new OptimizerArgumentError(where, 'tensors', tensors, 'an array of FusedTensor');
    const n = tensors.length;
    this.params = [];
    this.momenta = [];
    this.names = [];
    this.layout = new Float64Array(4 * n);
    this.flags = new Uint8Array(n);
    this.weightSq = new Float64Array(n).fill(Number.NaN);
    this.keepWeightNorms = options.keepWeightNorms === true;
    tensors.forEach((t, i) => {
      if (!Number.isSafeInteger(t?.size) || t.size < 0) throw new OptimizerArgumentError(where, `tensors[${i}].size`, t?.size, 'an integer >= 0');
      if (!isSpan(t.param)) throw new OptimizerArgumentError(where, `tensors[${i}].param`, t.param, '{ buffer, offset } with an integer offset >= 0');
      if (t.momentum !== undefined && !isSpan(t.momentum)) {
        throw new OptimizerArgumentError(where, `tensors[${i}].momentum`, t.momentum, '{ buffer, offset } with an integer offset >= 0, or undefined');
      }
      this.params.push(t.param.buffer);
      this.momenta.push(t.momentum?.buffer ?? null);
      this.names.push(String(t.name));
      this.layout.set([t.param.offset, 0, t.momentum?.offset ?? 0, t.size], 4 * i);
      if (t.excluded === true) this.flags[i] = OptimFlag.excluded;
    });
    this.state = native.optimState(n);
  }

  /** Whether tensor i's momentum buffer holds a previous step (false before its first). */
  momentumReady(i: number): boolean {
    this.collect();
    return ((this.flags[i] ?? 0) & OptimFlag.momentumReady) !== 0;
  }

  /** Marks tensor i's momentum buffer as holding a step, or not (when loading a state dict). */
  setMomentumReady(i: number, ready: boolean): void {
    if (!Number.isInteger(i) || i < 0 || i >= this.flags.length) throw new OptimizerArgumentError('FusedGroup.setMomentumReady', 'i', i, `an index below ${this.flags.length}`);
    this.collect();
    this.flags[i] = ready ? this.flags[i]! | OptimFlag.momentumReady : this.flags[i]! & ~OptimFlag.momentumReady;
  }

  /**
   * Waits for the group's last step on CUDA and throws the NonFiniteGradientError of a
   * step that no call has reported yet. On the CPU steps report themselves: a no-op.
   */
  synchronize(): void {
    this.collect();
    this.throwUnreported();
  }

  /**
   * Frees the group's read-back memory (a report not yet thrown is dropped); the group
   * cannot be used afterwards. Idempotent.
   */
  dispose(): void {
    this.disposed = true;
    native.optimStateFree(this.state);
  }

  /** Drops the ‖w‖² kept for tensor i: its parameter was written outside this group. */
  forgetWeightNorm(i: number): void {
    if (!Number.isInteger(i) || i < 0 || i >= this.weightSq.length) throw new OptimizerArgumentError('FusedGroup.forgetWeightNorm', 'i', i, `an index below ${this.weightSq.length}`);
    this.weightSq[i] = Number.NaN;
  }

  /**
   * One torch.optim.SGD step over every tensor with a gradient (null: skipped). NaN/Inf
   * gradients: those tensors are left unchanged and NonFiniteGradientError names them.
   */
  sgdStep(grads: readonly (BufferSpan | null)[], options: SgdOptions): void {
    const where = 'FusedGroup.sgdStep';
    this.run(where, OptimVariantCode.sgd, sgdHyper(where, options), 0, 0, false, grads, undefined);
  }

  /**
   * One LARS step ('paper' or 'study', see larsStep) over every tensor with a gradient.
   * `trustRatios`, if given, receives one float32 per tensor: the factor on lr of each
   * updated tensor (others are left as they were).
   */
  larsStep(grads: readonly (BufferSpan | null)[], options: LarsOptions, trustRatios?: BufferSpan): void {
    const where = 'FusedGroup.larsStep';
    const h = larsHyper(where, options);
    if (h.variant === 'study' && this.tensors.some((t) => t.excluded === true)) {
      throw new OptimizerOptionError(where, 'excluded', true, "false for every tensor with variant 'study' (the study excluded no tensor)");
    }
    const variant = h.variant === 'study' ? OptimVariantCode.larsStudy : OptimVariantCode.larsPaper;
    this.run(where, variant, h, h.trustCoefficient, h.eps, h.clip, grads, trustRatios);
  }

  private run(
    where: string, variant: number, h: SgdHyper, trust: number, eps: number, clip: boolean,
    grads: readonly (BufferSpan | null)[], trustRatios: BufferSpan | undefined,
  ): void {
    const n = this.params.length;
    if (!Array.isArray(grads) || grads.length !== n) {
      throw new OptimizerArgumentError(where, 'grads', grads, `an array of ${n} gradient spans (null for none)`);
    }
    const gradBuffers: (BufferHandle | null)[] = new Array<BufferHandle | null>(n);
    for (let i = 0; i < n; i++) {
      const g = grads[i];
      if (g == null) {
        gradBuffers[i] = null;
        continue;
      }
      if (!isSpan(g)) throw new OptimizerArgumentError(where, `grads[${i}]`, g, '{ buffer, offset } with an integer offset >= 0, or null');
      if (h.momentum !== 0 && this.momenta[i] === null) {
        throw new OptimizerArgumentError(where, `tensors[${i}].momentum`, undefined, `a buffer span, since momentum is ${h.momentum}`);
      }
      gradBuffers[i] = g.buffer;
      this.layout[4 * i + 1] = g.offset;
    }
    if (trustRatios !== undefined && !isSpan(trustRatios)) {
      throw new OptimizerArgumentError(where, 'trustRatios', trustRatios, '{ buffer, offset } with an integer offset >= 0, or undefined');
    }
    const hyper = Float64Array.of(h.lr, h.momentum, h.dampening, h.weightDecay, trust, eps, clip ? 1 : 0, h.nesterov ? 1 : 0);
    if (!this.keepWeightNorms) this.weightSq.fill(Number.NaN);
    this.collect();
    const firstBad = native.optimStep(
      variant, hyper, this.params, gradBuffers, this.momenta, this.layout, this.flags,
      trustRatios?.buffer ?? null, trustRatios?.offset ?? 0, this.weightSq, this.state,
    );
    this.lastStep = where;
    if (firstBad >= 0) throw this.nonFiniteError(where, firstBad, false);
    this.throwUnreported();
  }

  /** Throws a collected report that no call has thrown yet. */
  private throwUnreported(): void {
    const error = this.unreported;
    this.unreported = null;
    if (error !== null) throw error;
  }

  /** Fetches a pending CUDA step's flags and report (waiting for that step); keeps its error. */
  private collect(): void {
    if (this.disposed) throw new DisposedError('FusedGroup: the group was disposed');
    const firstBad = native.optimCollect(this.state, this.flags);
    if (firstBad >= 0) this.unreported = this.nonFiniteError(this.lastStep, firstBad, true);
  }

  private nonFiniteError(where: string, firstBad: number, fromPreviousStep: boolean): NonFiniteGradientError {
    const bad: number[] = [];
    this.flags.forEach((f, i) => {
      if (f & OptimFlag.nonFinite) bad.push(i);
    });
    return new NonFiniteGradientError(where, bad, this.names[firstBad]!, fromPreviousStep);
  }
}
