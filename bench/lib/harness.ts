/**
 * The benchmark harness: each case runs on our side and on the peer's in alternation,
 * round after round (the machines are shared and noisy, so neither side gets the quiet
 * moments), and the median per side is reported with the ratio. Results are written as
 * dated JSON under bench/results/.
 */
import { execSync } from 'node:child_process';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { cpus } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { addonPath } from '@largebatch/cuda-kernels';

import type { PythonPeer } from './peer';

export interface BenchCase {
  name: string;
  /** Work per run, to turn seconds into a rate (FLOPs, bytes or images). */
  work: number;
  unit: string;
  /** Our side: runs the op `reps` times and returns the median seconds of one run. */
  ours(reps: number): number;
  /** The peer request for the same op. */
  peer: object;
}

export interface CaseResult {
  name: string;
  unit: string;
  oursMedianS: number;
  peerMedianS: number;
  oursRate: number;
  peerRate: number;
  /** Our speed relative to the peer's (> 1: faster). */
  speedup: number;
  oursSamplesS: number[];
  peerSamplesS: number[];
}

export function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid]! : (s[mid - 1]! + s[mid]!) / 2;
}

/**
 * How long each side runs the op untimed before its timed reps (the peer's serve.py alike):
 * at least one call, and long enough for the other side's threads to go quiet. PyTorch's
 * OpenMP workers spin for milliseconds after each call on the same cores; with a single
 * warm-up call our timed reps often ran against them (conv bench: 18-20 % of our samples
 * above 1.4x their case's quickest, 2-3 shapes' medians below 0.8x), with 10 ms 4-10 %
 * (bench/README.md).
 */
export const WARM_UP_S = 0.01;

/** Times `fn` `reps` times (after warming up for WARM_UP_S) and returns the median seconds. */
export function timeMedian(fn: () => void, reps: number): number {
  const w0 = process.hrtime.bigint();
  do fn();
  while (Number(process.hrtime.bigint() - w0) / 1e9 < WARM_UP_S);
  const samples: number[] = [];
  for (let i = 0; i < reps; i++) {
    const t0 = process.hrtime.bigint();
    fn();
    samples.push(Number(process.hrtime.bigint() - t0) / 1e9);
  }
  return median(samples);
}

export async function runInterleaved(cases: readonly BenchCase[], peer: PythonPeer, rounds: number, reps: number): Promise<CaseResult[]> {
  const ours = new Map<string, number[]>();
  const theirs = new Map<string, number[]>();
  for (let r = 0; r < rounds; r++) {
    for (const c of cases) {
      // Alternate who goes first in each round.
      const runOurs = (): void => void (ours.get(c.name) ?? ours.set(c.name, []).get(c.name)!).push(c.ours(reps));
      const runPeer = async (): Promise<void> => {
        const { seconds } = await peer.request<{ seconds: number }>({ ...c.peer, reps });
        (theirs.get(c.name) ?? theirs.set(c.name, []).get(c.name)!).push(seconds);
      };
      if (r % 2 === 0) {
        runOurs();
        await runPeer();
      } else {
        await runPeer();
        runOurs();
      }
    }
  }
  return cases.map((c) => {
    const o = median(ours.get(c.name)!);
    const p = median(theirs.get(c.name)!);
    return {
      name: c.name, unit: c.unit, oursMedianS: o, peerMedianS: p, oursRate: c.work / o, peerRate: c.work / p,
      speedup: p / o, oursSamplesS: ours.get(c.name)!, peerSamplesS: theirs.get(c.name)!,
    };
  });
}

export function machineInfo(threads: number): Record<string, unknown> {
  let torch = 'unknown';
  try {
    torch = execSync('/usr/bin/python3 -c "import torch; print(torch.__version__)"', { encoding: 'utf8' }).trim();
  } catch {
    torch = 'not installed';
  }
  // Which addon ran: a stale default build or a sanitizer build would time other code.
  return { cpu: cpus()[0]?.model, logicalCores: cpus().length, threads, node: process.version, torch, addon: addonPath() };
}

/**
 * Writes bench/results/[folder/]<date>-<name>.json, or <date>-<name>-2.json, -3, ... when
 * that day's file exists (a second run never overwrites a committed result), and returns
 * its path.
 */
export function writeResults(name: string, payload: Record<string, unknown>, folder = ''): string {
  const dir = join(dirname(fileURLToPath(import.meta.url)), '..', 'results', folder);
  mkdirSync(dir, { recursive: true });
  const date = new Date().toISOString().slice(0, 10);
  let path = join(dir, `${date}-${name}.json`);
  for (let run = 2; existsSync(path); run += 1) path = join(dir, `${date}-${name}-${run}.json`);
  writeFileSync(path, `${JSON.stringify({ date: new Date().toISOString(), ...payload }, null, 2)}\n`);
  return path;
}

export function formatTable(results: readonly CaseResult[]): string {
  const rows = results.map((r) =>
    `| ${r.name} | ${r.oursRate.toFixed(2)} ${r.unit} | ${r.peerRate.toFixed(2)} ${r.unit} | ${r.speedup.toFixed(2)}x |`,
  );
  return ['| case | largebatch | PyTorch | ours/PyTorch |', '|---|---|---|---|', ...rows].join('\n');
}
