/** The built `largebatch` executable (apps/cli/dist/bin.js, as `npm i @largebatch/cli` installs it) runs on the built packages. */
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

const bin = join(__dirname, '..', 'apps', 'cli', 'dist', 'bin.js');

describe('the largebatch bin', () => {
  it('is built (pnpm build, which pnpm test runs first)', () => {
    expect(existsSync(bin), `${bin} is missing: run pnpm build`).toBe(true);
    expect(readFileSync(bin, 'utf8').startsWith('#!/usr/bin/env node\n')).toBe(true);
  });

  it('trains one epoch from its dist build, worker thread included', () => {
    const out = join(mkdtempSync(join(tmpdir(), 'largebatch-bin-')), 'run');
    const stdout = execFileSync(process.execPath, [bin, 'train', '--dataset', 'synthetic', '--synthetic-size', '128', '--batch-size', '64', '--epochs', '1', '--warmup-epochs', '0', '--out', out], {
      encoding: 'utf8', env: { ...process.env, LARGEBATCH_NUM_THREADS: '2' },
    });
    expect(stdout).toMatch(/^epoch 1\/1 .* test loss \d+\.\d+ acc \d+\.\d\d%/m);
    expect(existsSync(join(out, 'checkpoints', 'last', 'model.safetensors'))).toBe(true);
  });
});
