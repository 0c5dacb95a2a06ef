// A run's directory: config.json, metrics.jsonl, history.json, checkpoints/, curves.png/svg.
// Every file is replaced atomically; metrics and history are rewritten whole from the
// trainer's state each epoch (they also live in the checkpoint, so a resume rewrites them).
import { cpus, totalmem } from 'node:os';
import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { getNumThreads } from '@largebatch/tensor';

import type { TrainConfig } from '../config/schema';
import { CliError } from '../errors';
import { writeFileAtomic, writeJsonAtomic } from '../util/atomic';
import type { HistoryEntry } from './checkpoint';
import type { EpochMetrics } from './reporter';

/** config.json: the resolved configuration and where it ran. */
export interface RunRecord {
  config: TrainConfig;
  dataset: string;
  numClasses: number;
  versions: Record<string, string>;
  machine: { cpu: string; cores: number; threads: number; memoryGb: number; platform: string; node: string };
  startedAt: string;
}

/** The name of a new run's directory: runs/<UTC time>-<model>-<optimizer>-b<batch>. */
export function defaultRunDir(config: TrainConfig, now = new Date()): string {
  const time = now.toISOString().replace(/[-:]/g, '').replace(/\..*/, '');
  return join('runs', `${time}-${config.model}-${config.optimizer}-b${config.batchSize}`);
}

/** A package's version, from its package.json in the node_modules folders Node would search. */
function versionOf(name: string): string | undefined {
  const require = createRequire(import.meta.url);
  for (const dir of require.resolve.paths(name) ?? []) {
    const manifest = join(dir, name, 'package.json');
    if (existsSync(manifest)) return (JSON.parse(readFileSync(manifest, 'utf8')) as { version?: string }).version;
  }
  return undefined;
}

/** The versions of our packages this run used. */
function versions(): Record<string, string> {
  const out: Record<string, string> = {};
  for (const name of ['@largebatch/tensor', '@largebatch/nn', '@largebatch/optim', '@largebatch/schedulers', '@largebatch/data-cifar']) {
    const version = versionOf(name);
    if (version !== undefined) out[name] = version;
  }
  out['@largebatch/cli'] = (JSON.parse(readFileSync(join(packageRoot(), 'package.json'), 'utf8')) as { version: string }).version;
  return out;
}

/** This package's folder: the first folder above this module holding package.json (src/… or dist/). */
function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(dir, 'package.json')) && dir !== dirname(dir)) dir = dirname(dir);
  return dir;
}

/** Creates the run directory and writes config.json. */
export function startRunDir(dir: string, config: TrainConfig, dataset: string, numClasses: number): void {
  mkdirSync(join(dir, 'checkpoints'), { recursive: true });
  const record: RunRecord = {
    config,
    dataset,
    numClasses,
    versions: versions(),
    machine: {
      cpu: cpus()[0]?.model ?? 'unknown', cores: cpus().length, threads: getNumThreads(),
      memoryGb: Math.round(totalmem() / 2 ** 30), platform: `${process.platform}-${process.arch}`, node: process.version,
    },
    startedAt: new Date().toISOString(),
  };
  writeJsonAtomic(join(dir, 'config.json'), record);
}

/** Records a resumed run's configuration (a longer --epochs, other threads) in its config.json. */
export function updateRunConfig(dir: string, config: TrainConfig): void {
  writeJsonAtomic(join(dir, 'config.json'), { ...readRunRecord(dir), config });
}

/** Reads a run's config.json; a missing or broken one is a one-line error. */
export function readRunRecord(dir: string): RunRecord {
  const path = join(dir, 'config.json');
  if (!existsSync(path)) throw new CliError(`${dir} is not a run directory (no config.json)`);
  try {
    const record = JSON.parse(readFileSync(path, 'utf8')) as RunRecord;
    if (typeof record?.config !== 'object' || record.config === null) throw new Error('no "config" object');
    return record;
  } catch (e) {
    throw new CliError(`${path}: unreadable run config: ${(e as Error).message}`);
  }
}

export function writeMetrics(dir: string, metrics: readonly EpochMetrics[]): void {
  writeFileAtomic(join(dir, 'metrics.jsonl'), metrics.map((m) => `${JSON.stringify(m)}\n`).join(''));
}

export function readMetrics(dir: string): EpochMetrics[] {
  const path = join(dir, 'metrics.jsonl');
  if (!existsSync(path)) return [];
  return readFileSync(path, 'utf8').split('\n').filter((l) => l.trim() !== '').map((l) => JSON.parse(l) as EpochMetrics);
}

export function writeHistory(dir: string, history: readonly HistoryEntry[]): void {
  writeJsonAtomic(join(dir, 'history.json'), history);
}

export function readHistory(dir: string): HistoryEntry[] {
  const path = join(dir, 'history.json');
  return existsSync(path) ? (JSON.parse(readFileSync(path, 'utf8')) as HistoryEntry[]) : [];
}
