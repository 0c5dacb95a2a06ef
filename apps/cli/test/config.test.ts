import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { resolveTrainConfig } from '../src/config/resolve';
import { DEFAULTS, KEYS, flagOf } from '../src/config/schema';
import { CliError, ConfigError } from '../src/errors';

function configFile(name: string, text: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'cli-config-')), name);
  writeFileSync(path, text);
  return path;
}

describe('resolveTrainConfig', () => {
  it('fills the defaults, with the weight decay of the optimizer and decay over the run', () => {
    const lars = resolveTrainConfig({});
    expect(lars).toMatchObject({ ...DEFAULTS, weightDecay: 5e-3, decayEpochs: DEFAULTS.epochs });
    expect(resolveTrainConfig({ optimizer: 'sgd', epochs: '7' })).toMatchObject({ weightDecay: 5e-4, decayEpochs: 7, epochs: 7 });
  });

  it.each([
    // attempt, k, base lr, multiplier, end lr, epochs, init
    ['study-attempt1', 4, 0.15, 4, 6e-5, 200, 'default'],
    ['study-attempt2', 8, 0.05, 16, 1e-5, 200, 'default'],
    ['study-attempt3', 2, 0.1, 2, 2e-5, 200, 'he'],
    ['study-attempt4', 64, 1.28, 5, 64e-5, 200, 'he'],
    ['study-attempt5', 32, 1.6, 2, 32e-5, 175, 'he'],
  ] as const)('%s at k = %i sets the study\'s values', (preset, k, lr, multiplier, endLr, epochs, init) => {
    const multiples = String(Math.log2(k) + 1);
    const c = resolveTrainConfig({ preset, multiples });
    expect(c).toMatchObject({ batchSize: 128 * k, warmupMultiplier: multiplier, epochs, decayEpochs: epochs, init, model: 'resnet50', numClasses: 1000 });
    expect(c.lr).toBeCloseTo(lr, 12);
    expect(c.endLr).toBeCloseTo(endLr, 15);
    expect(c).toMatchObject({ optimizer: 'lars', larsVariant: 'study', weightDecay: 5e-3, trustCoef: 0.1, momentum: 0.9, warmupEpochs: 5, schedule: 'study' });
    expect(resolveTrainConfig({ preset, multiples, optimizer: 'sgd' }).weightDecay).toBe(5e-4);
  });

  it('takes k from the batch size under a preset, and refuses a batch size that contradicts --multiples', () => {
    expect(resolveTrainConfig({ preset: 'study-attempt4', batchSize: '1024' }).lr).toBeCloseTo(0.16, 12);
    expect(() => resolveTrainConfig({ multiples: '3', batchSize: '256' })).toThrow(/--batch-size must be 512 .*got 256/);
  });

  it('layers defaults < preset < config file < flags', () => {
    const file = configFile('run.yaml', 'preset: study-attempt3\nlr: 0.3\nepochs: 9\nmodel: resnet20\n');
    const c = resolveTrainConfig({ epochs: '4' }, file);
    expect(c).toMatchObject({ preset: 'study-attempt3', lr: 0.3, epochs: 4, model: 'resnet20', warmupMultiplier: 2, decayEpochs: 4 });
    const json = configFile('run.json', JSON.stringify({ optimizer: 'sgd', nesterov: true, numClasses: null }));
    expect(resolveTrainConfig({}, json)).toMatchObject({ optimizer: 'sgd', nesterov: true, numClasses: null });
  });

  it('names the flag or key, the value and what was expected', () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{ batchSize: 'abc' }, /^--batch-size must be an integer >= 1, got "abc"$/],
      [{ batchSize: '0' }, /^--batch-size must be an integer >= 1, got "0"$/],
      [{ lr: '-1' }, /^--lr must be a number >= 0, got "-1"$/],
      [{ trustCoef: '0' }, /^--trust-coef must be a number > 0, got "0"$/],
      [{ optimizer: 'adam' }, /^--optimizer must be one of sgd, lars, got "adam"$/],
      [{ preset: 'study-attempt9' }, /^--preset must be one of study-attempt1, .*study-attempt5, got "study-attempt9"$/],
      [{ larsVariant: 'study', nesterov: true }, /^--nesterov must be false with --lars-variant study/],
    ];
    for (const [flags, message] of cases) {
      const error = (() => {
        try {
          resolveTrainConfig(flags);
        } catch (e) {
          return e;
        }
        throw new Error(`no error for ${JSON.stringify(flags)}`);
      })();
      expect(error).toBeInstanceOf(ConfigError);
      expect((error as Error).message).toMatch(message);
      expect((error as CliError).exitCode).toBe(2);
    }
  });

  it('refuses unknown keys, bad values and unreadable files in a config file, naming the file', () => {
    expect(() => resolveTrainConfig({}, configFile('a.yaml', 'batchsize: 3\n'))).toThrow(/a\.yaml: unknown key 'batchsize'/);
    expect(() => resolveTrainConfig({}, configFile('b.yaml', 'epochs: many\n'))).toThrow(/b\.yaml: epochs must be an integer >= 1, got "many"/);
    expect(() => resolveTrainConfig({}, configFile('c.json', '{ "epochs": '))).toThrow(/c\.json is not valid JSON/);
    expect(() => resolveTrainConfig({}, configFile('d.yaml', '- 1\n- 2\n'))).toThrow(/must hold a mapping/);
    expect(() => resolveTrainConfig({}, '/nonexistent/run.yaml')).toThrow(/--config: cannot read \/nonexistent\/run\.yaml: ENOENT/);
  });

  it('gives every key a kebab-case flag', () => {
    expect(KEYS.map((k) => flagOf(k.key))).toContain('--lars-exclude-1d');
    expect(flagOf('dataDir')).toBe('--data-dir');
    expect(new Set(KEYS.map((k) => flagOf(k.key))).size).toBe(KEYS.length);
  });
});
