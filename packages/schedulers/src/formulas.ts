// The closed forms of the study's two schedulers, written once: the generic schedules and
// studySchedule both call these, so they agree to the last bit. The order of operations
// follows the study's Python code (GradualWarmupScheduler.get_lr, PolynomialLRDecay.step),
// which is what makes floating-point equality with its sequence possible.

/** Gradual warm-up at step t <= total: base·((multiplier − 1)·t/total + 1). */
export function warmupLr(baseLr: number, multiplier: number, step: number, total: number): number {
  return baseLr * (((multiplier - 1) * step) / total + 1);
}

/**
 * Polynomial decay at step <= maxSteps: (base − end)·(1 − step/maxSteps)^power + end.
 * `**` must round once (V8's does for power 2, as the study's glibc pow did).
 */
export function polynomialLr(baseLr: number, endLr: number, step: number, maxSteps: number, power: number): number {
  return (baseLr - endLr) * (1 - step / maxSteps) ** power + endLr;
}
