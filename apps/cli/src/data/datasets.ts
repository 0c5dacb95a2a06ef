// Picks the run's training and test sets: the official CIFAR files (downloaded when
// missing), or the synthetic stand-in, cut to --limit-train / --limit-test.
import { existsSync } from 'node:fs';
import { join } from 'node:path';

import {
  type CifarDataset, type DownloadOptions, DownloadError, IMAGE_BYTES, downloadCifar10, downloadCifar100, loadCifar10, loadCifar100,
  syntheticCifar,
} from '@largebatch/data-cifar';

import type { TrainConfig } from '../config/schema';
import { CliError } from '../errors';
import type { Reporter } from '../train/reporter';

export interface Datasets {
  /** What was used: 'cifar10', 'cifar100' or 'synthetic'. */
  name: 'cifar10' | 'cifar100' | 'synthetic';
  train: CifarDataset;
  test: CifarDataset;
}

const FOLDERS = { cifar10: 'cifar-10-batches-bin', cifar100: 'cifar-100-binary' } as const;

/** True when `dir` holds the dataset's folder (or is it). */
function present(name: 'cifar10' | 'cifar100', dir: string): boolean {
  return existsSync(join(dir, FOLDERS[name])) || (dir.endsWith(FOLDERS[name]) && existsSync(dir));
}

/** Fetches a CIFAR set into `dir`, reporting progress; throws DownloadError on failure. */
async function download(name: 'cifar10' | 'cifar100', dir: string, reporter: Reporter, options: DownloadOptions = {}): Promise<void> {
  const progress = reporter.download(name);
  try {
    await (name === 'cifar10' ? downloadCifar10 : downloadCifar100)(dir, { ...options, onProgress: progress.update });
  } finally {
    progress.stop();
  }
}

async function loadOfficial(name: 'cifar10' | 'cifar100', dir: string): Promise<Pick<Datasets, 'train' | 'test'>> {
  const load = (train: boolean) => (name === 'cifar10' ? loadCifar10(dir, { train }) : loadCifar100(dir, { train }));
  return { train: await load(true), test: await load(false) };
}

/** The first `n` images of a dataset (all of them when n is null or larger). */
export function firstImages(dataset: CifarDataset, n: number | null): CifarDataset {
  if (n === null || n >= dataset.length) return dataset;
  return { length: n, images: dataset.images.subarray(0, n * IMAGE_BYTES), labels: dataset.labels.subarray(0, n), classes: dataset.classes };
}

/** The synthetic set of `n` training images and n/5 held-out test images (seed 0: the same set for every run). */
export function syntheticSets(n: number): Pick<Datasets, 'train' | 'test'> {
  return { train: syntheticCifar({ n, seed: 0 }), test: syntheticCifar({ n: Math.max(1, Math.round(n / 5)), seed: 0, start: n }) };
}

/**
 * The run's data. 'cifar10' / 'cifar100': the files in --data-dir, downloaded first when
 * missing (a failed download is a one-line error). 'auto': CIFAR-10 when present or
 * downloadable, else one line saying so and the synthetic set.
 */
export async function loadDatasets(config: Pick<TrainConfig, 'dataset' | 'dataDir' | 'syntheticSize' | 'limitTrain' | 'limitTest'>, reporter: Reporter): Promise<Datasets> {
  const { dataset, dataDir } = config;
  let sets: Datasets;
  if (dataset === 'synthetic') {
    sets = { name: 'synthetic', ...syntheticSets(config.syntheticSize) };
  } else {
    const name = dataset === 'auto' ? 'cifar10' : dataset;
    if (!present(name, dataDir)) {
      try {
        // The main job's quick try: no retries, a short stall limit.
        await download(name, dataDir, reporter, dataset === 'auto' ? { retries: 0, stallTimeoutMs: 15_000 } : {});
      } catch (e) {
        if (!(e instanceof DownloadError)) throw e;
        const why = e.message.split('\n')[0];
        if (dataset !== 'auto') throw new CliError(`${name} is not in ${dataDir} and could not be downloaded: ${why}`);
        reporter.line(`CIFAR-10 is not in ${dataDir} and could not be downloaded (${why}); training on the synthetic set instead.`);
        sets = { name: 'synthetic', ...syntheticSets(config.syntheticSize) };
        return limited(sets, config);
      }
    }
    sets = { name, ...(await loadOfficial(name, dataDir)) };
  }
  return limited(sets, config);
}

function limited(sets: Datasets, config: Pick<TrainConfig, 'limitTrain' | 'limitTest'>): Datasets {
  return { ...sets, train: firstImages(sets.train, config.limitTrain), test: firstImages(sets.test, config.limitTest) };
}
