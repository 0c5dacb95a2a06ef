import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

import { readmeExamples } from '../../../scripts/readme-examples';

describe('README examples', () => {
  const examples = readmeExamples(join(__dirname, '..'));
  it('has examples', () => expect(examples.length).toBeGreaterThan(3));
  for (const ex of examples) {
    it(`example ${ex.index} runs`, async () => {
      await expect(import(ex.path)).resolves.toBeDefined();
    });
  }
});
