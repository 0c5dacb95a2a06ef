// The README's examples: its TypeScript blocks run as modules, and every `largebatch …` line
// of its shell blocks runs in order, in a temporary folder, and must succeed.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { describeReadmeExamples } from '../../../scripts/readme-examples';
import { cli, tempDir } from './helpers';

await describeReadmeExamples(join(__dirname, '..'));

const readme = readFileSync(join(__dirname, '..', 'README.md'), 'utf8');
const commands = [...readme.matchAll(/```sh\n([\s\S]*?)```/g)]
  .flatMap((m) => m[1]!.split('\n'))
  .filter((line) => line.startsWith('largebatch '));

describe('README command lines', () => {
  it('has some', () => expect(commands.length).toBeGreaterThan(3));
  it('run in order in a fresh folder', async () => {
    const cwd = process.cwd();
    process.chdir(tempDir());
    try {
      for (const line of commands) {
        const run = await cli(...line.split(/\s+/).slice(1));
        expect(run.stderr, line).toBe('');
        expect(run.code, line).toBe(0);
      }
    } finally {
      process.chdir(cwd);
    }
  });
});
