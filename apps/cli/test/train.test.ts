// End-to-end runs of `largebatch train`: learning, exact resume, kill -9 during a
// checkpoint write, divergence, and the run directory's files.
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, readdirSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

import { NonFiniteGradientError } from '@largebatch/optim';
import { memory } from '@largebatch/tensor';
import { describe, expect, it } from 'vitest';

import { DivergenceError } from '../src/errors';
import type { EpochMetrics } from '../src/train/reporter';
import { reportDivergence } from '../src/train/trainer';
import { cli, cliProcess, quickRun, tempDir } from './helpers';

const metricsOf = (dir: string): EpochMetrics[] =>
  readFileSync(join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as EpochMetrics);

/** Metrics without the wall-clock fields, which differ between any two runs. */
const timeless = (ms: EpochMetrics[]) => ms.map(({ trainTimeS: _t, imagesPerS: _r, ...rest }) => rest);

const sha = (path: string) => createHash('sha256').update(readFileSync(path)).digest('hex');

/** Every file under `dir` with its hash, to show that nothing changed. */
function snapshot(dir: string): Record<string, string> {
  const out: Record<string, string> = {};
  const walk = (d: string) => {
    for (const name of readdirSync(d)) {
      const p = join(d, name);
      if (statSync(p).isDirectory()) walk(p);
      else out[p.slice(dir.length)] = sha(p);
    }
  };
  walk(dir);
  return out;
}

