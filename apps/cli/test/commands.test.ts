// eval, plot, sweep, download and bench on small runs.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { syntheticCifar, writeCifarFiles } from '@largebatch/data-cifar';
import { memory } from '@largebatch/tensor';
import { beforeAll, describe, expect, it } from 'vitest';

import type { EpochMetrics } from '../src/train/reporter';
import { cli, quickRun, tempDir } from './helpers';

function pngSize(path: string): [number, number] {
  const png = readFileSync(path);
  expect(png.subarray(1, 4).toString('ascii')).toBe('PNG');
  return [png.readUInt32BE(16), png.readUInt32BE(20)];
}

describe('largebatch eval and plot', () => {
  const root = tempDir();
  const run = join(root, 'run');
  let metrics: EpochMetrics[];
  beforeAll(async () => {
    expect((await cli(...quickRun(run, '--epochs', '2'))).code).toBe(0);
    metrics = readFileSync(join(run, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l) as EpochMetrics);
  });

  it("prints the history as the study's val did, then measures the checkpoint's accuracy again", async () => {
    const before = memory().numTensors;
    const last = await cli('eval', '--run', run, '--checkpoint', 'last', '--threads', '2');
    expect(last.stderr).toBe('');
    expect(memory().numTensors).toBe(before);
    expect(last.lines[0]).toMatch(/^\| +epoch \| +accuracy \| +time \(s\) \|/);
    const acc = (100 * metrics[1]!.testAcc).toFixed(2);
    expect(last.lines.at(-1)).toMatch(new RegExp(`^checkpoint last \\(after epoch 2\\): test accuracy ${acc}%, loss ${metrics[1]!.testLoss.toFixed(4)} on 51 images$`));
    const best = await cli('eval', '--run', run);
    const bestAcc = Math.max(...metrics.map((m) => m.testAcc));
    expect(best.lines.at(-1)).toContain(`test accuracy ${(100 * bestAcc).toFixed(2)}%`);
  });

  it('plots several runs into one PNG and SVG', async () => {
    const out = tempDir();
    const result = await cli('plot', run, run, '--out', out, '--name', 'both');
    expect(result.code).toBe(0);
    const [w, h] = pngSize(join(out, 'both.png'));
    expect(w).toBeGreaterThan(600);
    expect(h).toBeGreaterThan(w);
    expect(readFileSync(join(out, 'both.svg'), 'utf8')).toContain('run train');
    const empty = await cli('plot', join(root, 'nothing'));
    expect(empty.stderr).toMatch(/^largebatch: .*nothing is not a run directory/);
  });
});

describe('largebatch sweep', () => {
  it("runs an attempt over batch sizes and optimizers and writes the study's table, resuming finished runs", async () => {
    const out = join(tempDir(), 'sweep');
    const argv = [
      'sweep', '--preset', 'study-attempt4', '--model', 'resnet20', '--num-classes', '10', '--dataset', 'synthetic', '--synthetic-size', '256',
      '--epochs', '1', '--warmup-epochs', '0', '--threads', '2', '--batch-sizes', '64,128', '--optimizers', 'sgd,lars', '--out', out,
    ];
    const first = await cli(...argv);
    expect(first.stderr).toBe('');
    const md = readFileSync(join(out, 'sweep.md'), 'utf8');
    expect(md).toMatch(/### SGD\n\n\| +Batch \| +Base LR \| +top-1 Accuracy \| +Time to train \(s\) \|/);
    expect(md).toContain('### LARS');
    // Attempt 4 scales the base lr as 0.02·k with k = batch / 128.
    expect(md).toMatch(/\| +64 \| +0\.01 \| +\d+\.\d\d% \|/);
    expect(md).toMatch(/\| +128 \| +0\.02 \| +\d+\.\d\d% \|/);
    const csv = readFileSync(join(out, 'sweep.csv'), 'utf8').trim().split('\n');
    expect(csv[0]).toBe('optimizer,batch,base_lr,top1,time_to_train_s,diverged,run');
    expect(csv.slice(1).map((l) => l.split(',').slice(0, 2).join(' '))).toEqual(['sgd 64', 'sgd 128', 'lars 64', 'lars 128']);
    pngSize(join(out, 'sweep.png'));
    const again = await cli(...argv);
    expect(again.lines.filter((l) => l.endsWith('complete, not run again'))).toHaveLength(4);
    expect(readFileSync(join(out, 'sweep.md'), 'utf8')).toBe(md);
  });

  it('needs a preset and sets the batch size itself', async () => {
    expect((await cli('sweep', '--batch-sizes', '128')).stderr).toMatch(/^largebatch: sweep needs --preset/);
    expect((await cli('sweep', '--preset', 'study-attempt4', '--batch-sizes', '128', '--batch-size', '256')).stderr).toMatch(/sets --batch-size/);
    expect((await cli('sweep', '--preset', 'study-attempt4', '--batch-sizes', '128,x')).stderr.trim()).toMatch(/^largebatch: --batch-sizes must be a comma-separated list of positive integers, got "128,x"$/);
  });
});

describe('largebatch download and bench', () => {
  it('finds a dataset already in place, and reports a failed download in one line', async () => {
    const dir = tempDir();
    await writeCifarFiles(dir, syntheticCifar({ n: 10, seed: 0 }));
    await writeCifarFiles(dir, syntheticCifar({ n: 5, seed: 0, start: 10 }), { train: false });
    expect((await cli('download', '--dir', dir)).lines.at(-1)).toBe(`cifar10: already in ${join(dir, 'cifar-10-batches-bin')}`);
    const failed = await cli('download', '--dataset', 'cifar100', '--dir', tempDir());
    expect(failed.code).toBe(1);
    expect(failed.stderr).toMatch(/^largebatch: cifar100 could not be downloaded: .*127\.0\.0\.1:9\/cifar-100-binary\.tar\.gz/);
  });

  it('measures training steps and ends with one JSON line', async () => {
    const before = memory().numTensors;
    const r = await cli('bench', '--model', 'resnet20', '--batch-size', '8', '--optimizer', 'lars', '--steps', '2', '--threads', '2', '--json');
    expect(r.stderr).toBe('');
    expect(memory().numTensors).toBe(before);
    const result = JSON.parse(r.lines.at(-1)!);
    expect(Object.keys(result).sort()).toEqual(['batchSize', 'device', 'imagesPerS', 'model', 'optimizer', 'optimizerStepMs', 'peakRssMb', 'stepMs', 'threads']);
    expect(result).toMatchObject({ model: 'resnet20', batchSize: 8, optimizer: 'lars', device: 'cpu', threads: 2 });
    expect(result.imagesPerS).toBeCloseTo((1000 * 8) / result.stepMs, 6);
    expect(result.optimizerStepMs).toBeLessThan(result.stepMs);
  });
});
