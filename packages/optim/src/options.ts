// Validation of SGD and LARS options, shared by the functional steps, the fused steps and
// the optimizer classes: each bad option becomes an OptimizerOptionError naming it.
import { OptimizerOptionError } from './errors';

/** torch.optim.SGD's options. */
export interface SgdOptions {
  /** Learning rate γ; >= 0. */
  lr: number;
  /** Momentum m; >= 0, default 0. */
  momentum?: number;
  /** Dampening of the gradient in the momentum sum; in [0, 1], default 0. */
  dampening?: number;
  /** L2 weight decay β added to the gradient; >= 0, default 0. */
  weightDecay?: number;
  /** Nesterov momentum (needs momentum > 0 and dampening 0); default false. */
  nesterov?: boolean;
}

/** The LARS variants: Algorithm 1 with modern guards, or the study's "ver2" as it ran. */
export type LarsVariant = 'paper' | 'study';

/** LARS options (see the package README for each against torchlars, timm, optax, apex and TF). */
export interface LarsOptions extends SgdOptions {
  /** Trust coefficient η; > 0, default 0.001 (the paper's). */
  trustCoefficient?: number;
  /** Added to the ratio's denominator ('paper' only); >= 0, default 0. */
  eps?: number;
  /** 'paper' (default) or 'study'. */
  variant?: LarsVariant;
  /** LARC clipping, λ ← min(λ/γ, 1) ('paper' only); default false. */
  clip?: boolean;
}

/** Every SGD option, defaults filled in. */
export interface SgdHyper {
  lr: number;
  momentum: number;
  dampening: number;
  weightDecay: number;
  nesterov: boolean;
}

/** Every LARS option, defaults filled in. */
export interface LarsHyper extends SgdHyper {
  trustCoefficient: number;
  eps: number;
  variant: LarsVariant;
  clip: boolean;
}

function finiteAtLeast(where: string, option: string, value: unknown, min: number): number {
  if (typeof value !== 'number' || !Number.isFinite(value) || value < min) {
    throw new OptimizerOptionError(where, option, value, `a finite number >= ${min}`);
  }
  return value;
}

function flag(where: string, option: string, value: unknown): boolean {
  if (typeof value !== 'boolean') throw new OptimizerOptionError(where, option, value, 'true or false');
  return value;
}

/** Checks torch.optim.SGD's options (as torch does, plus finiteness) and fills defaults. */
export function sgdHyper(where: string, options: SgdOptions): SgdHyper {
  if (typeof options !== 'object' || options === null) throw new OptimizerOptionError(where, 'options', options, 'an object');
  const lr = finiteAtLeast(where, 'lr', options.lr, 0);
  const momentum = finiteAtLeast(where, 'momentum', options.momentum ?? 0, 0);
  const dampening = finiteAtLeast(where, 'dampening', options.dampening ?? 0, 0);
  if (dampening > 1) throw new OptimizerOptionError(where, 'dampening', dampening, 'in [0, 1]');
  const weightDecay = finiteAtLeast(where, 'weightDecay', options.weightDecay ?? 0, 0);
  const nesterov = flag(where, 'nesterov', options.nesterov ?? false);
  if (nesterov && (momentum <= 0 || dampening !== 0)) {
    throw new OptimizerOptionError(where, 'nesterov', nesterov, `false unless momentum > 0 and dampening is 0 (momentum ${momentum}, dampening ${dampening})`);
  }
  return { lr, momentum, dampening, weightDecay, nesterov };
}

/** Checks LARS options and fills defaults; 'study' rejects the options its code did not have. */
export function larsHyper(where: string, options: LarsOptions): LarsHyper {
  const sgd = sgdHyper(where, { momentum: 0.9, ...options });
  const variant = options.variant ?? 'paper';
  if (variant !== 'paper' && variant !== 'study') {
    throw new OptimizerOptionError(where, 'variant', variant, "'paper' or 'study'");
  }
  const trustCoefficient = finiteAtLeast(where, 'trustCoefficient', options.trustCoefficient ?? 0.001, 0);
  if (trustCoefficient === 0) throw new OptimizerOptionError(where, 'trustCoefficient', trustCoefficient, 'a finite number > 0');
  const eps = finiteAtLeast(where, 'eps', options.eps ?? 0, 0);
  const clip = flag(where, 'clip', options.clip ?? false);
  if (variant === 'study') {
    const extras: [string, unknown, boolean][] = [
      ['eps', eps, eps !== 0],
      ['clip', clip, clip],
      ['nesterov', sgd.nesterov, sgd.nesterov],
      ['dampening', sgd.dampening, sgd.dampening !== 0],
    ];
    for (const [option, value, set] of extras) {
      if (set) throw new OptimizerOptionError(where, option, value, "left unset with variant 'study' (the study's code had no such option)");
    }
  }
  return { ...sgd, trustCoefficient, eps, variant, clip };
}

/**
 * Checks a LARS `exclude` predicate: a function or undefined, and unset with 'study' (the
 * study excluded no tensor). Shared by larsStep and the LARS class, whose predicates take a
 * Float32Array and a Tensor respectively.
 */
export function larsExclude<F extends (...args: never[]) => boolean>(where: string, exclude: F | undefined, variant: LarsVariant, signature: string): F | undefined {
  if (exclude !== undefined && typeof exclude !== 'function') throw new OptimizerOptionError(where, 'exclude', exclude, `a function ${signature} => boolean`);
  if (exclude !== undefined && variant === 'study') {
    throw new OptimizerOptionError(where, 'exclude', exclude, "left unset with variant 'study' (the study excluded no tensor)");
  }
  return exclude;
}
