import { ScheduleOptionError } from './errors';
import { polynomialLr, warmupLr } from './formulas';
import { defineSchedule, type Schedule } from './schedule';
import { nonNegative, nonNegativeInteger, positiveInteger } from './validate';

/** Options of {@link studySchedule}; the study's hyperparams.py names in brackets. */
export interface StudyScheduleOptions {
  /** Initial learning rate [lr], e.g. 0.05·k for attempt 3. */
  baseLr: number;
  /** Warm-up multiplier [warmup_multiplier]; >= 1. */
  multiplier: number;
  /** Warm-up epochs [warmup_epoch]; an integer >= 0 (the study used 5). */
  warmupEpochs: number;
  /** Decay epochs [max_decay_epoch]; the decay spans decayEpochs·itersPerEpoch iterations. */
  decayEpochs: number;
  /** The decay's end learning rate [end_learning_rate]. */
  endLr: number;
  /** Iterations per epoch: ceil(50000 / batch) for CIFAR-10 with the last batch kept. */
  itersPerEpoch: number;
}

/** The study's schedule: a {@link Schedule} (it ignores the base passed in) with its options. */
export interface StudySchedule extends Schedule, Readonly<StudyScheduleOptions> {
  /** The learning rate used by iteration `iteration` = epoch·itersPerEpoch + batch index. */
  lrAt(iteration: number): number;
  /** The decay's step count, decayEpochs·itersPerEpoch. */
  readonly decaySteps: number;
}

/**
 * The LARS study's learning rate, iteration by iteration, equal to the last bit to what its
 * training loop produced (train.py driving GradualWarmupScheduler once per epoch and
 * PolynomialLRDecay, power 2, once per iteration after the warm-up). With I iterations per
 * epoch and T warm-up epochs: epoch e < T runs at baseLr·((M − 1)(e + 1)/T + 1); epoch T
 * at baseLr·M; iteration i of epoch e > T at the decay's step s = 2 + (e − T − 1)·I + i
 * from baseLr·M towards endLr over decayEpochs·I steps (the loop steps the decay before
 * each batch, and the decay's constructor had already taken step 1). Past the decay the
 * rate stays at endLr. `warmupEpochs: 0` starts at baseLr·M for epoch 0 (the study's code
 * would divide by zero there).
 *
 * @example
 * ```ts
 * import { studySchedule } from '@largebatch/schedulers';
 * // Attempt 4 at batch 1024 (k = 8): base 0.02·8, multiplier 5, end 1e-5·8.
 * const s = studySchedule({ baseLr: 0.16, multiplier: 5, warmupEpochs: 5, decayEpochs: 200, endLr: 8e-5, itersPerEpoch: 49 });
 * s.lrAt(0); // ≈ 0.288, epoch 0
 * s.lrAt(5 * 49); // ≈ 0.8, epoch 5 holds baseLr·multiplier
 * ```
 */
export function studySchedule(options: StudyScheduleOptions): StudySchedule {
  const name = 'studySchedule';
  const baseLr = nonNegative(name, 'baseLr', options.baseLr);
  const { multiplier } = options;
  if (typeof multiplier !== 'number' || !Number.isFinite(multiplier) || multiplier < 1) {
    throw new ScheduleOptionError(name, 'multiplier', multiplier, 'a finite number >= 1');
  }
  const warmupEpochs = nonNegativeInteger(name, 'warmupEpochs', options.warmupEpochs);
  const decayEpochs = positiveInteger(name, 'decayEpochs', options.decayEpochs);
  const endLr = nonNegative(name, 'endLr', options.endLr);
  const itersPerEpoch = positiveInteger(name, 'itersPerEpoch', options.itersPerEpoch);
  const decaySteps = decayEpochs * itersPerEpoch;
  if (decaySteps < 2) {
    // PolynomialLRDecay rejects max_decay_steps <= 1.
    throw new ScheduleOptionError(name, 'decayEpochs', decayEpochs, 'such that decayEpochs·itersPerEpoch >= 2');
  }
  const peakLr = baseLr * multiplier;

  const lrAt = (iteration: number): number => {
    nonNegativeInteger(name, 'iteration', iteration);
    const epoch = Math.floor(iteration / itersPerEpoch);
    if (epoch < warmupEpochs) return warmupLr(baseLr, multiplier, epoch + 1, warmupEpochs);
    if (epoch === warmupEpochs) return peakLr;
    const decayStep = 2 + (epoch - warmupEpochs - 1) * itersPerEpoch + (iteration - epoch * itersPerEpoch);
    // Past maxSteps the study's decay stops setting the rate; it stays at its value at maxSteps, endLr.
    return decayStep <= decaySteps ? polynomialLr(peakLr, endLr, decayStep, decaySteps, 2) : endLr;
  };

  // From iteration (T + 1)·I + S − 2 the decay is at its step S and the rate is endLr.
  const settlesAt = (warmupEpochs + 1) * itersPerEpoch + decaySteps - 2;
  const schedule = defineSchedule(name, settlesAt, (iteration) => lrAt(iteration));
  return Object.assign(schedule, { baseLr, multiplier, warmupEpochs, decayEpochs, endLr, itersPerEpoch, decaySteps, lrAt });
}
