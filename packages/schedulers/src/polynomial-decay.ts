import { polynomialLr } from './formulas';
import { defineSchedule, type Schedule } from './schedule';
import { nonNegative, positive, positiveInteger } from './validate';

/** Options of {@link polynomialDecay}. */
export interface PolynomialDecayOptions {
  /** Steps of the decay; an integer >= 1. */
  maxSteps: number;
  /** The learning rate at maxSteps and after; default 0. */
  endLr?: number;
  /** The exponent; default 1 (linear), the study used 2. */
  power?: number;
}

/**
 * Polynomial decay: (baseLr − endLr)·(1 − s/maxSteps)^power + endLr for s <= maxSteps,
 * endLr after; the study's PolynomialLRDecay and MLPerf's poly schedule.
 *
 * @example
 * ```ts
 * import { polynomialDecay } from '@largebatch/schedulers';
 * const lr = polynomialDecay({ maxSteps: 100, endLr: 0.001, power: 2 });
 * lr(0, 0.1); // 0.1
 * lr(100, 0.1); // 0.001
 * ```
 */
export function polynomialDecay(options: PolynomialDecayOptions): Schedule {
  const maxSteps = positiveInteger('polynomialDecay', 'maxSteps', options.maxSteps);
  const endLr = nonNegative('polynomialDecay', 'endLr', options.endLr ?? 0);
  const power = positive('polynomialDecay', 'power', options.power ?? 1);
  return defineSchedule('polynomialDecay', maxSteps, (step, baseLr) =>
    step <= maxSteps ? polynomialLr(baseLr, endLr, step, maxSteps, power) : endLr,
  );
}
