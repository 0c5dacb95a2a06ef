import { ScheduleOptionError } from './errors';
import type { Schedule } from './schedule';
import { nonNegative, nonNegativeInteger } from './validate';

/** Anything with param groups that carry a writable learning rate (our SGD and LARS, or others). */
export interface OptimizerLike {
  paramGroups: { lr: number }[];
}

/** What {@link LrScheduler.stateDict} saves: enough to resume the schedule exactly. */
export interface LrSchedulerState {
  step: number;
  baseLrs: number[];
}

/**
 * Drives a {@link Schedule} on an optimizer, as torch's LR schedulers do: the constructor
 * records each group's lr as its base and sets step 0's rate; every `step()` advances one
 * step and writes `paramGroups[i].lr = schedule(step, baseLrs[i])`. Call `step()` after each
 * optimizer step (or each epoch, if the schedule counts epochs).
 *
 * @example
 * ```ts
 * import { LrScheduler, warmup } from '@largebatch/schedulers';
 * const optimizer = { paramGroups: [{ lr: 0.1 }, { lr: 0.01 }] };
 * const scheduler = new LrScheduler(optimizer, warmup({ multiplier: 2, total: 4 }));
 * scheduler.step();
 * optimizer.paramGroups.map((g) => g.lr); // [0.125, 0.0125]
 * ```
 */
export class LrScheduler {
  /** Each group's learning rate at construction: the base the schedule scales. */
  readonly baseLrs: number[];
  private current = 0;

  constructor(
    readonly optimizer: OptimizerLike,
    readonly schedule: Schedule,
  ) {
    if (typeof schedule !== 'function') throw new ScheduleOptionError('LrScheduler', 'schedule', schedule, 'a Schedule');
    if (!Array.isArray(optimizer?.paramGroups)) {
      throw new ScheduleOptionError('LrScheduler', 'optimizer.paramGroups', optimizer?.paramGroups, 'an array of { lr }');
    }
    this.baseLrs = optimizer.paramGroups.map((g, i) => nonNegative('LrScheduler', `optimizer.paramGroups[${i}].lr`, g.lr));
    this.apply();
  }

  /** Steps taken so far; the groups hold the rates of this step. */
  get lastStep(): number {
    return this.current;
  }

  /** Advances one step and writes the new rates into the optimizer's groups. */
  step(): void {
    this.current += 1;
    this.apply();
  }

  /** The rates the groups hold now. */
  lrs(): number[] {
    return this.optimizer.paramGroups.map((g) => g.lr);
  }

  stateDict(): LrSchedulerState {
    return { step: this.current, baseLrs: [...this.baseLrs] };
  }

  /** Restores a saved position (and bases) and writes that step's rates into the groups. */
  loadStateDict(state: LrSchedulerState): void {
    const step = nonNegativeInteger('LrScheduler.loadStateDict', 'step', state?.step);
    const bases = state.baseLrs;
    if (!Array.isArray(bases) || bases.length !== this.baseLrs.length) {
      throw new ScheduleOptionError(
        'LrScheduler.loadStateDict', 'baseLrs', bases, `an array of ${this.baseLrs.length} learning rates (one per group)`,
      );
    }
    bases.forEach((b, i) => {
      this.baseLrs[i] = nonNegative('LrScheduler.loadStateDict', `baseLrs[${i}]`, b);
    });
    this.current = step;
    this.apply();
  }

  private apply(): void {
    this.optimizer.paramGroups.forEach((group, i) => {
      group.lr = this.schedule(this.current, this.baseLrs[i]!);
    });
  }
}
