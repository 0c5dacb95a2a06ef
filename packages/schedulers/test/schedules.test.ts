import { describe, expect, it } from 'vitest';

import { chain, cosine, linear, polynomialDecay, ScheduleOptionError, step, warmup } from '../src/index';
import { seededRandom } from './random';

const random = seededRandom(7);
// Fresh random bases and lengths for every run of this file (seeded, never round numbers).
const base = 0.01 + random();
const total = 3 + Math.floor(random() * 50);

/** Relative closeness for float64 references computed another way. */
function expectNear(actual: number, expected: number): void {
  expect(Math.abs(actual - expected)).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(expected)));
}

describe('warmup', () => {
  const M = 1 + 9 * random();
  const lr = warmup({ multiplier: M, total });
  it('pins: base at step 0, base·M at the end of warm-up and after', () => {
    expect(lr(0, base)).toBe(base);
    expectNear(lr(total, base), base * M);
    expect(lr(total + 1, base)).toBe(base * M);
    expect(lr(10 * total, base)).toBe(base * M);
    expect(lr.steps).toBe(total);
  });
  it('rises linearly: equal increments between steps', () => {
    const increments = Array.from({ length: total }, (_, t) => lr(t + 1, base) - lr(t, base));
    for (const d of increments) expectNear(d, (base * (M - 1)) / total);
  });
});

describe('polynomialDecay', () => {
  const endLr = base * random() * 0.1;
  const power = 0.5 + 2 * random();
  const lr = polynomialDecay({ maxSteps: total, endLr, power });
  it('pins: base at step 0, endLr at maxSteps and after', () => {
    expect(lr(0, base)).toBe(base);
    expect(lr(total, base)).toBe(endLr);
    expect(lr(total + 7, base)).toBe(endLr);
  });
  it('equals a float64 reference written as exp/log', () => {
    for (let s = 1; s < total; s++) {
      expectNear(lr(s, base), endLr + (base - endLr) * Math.exp(power * Math.log((total - s) / total)));
    }
  });
  it('with power 1 equals linear decay to endLr/base', () => {
    const p1 = polynomialDecay({ maxSteps: total, endLr, power: 1 });
    const lin = linear({ startFactor: 1, endFactor: endLr / base, total });
    for (let s = 0; s <= total + 2; s++) expectNear(p1(s, base), lin(s, base));
  });
});

describe('cosine', () => {
  const minLr = base * 0.1 * random();
  const lr = cosine({ maxSteps: total, minLr });
  it('pins: base at step 0, the midpoint halfway, minLr at maxSteps and after', () => {
    expect(lr(0, base)).toBe(base);
    const even = cosine({ maxSteps: 2 * total, minLr });
    expectNear(even(total, base), (base + minLr) / 2);
    expectNear(lr(total, base), minLr);
    expect(lr(total + 1, base)).toBe(minLr);
  });
  it('is symmetric about the midpoint: lr(s) + lr(S − s) = base + minLr', () => {
    for (let s = 0; s <= total; s++) expectNear(lr(s, base) + lr(total - s, base), base + minLr);
  });
});

describe('linear', () => {
  const startFactor = random();
  const endFactor = 1 + random();
  const lr = linear({ startFactor, endFactor, total });
  it('pins: base·startFactor at 0, base·endFactor at total and after', () => {
    expect(lr(0, base)).toBe(base * startFactor);
    expectNear(lr(total, base), base * endFactor);
    expect(lr(total + 3, base)).toBe(lr(total, base));
  });
  it("defaults to torch's LinearLR factors (1/3 to 1)", () => {
    expect(linear({ total })(0, base)).toBe(base / 3);
  });
});

describe('step', () => {
  const stepSize = 2 + Math.floor(random() * 10);
  const gamma = 0.1 + 0.8 * random();
  const lr = step({ stepSize, gamma });
  it('multiplies by gamma every stepSize steps (reference: repeated multiplication)', () => {
    let expected = base;
    for (let t = 0; t < 5 * stepSize; t++) {
      if (t > 0 && t % stepSize === 0) expected *= gamma;
      expectNear(lr(t, base), expected);
    }
    expect(lr.steps).toBe(Infinity);
  });
});

describe('chain', () => {
  const M = 1 + 4 * random();
  const decaySteps = 10 + Math.floor(random() * 90);
  const w = warmup({ multiplier: M, total });
  const d = polynomialDecay({ maxSteps: decaySteps, endLr: 0, power: 2 });
  const lr = chain(w, d);
  it('runs each part from its own step 0, based on where the previous one ended', () => {
    for (let t = 0; t < total; t++) expect(lr(t, base)).toBe(w(t, base));
    for (let t = 0; t <= decaySteps + 3; t++) expect(lr(total + t, base)).toBe(d(t, w(total, base)));
    expect(lr.steps).toBe(total + decaySteps);
  });
  it('allows a never-settling schedule only last', () => {
    expect(chain(w, step({ stepSize: 3 })).steps).toBe(Infinity);
    expect(() => chain(step({ stepSize: 3 }), w)).toThrow(/option 'schedules\[0\]\.steps' must be finite/);
    expect(() => chain()).toThrow(ScheduleOptionError);
  });
});

describe('bad options and calls', () => {
  it.each([
    ['warmup', () => warmup({ multiplier: 0.5, total: 5 }), /warmup: option 'multiplier' must be a finite number >= 1, got 0.5/],
    ['warmup', () => warmup({ multiplier: 2, total: 0 }), /warmup: option 'total' must be an integer >= 1, got 0/],
    ['polynomialDecay', () => polynomialDecay({ maxSteps: 10, endLr: -1 }), /option 'endLr' must be a finite number >= 0, got -1/],
    ['polynomialDecay', () => polynomialDecay({ maxSteps: 1.5 }), /option 'maxSteps' must be an integer >= 1, got 1.5/],
    ['polynomialDecay', () => polynomialDecay({ maxSteps: 10, power: 0 }), /option 'power' must be a finite number > 0, got 0/],
    ['cosine', () => cosine({ maxSteps: -3 }), /cosine: option 'maxSteps' must be an integer >= 1, got -3/],
    ['step', () => step({ stepSize: 0 }), /step: option 'stepSize' must be an integer >= 1, got 0/],
    ['linear', () => linear({ total: 5, startFactor: -1 }), /linear: option 'startFactor'/],
  ])('%s rejects bad options with ScheduleOptionError', (_name, make, message) => {
    expect(make).toThrow(ScheduleOptionError);
    expect(make).toThrow(message);
  });

  it('rejects negative or fractional steps and a bad base', () => {
    const lr = warmup({ multiplier: 2, total: 5 });
    expect(() => lr(-1, 0.1)).toThrow(/warmup: option 'step' must be an integer >= 0, got -1/);
    expect(() => lr(0.5, 0.1)).toThrow(ScheduleOptionError);
    expect(() => lr(1, Number.POSITIVE_INFINITY)).toThrow(/option 'baseLr' must be a finite number >= 0, got Infinity/);
  });
});
