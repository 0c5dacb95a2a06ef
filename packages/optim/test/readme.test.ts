import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';

// Runs every ```ts block of the README, with the workspace imports pointed at their sources.
const readme = readFileSync(new URL('../README.md', import.meta.url), 'utf8');
const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);
const src = (file: string) => JSON.stringify(fileURLToPath(new URL(`../${file}`, import.meta.url)));
const dir = mkdtempSync(join(tmpdir(), 'optim-readme-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('README examples', () => {
  it('has examples', () => expect(blocks.length).toBeGreaterThanOrEqual(3));
  it.each(blocks.map((code, i) => [i, code] as const))('block %i runs', async (i, code) => {
    const file = join(dir, `block-${i}.ts`);
    const local = code
      .replaceAll("'@largebatch/optim/pure'", src('src/pure.ts'))
      .replaceAll("'@largebatch/optim'", src('src/index.ts'))
      .replaceAll("'@largebatch/cuda-kernels'", src('../cuda-kernels/src/index.ts'))
      .replaceAll("'@largebatch/tensor'", src('../tensor/src/index.ts'));
    writeFileSync(file, local);
    await expect(import(file)).resolves.toBeDefined();
  });
});
