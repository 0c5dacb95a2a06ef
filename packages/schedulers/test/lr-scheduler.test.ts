import { describe, expect, it } from 'vitest';

import { LrScheduler, polynomialDecay, ScheduleOptionError, studySchedule, warmup } from '../src/index';
import { seededRandom } from './random';

const random = seededRandom(11);

describe('LrScheduler', () => {
  const bases = [0.05 + random(), 0.01 * random() + 0.001];
  const schedule = polynomialDecay({ maxSteps: 20, endLr: 1e-4, power: 2 });

  it('sets step 0 at construction and each step after, per group from its own base', () => {
    const optimizer = { paramGroups: bases.map((lr) => ({ lr })) };
    const scheduler = new LrScheduler(optimizer, schedule);
    for (let t = 0; t < 25; t++) {
      expect(scheduler.lastStep).toBe(t);
      expect(scheduler.lrs()).toEqual(bases.map((b) => schedule(t, b)));
      scheduler.step();
    }
    expect(scheduler.baseLrs).toEqual(bases);
  });

  it('resumes exactly from a state dict', () => {
    const a = { paramGroups: bases.map((lr) => ({ lr })) };
    const first = new LrScheduler(a, schedule);
    for (let t = 0; t < 7; t++) first.step();
    const b = { paramGroups: bases.map(() => ({ lr: 1 })) };
    const second = new LrScheduler(b, schedule);
    second.loadStateDict(first.stateDict());
    for (let t = 0; t < 5; t++) {
      first.step();
      second.step();
      expect(b.paramGroups).toEqual(a.paramGroups);
    }
  });

  it("drives the study schedule: group lr = lrAt(iteration) whatever the group's lr was", () => {
    const study = studySchedule({ baseLr: 0.1, multiplier: 2, warmupEpochs: 5, decayEpochs: 200, endLr: 2e-5, itersPerEpoch: 196 });
    const optimizer = { paramGroups: [{ lr: 0.7 }] };
    const scheduler = new LrScheduler(optimizer, study);
    for (let it = 0; it < 7 * 196; it++) {
      expect(optimizer.paramGroups[0]!.lr).toBe(study.lrAt(it));
      scheduler.step();
    }
  });

  it('rejects a bad optimizer, schedule or state dict with ScheduleOptionError', () => {
    const w = warmup({ multiplier: 2, total: 3 });
    expect(() => new LrScheduler({ paramGroups: [{ lr: -1 }] }, w)).toThrow(/option 'optimizer.paramGroups\[0\].lr' must be a finite number >= 0, got -1/);
    expect(() => new LrScheduler({} as never, w)).toThrow(ScheduleOptionError);
    expect(() => new LrScheduler({ paramGroups: [] }, 3 as never)).toThrow(/option 'schedule' must be a Schedule, got 3/);
    const s = new LrScheduler({ paramGroups: [{ lr: 0.1 }] }, w);
    expect(() => s.loadStateDict({ step: 2, baseLrs: [0.1, 0.2] })).toThrow(/option 'baseLrs' must be an array of 1 learning rates/);
    expect(() => s.loadStateDict({ step: -2, baseLrs: [0.1] })).toThrow(/option 'step' must be an integer >= 0, got -2/);
  });
});
