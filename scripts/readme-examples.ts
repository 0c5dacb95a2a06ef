/**
 * README examples as tests: every ```ts block of a README is written to a module under the
 * package's test/.readme-examples/ (git-ignored) and imported, so it runs exactly as a
 * user would paste it, against the package's sources.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export interface ReadmeExample {
  index: number;
  code: string;
  path: string;
}

export function readmeExamples(packageDir: string): ReadmeExample[] {
  const readme = readFileSync(join(packageDir, 'README.md'), 'utf8');
  const blocks = [...readme.matchAll(/```ts\n([\s\S]*?)```/g)].map((m) => m[1]!);
  const dir = join(packageDir, 'test', '.readme-examples');
  mkdirSync(dir, { recursive: true });
  return blocks.map((code, index) => {
    const path = join(dir, `example-${index}.ts`);
    writeFileSync(path, `${code}\nexport {};\n`);
    return { index, code, path };
  });
}

/** Registers one vitest test per README example of the package at `packageDir`. */
export async function describeReadmeExamples(packageDir: string): Promise<void> {
  const { describe, expect, it } = await import('vitest');
  describe('README examples', () => {
    const examples = readmeExamples(packageDir);
    it('has examples', () => expect(examples.length).toBeGreaterThan(0));
    for (const ex of examples) {
      it(`example ${ex.index} runs`, async () => {
        await expect(import(ex.path)).resolves.toBeDefined();
      });
    }
  });
}
