import { defineSchedule, type Schedule } from './schedule';
import { nonNegative, positiveInteger } from './validate';

/** Options of {@link cosine}. */
export interface CosineOptions {
  /** Steps of the decay; an integer >= 1. */
  maxSteps: number;
  /** The learning rate at maxSteps and after; default 0. */
  minLr?: number;
}

/**
 * Cosine decay without restarts (torch's CosineAnnealingLR closed form, optax's
 * cosine_decay_schedule): minLr + (baseLr − minLr)·(1 + cos(π·s/maxSteps))/2 for
 * s <= maxSteps, minLr after.
 *
 * @example
 * ```ts
 * import { cosine } from '@largebatch/schedulers';
 * const lr = cosine({ maxSteps: 100, minLr: 0 });
 * lr(50, 0.1); // ≈ 0.05
 * ```
 */
export function cosine(options: CosineOptions): Schedule {
  const maxSteps = positiveInteger('cosine', 'maxSteps', options.maxSteps);
  const minLr = nonNegative('cosine', 'minLr', options.minLr ?? 0);
  return defineSchedule('cosine', maxSteps, (step, baseLr) =>
    step <= maxSteps ? minLr + ((baseLr - minLr) * (1 + Math.cos((Math.PI * step) / maxSteps))) / 2 : minLr,
  );
}
