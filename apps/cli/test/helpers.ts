import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { fileURLToPath } from 'node:url';

import { runCli } from '../src/program';
import type { Reporter } from '../src/train/reporter';

/** Nothing in a test may reach the internet: downloads go to a closed local port. */
process.env.LARGEBATCH_CIFAR_MIRROR = 'http://127.0.0.1:9/';

export const BIN = fileURLToPath(new URL('../src/bin.ts', import.meta.url));

export function tempDir(prefix = 'largebatch-cli-'): string {
  return mkdtempSync(join(tmpdir(), prefix));
}

export interface CliRun {
  code: number;
  lines: string[];
  stderr: string;
}

/** Runs the CLI in this process, capturing what it prints. */
export async function cli(...argv: string[]): Promise<CliRun> {
  const lines: string[] = [];
  let stderr = '';
  const reporter: Reporter = {
    line: (text) => lines.push(text),
    epoch: () => ({ update: () => {}, stop: () => {} }),
    download: () => ({ update: () => {}, stop: () => {} }),
  };
  const errors = new Writable({
    write(chunk, _enc, done) {
      stderr += String(chunk);
      done();
    },
  });
  const code = await runCli(argv, reporter, errors);
  return { code, lines, stderr };
}

export interface ProcessRun {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** Runs the CLI as its own process (node + tsx on the sources), as `pnpm --filter cli start` does. */
export function cliProcess(argv: string[], env: Record<string, string> = {}): Promise<ProcessRun> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--conditions=largebatch-source', '--import', 'tsx', BIN, ...argv], {
      cwd: fileURLToPath(new URL('..', import.meta.url)),
      env: { ...process.env, LARGEBATCH_NUM_THREADS: '2', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += String(d)));
    child.stderr.on('data', (d) => (stderr += String(d)));
    child.on('error', reject);
    child.on('close', (code, signal) => resolve({ code, signal, stdout, stderr }));
  });
}

/** A small, quick run: ResNet-20 on 256 synthetic images, batch 64, the study's schedule with 1 warm-up epoch. */
export function quickRun(out: string, ...extra: string[]): string[] {
  return [
    'train', '--dataset', 'synthetic', '--synthetic-size', '256', '--batch-size', '64', '--test-batch-size', '64',
    '--warmup-epochs', '1', '--threads', '2', '--out', out, ...extra,
  ];
}