describe('largebatch train', () => {
  it('learns the synthetic set well above chance, writes the run directory and leaks no tensor', async () => {
    const out = join(tempDir(), 'run');
    const before = memory().numTensors;
    const run = await cli('train', '--dataset', 'synthetic', '--synthetic-size', '1024', '--epochs', '2', '--warmup-epochs', '1', '--threads', '2', '--out', out);
    expect(run.stderr).toBe('');
    expect(run.code).toBe(0);
    expect(memory().numTensors).toBe(before);
    const metrics = metricsOf(out);
    expect(metrics.map((m) => m.epoch)).toEqual([0, 1]);
    for (const m of metrics) {
      expect(Object.keys(m).sort()).toEqual(['epoch', 'imagesPerS', 'lr', 'testAcc', 'testLoss', 'trainAcc', 'trainLoss', 'trainTimeS']);
      expect(Number.isFinite(m.trainLoss) && m.imagesPerS > 0).toBe(true);
    }
    // 10 classes: chance is 10 %.
    expect(metrics[1]!.trainAcc).toBeGreaterThan(0.5);
    expect(Math.max(...metrics.map((m) => m.testAcc))).toBeGreaterThan(0.25);
    expect(metrics[1]!.trainTimeS).toBeGreaterThan(metrics[0]!.trainTimeS);
    expect(run.lines.filter((l) => l.startsWith('epoch '))).toHaveLength(2);

    const config = JSON.parse(readFileSync(join(out, 'config.json'), 'utf8'));
    expect(config.config).toMatchObject({ model: 'resnet20', optimizer: 'lars', epochs: 2, seed: 0 });
    expect(config).toMatchObject({ dataset: 'synthetic', numClasses: 10 });
    for (const p of ['cli', 'nn', 'optim', 'schedulers', 'data-cifar', 'tensor']) expect(config.versions[`@largebatch/${p}`]).toMatch(/^\d+\.\d+\.\d+/);
    expect(config.machine.threads).toBe(2);
    const history = JSON.parse(readFileSync(join(out, 'history.json'), 'utf8'));
    expect(history.at(-1).accuracy).toBe(Math.max(...metrics.map((m) => m.testAcc)));
    for (const c of ['last', 'best']) {
      for (const f of ['model.safetensors', 'optimizer.safetensors', 'state.json']) expect(existsSync(join(out, 'checkpoints', c, f))).toBe(true);
    }
    expect(readdirSync(join(out, 'checkpoints')).sort()).toEqual(['best', 'last']);
    const png = readFileSync(join(out, 'curves.png'));
    expect(png.subarray(0, 8)).toEqual(Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]));
    const [width, height] = [png.readUInt32BE(16), png.readUInt32BE(20)];
    expect(width).toBeGreaterThan(600);
    expect(height).toBeGreaterThan(600);
    expect(readFileSync(join(out, 'curves.svg'), 'utf8')).toMatch(/^<svg[\s\S]*accuracy[\s\S]*<\/svg>$/);
  });

  it('stopped after epoch 2 and extended with --resume --epochs, ends bit for bit where an uninterrupted run ends', async () => {
    const root = tempDir();
    const whole = join(root, 'whole');
    const parts = join(root, 'parts');
    expect((await cli(...quickRun(whole, '--epochs', '3'))).code).toBe(0);
    // The same schedule (decay over 3 epochs), stopped after 2.
    expect((await cli(...quickRun(parts, '--epochs', '2', '--decay-epochs', '3'))).code).toBe(0);
    const resumed = await cli('train', '--resume', parts, '--epochs', '3');
    expect(resumed.stderr).toBe('');
    expect(resumed.lines[0]).toMatch(/resuming .* after epoch 2 of 3/);
    expect(sha(join(parts, 'checkpoints/last/model.safetensors'))).toBe(sha(join(whole, 'checkpoints/last/model.safetensors')));
    expect(sha(join(parts, 'checkpoints/last/optimizer.safetensors'))).toBe(sha(join(whole, 'checkpoints/last/optimizer.safetensors')));
    expect(timeless(metricsOf(parts))).toEqual(timeless(metricsOf(whole)));
    // The extension is recorded: a later resume without --epochs finds the run complete.
    expect(JSON.parse(readFileSync(join(parts, 'config.json'), 'utf8')).config.epochs).toBe(3);
  });

  it('survives kill -9 in the middle of a checkpoint write, and the resumed run ends as an uninterrupted one', async () => {
    const root = tempDir();
    const whole = join(root, 'whole');
    const killed = join(root, 'killed');
    expect((await cli(...quickRun(whole, '--epochs', '3'))).code).toBe(0);
    // The 3rd checkpoint write is epoch 2's 'last' (epoch 1 wrote 'last' and 'best'): killed after its model file.
    const crash = await cliProcess(quickRun(killed, '--epochs', '3'), { LARGEBATCH_FAULT: 'kill-in-checkpoint:3' });
    expect(crash.signal).toBe('SIGKILL');
    expect(existsSync(join(killed, 'checkpoints/last.tmp/model.safetensors'))).toBe(true);
    expect(existsSync(join(killed, 'checkpoints/last.tmp/state.json'))).toBe(false);
    const state = JSON.parse(readFileSync(join(killed, 'checkpoints/last/state.json'), 'utf8'));
    expect(state.epochsDone).toBe(1);
    const resumed = await cliProcess(['train', '--resume', killed]);
    expect(resumed.stderr).toBe('');
    expect(resumed.code).toBe(0);
    expect(sha(join(killed, 'checkpoints/last/model.safetensors'))).toBe(sha(join(whole, 'checkpoints/last/model.safetensors')));
    expect(timeless(metricsOf(killed))).toEqual(timeless(metricsOf(whole)));
    expect(existsSync(join(killed, 'checkpoints/last.tmp'))).toBe(false);
  });

  it('stops in the step where the loss turns NaN, keeps the last good checkpoint and exits 3', async () => {
    const out = join(tempDir(), 'nan');
    // 4 batches per epoch: batch 6 is the second of epoch 1.
    const run = await cliProcess(quickRun(out, '--epochs', '3'), { LARGEBATCH_FAULT: 'nan-input:6' });
    expect(run.code).toBe(3);
    expect(run.stderr.trim().split('\n')).toHaveLength(1);
    expect(run.stderr).toMatch(/^largebatch: training diverged at epoch 1, iteration 1: the loss is NaN; the last good checkpoint is kept$/m);
    const state = JSON.parse(readFileSync(join(out, 'checkpoints/last/state.json'), 'utf8'));
    expect(state.epochsDone).toBe(1);
    expect(metricsOf(out)).toHaveLength(1);
  });

  it('refuses bad command lines in one line with a non-zero exit, writing nothing', async () => {
    const root = tempDir();
    const cases: [string[], number, RegExp][] = [
      [['train', '--bogus'], 2, /^largebatch: unknown option '--bogus'/],
      [['train', '--batch-size', 'abc'], 2, /^largebatch: --batch-size must be an integer >= 1, got "abc"$/],
      [['train', '--batch-size', '0'], 2, /^largebatch: --batch-size must be an integer >= 1, got "0"$/],
      [['train', '--dataset', 'cifar10', '--data-dir', join(root, 'missing'), '--out', join(root, 'x')], 1, /^largebatch: cifar10 is not in .*missing and could not be downloaded: /],
      [['train', '--resume', join(root, 'nothing')], 1, /^largebatch: .*nothing is not a run directory \(no config\.json\)$/],
      [['eval', '--run', join(root, 'nothing')], 1, /^largebatch: .*nothing is not a run directory/],
      [['frobnicate'], 2, /^largebatch: unknown command 'frobnicate'/],
    ];
    for (const [argv, code, message] of cases) {
      const run = await cli(...argv);
      expect(run.code, argv.join(' ')).toBe(code);
      expect(run.stderr.trim().split('\n'), argv.join(' ')).toHaveLength(1);
      expect(run.stderr.trim(), argv.join(' ')).toMatch(message);
    }
    expect(existsSync(join(root, 'x'))).toBe(false);
  });

  it('refuses an unreadable checkpoint or an existing run without touching the run', async () => {
    const out = join(tempDir(), 'run');
    expect((await cli(...quickRun(out, '--epochs', '1'))).code).toBe(0);
    writeFileSync(join(out, 'checkpoints/last/model.safetensors'), 'not a safetensors file');
    const before = snapshot(out);
    const resumed = await cli('train', '--resume', out, '--epochs', '2');
    expect(resumed.code).toBe(1);
    expect(resumed.stderr).toMatch(/^largebatch: .*model\.safetensors.*\n$/);
    const again = await cli(...quickRun(out, '--epochs', '1'));
    expect(again.code).toBe(2);
    expect(again.stderr).toMatch(/already holds a run; continue it with --resume/);
    const changed = await cli('train', '--resume', out, '--lr', '0.5');
    expect(changed.stderr).toMatch(/^largebatch: --lr cannot be changed when resuming/);
    expect(snapshot(out)).toEqual(before);
  });
});

describe('a NaN/Inf gradient stops the run at the batch that had it', () => {
  const failing = (fromPreviousStep: boolean) => () => {
    throw new NonFiniteGradientError('SGD.step', [3], 'fc.weight', fromPreviousStep);
  };
  it.each([
    ['the CPU, reported by its own step', false, 7],
    ['CUDA, reported by the next step or synchronize()', true, 6],
  ])('%s', (_name, fromPreviousStep, batch) => {
    let error: unknown;
    try {
      reportDivergence(2, 7, failing(fromPreviousStep));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(DivergenceError);
    expect((error as DivergenceError).iteration).toBe(batch);
    expect((error as Error).message).toBe(`training diverged at epoch 2, iteration ${batch}: a gradient is not finite (fc.weight); the last good checkpoint is kept`);
  });
  it('passes other errors through, and a clean call through', () => {
    expect(() => reportDivergence(0, 0, () => {
      throw new RangeError('other');
    })).toThrow(RangeError);
    expect(() => reportDivergence(0, 0, () => undefined)).not.toThrow();
  });
});
