// The learning rate of every iteration of a run, from its configuration.
import { chain, cosine, polynomialDecay, studySchedule, warmup, type Schedule } from '@largebatch/schedulers';

import type { TrainConfig } from '../config/schema';

/** lr(iteration), iteration = epoch·itersPerEpoch + batch index. */
export type LrAt = (iteration: number) => number;

type ScheduleConfig = Pick<TrainConfig, 'schedule' | 'lr' | 'warmupEpochs' | 'warmupMultiplier' | 'decayEpochs' | 'endLr' | 'epochs'>;

/**
 * - 'study': the study's exact rate (warm-up once per epoch, then poly decay of power 2 per
 *   iteration starting at its step 2), `studySchedule`.
 * - 'poly' / 'cosine': a warm-up per iteration from lr to lr·multiplier over the warm-up
 *   epochs, then poly (power 2) or cosine decay to endLr at the end of decayEpochs.
 * - 'constant': lr.
 */
export function lrSchedule(c: ScheduleConfig, itersPerEpoch: number): LrAt {
  const decayEpochs = c.decayEpochs ?? c.epochs;
  switch (c.schedule) {
    case 'study':
      return studySchedule({
        baseLr: c.lr, multiplier: c.warmupMultiplier, warmupEpochs: c.warmupEpochs, decayEpochs, endLr: c.endLr, itersPerEpoch,
      }).lrAt;
    case 'poly':
    case 'cosine': {
      const warmupSteps = c.warmupEpochs * itersPerEpoch;
      const maxSteps = Math.max(1, (decayEpochs - c.warmupEpochs) * itersPerEpoch);
      const decay = c.schedule === 'poly' ? polynomialDecay({ maxSteps, endLr: c.endLr, power: 2 }) : cosine({ maxSteps, minLr: c.endLr });
      // Without warm-up the decay starts from the peak, lr·multiplier, as 'study' does.
      const [schedule, base]: [Schedule, number] = warmupSteps > 0
        ? [chain(warmup({ multiplier: c.warmupMultiplier, total: warmupSteps }), decay), c.lr]
        : [decay, c.lr * c.warmupMultiplier];
      return (iteration) => schedule(iteration, base);
    }
    case 'constant':
      return () => c.lr;
  }
}
