import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';

import { ScheduleOptionError, studySchedule, type StudyScheduleOptions } from '../src/index';

interface StudyCase {
  attempt: number;
  batchSize: number;
  options: StudyScheduleOptions;
  iterations: number[];
  lrs: number[];
}

const fixture = JSON.parse(readFileSync(new URL('../fixtures/study-schedule.json', import.meta.url), 'utf8')) as {
  cases: StudyCase[];
};

describe('studySchedule', () => {
  it('covers all five attempts at batch 128 to 8192', () => {
    expect(new Set(fixture.cases.map((c) => c.attempt))).toEqual(new Set([1, 2, 3, 4, 5]));
    expect(new Set(fixture.cases.map((c) => c.batchSize))).toEqual(new Set([128, 256, 512, 1024, 2048, 4096, 8192]));
  });

  it.each(fixture.cases.map((c) => [c.attempt, c.batchSize, c] as const))(
    'attempt %i, batch %i: equals the study scheduler sequence bit for bit',
    (_attempt, _batch, c) => {
      const schedule = studySchedule(c.options);
      const mismatches = c.iterations.filter((it, j) => schedule.lrAt(it) !== c.lrs[j]);
      expect(mismatches).toEqual([]);
      // As a Schedule it is the same function of the iteration, whatever base it is handed.
      expect(c.iterations.map((it) => schedule(it, 123))).toEqual(c.lrs);
    },
  );

  // MLPerf-style pins, attempt 3 at batch 512 (k = 4, I = 98): base 0.2, multiplier 2.
  const options = { baseLr: 0.05 * 4, multiplier: 2, warmupEpochs: 5, decayEpochs: 200, endLr: 1e-5 * 4, itersPerEpoch: 98 };
  const s = studySchedule(options);
  const I = 98;
  const S = 200 * I;
  const peak = 0.2 * 2;

  it('step 0 runs at base·(1 + (M − 1)/T)', () => {
    expect(s.lrAt(0)).toBe(0.2 * ((1 * 1) / 5 + 1));
    expect(s.lrAt(I - 1)).toBe(s.lrAt(0));
  });

  it('the last warm-up epoch and the epoch after it run at base·M', () => {
    expect(s.lrAt(4 * I)).toBeCloseTo(peak, 15);
    expect(s.lrAt(5 * I)).toBe(peak);
    expect(s.lrAt(6 * I - 1)).toBe(peak);
  });

  it('the decay starts at its step 2 and reaches endLr at maxSteps, then stays', () => {
    const decay = (step: number) => (peak - options.endLr) * (1 - step / S) ** 2 + options.endLr;
    expect(s.lrAt(6 * I)).toBe(decay(2));
    expect(s.lrAt(6 * I + 10)).toBe(decay(12));
    const settles = 6 * I + S - 2;
    expect(s.steps).toBe(settles);
    expect(s.lrAt(settles - 1)).toBe(decay(S - 1));
    expect(s.lrAt(settles)).toBe(options.endLr);
    expect(s.lrAt(settles + 1000)).toBe(options.endLr);
    // The study's 200 epochs end before the decay does.
    expect(s.lrAt(200 * I - 1)).toBeGreaterThan(options.endLr);
  });

  it('with no warm-up epochs starts at base·M and decays from epoch 1', () => {
    const t = studySchedule({ ...options, warmupEpochs: 0 });
    expect(t.lrAt(0)).toBe(peak);
    expect(t.lrAt(I)).toBe((peak - options.endLr) * (1 - 2 / S) ** 2 + options.endLr);
  });

  it.each([
    ['baseLr', -0.1],
    ['multiplier', 0.5],
    ['warmupEpochs', 1.5],
    ['decayEpochs', 0],
    ['endLr', Number.NaN],
    ['itersPerEpoch', 0],
  ] as const)('rejects %s = %s with a ScheduleOptionError naming it', (option, value) => {
    const make = () => studySchedule({ ...options, [option]: value });
    expect(make).toThrow(ScheduleOptionError);
    expect(make).toThrow(new RegExp(`option '${option}' must be .*, got ${String(value)}`));
  });

  it('rejects a decay of fewer than 2 steps, and negative or fractional iterations', () => {
    expect(() => studySchedule({ ...options, decayEpochs: 1, itersPerEpoch: 1 })).toThrow(/decayEpochs·itersPerEpoch >= 2/);
    expect(() => s.lrAt(-1)).toThrow(/option 'iteration' must be an integer >= 0, got -1/);
    expect(() => s.lrAt(2.5)).toThrow(ScheduleOptionError);
  });
});
