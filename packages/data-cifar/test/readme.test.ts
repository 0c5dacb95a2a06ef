import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import { readmeExamples } from '../../../scripts/readme-examples';
import { type CifarDataset, writeCifarFiles } from '../src/index';

const cycle = (length: number, classes: number): Uint8Array => Uint8Array.from({ length }, (_, i) => i % classes);
const names = (classes: number): string[] => Array.from({ length: classes }, (_, c) => `class-${c}`);

/** A dataset of the real size (blank images), so that the examples' default checks pass. */
function blank(length: number, classes: number): CifarDataset {
  return { length, images: new Uint8Array(length * 3072), labels: cycle(length, classes), classes: names(classes) };
}

// The examples run in a scratch folder whose data/ already holds CIFAR-10 and CIFAR-100 files
// of the real sizes: downloadCifar10('data') then finds the folder and fetches nothing (the
// download itself is tested against a local server in download.test.ts).
const examples = readmeExamples(join(__dirname, '..'));
const home = process.cwd();
let scratch: string;

beforeAll(async () => {
  scratch = await mkdtemp(join(tmpdir(), 'data-cifar-readme-'));
  const data = join(scratch, 'data');
  await writeCifarFiles(data, blank(50_000, 10));
  await writeCifarFiles(data, blank(10_000, 10), { train: false });
  for (const [length, train] of [[50_000, true], [10_000, false]] as const) {
    await writeCifarFiles(data, blank(length, 100), { train, layout: 'cifar100', coarse: { labels: cycle(length, 20), classes: names(20) } });
  }
  process.chdir(scratch);
});

afterAll(async () => {
  process.chdir(home);
  await rm(scratch, { recursive: true, force: true });
});

describe('README examples', () => {
  it('has examples', () => expect(examples.length).toBe(4));
  for (const example of examples) {
    it(`example ${example.index} runs`, async () => {
      await expect(import(example.path)).resolves.toBeDefined();
    });
  }
});
