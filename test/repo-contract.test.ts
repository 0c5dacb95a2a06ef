/** The repository's own promises: the README's command lines, CI's summary line. */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { describe, expect, it } from 'vitest';

const root = join(__dirname, '..');

function shellBlocks(markdown: string): string[] {
  return [...markdown.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!.trim());
}

describe('repository contract', () => {
  it("the README's test command line is exactly what .ci/run runs", () => {
    const blocks = shellBlocks(readFileSync(join(root, 'README.md'), 'utf8'));
    const testLine = blocks.find((b) => b.endsWith('pnpm test'));
    expect(testLine).toBeDefined();
    const ci = readFileSync(join(root, '.ci', 'run'), 'utf8');
    expect(ci).toContain(`${testLine!} || status=$?`);
  });

  it('summarize-tests sums a vitest JSON report into "N passed, N failed"', () => {
    const dir = mkdtempSync(join(tmpdir(), 'lb-report-'));
    const report = join(dir, 'r.json');
    writeFileSync(report, JSON.stringify({
      testResults: [
        { status: 'passed', assertionResults: [{ status: 'passed' }, { status: 'passed' }] },
        { status: 'failed', assertionResults: [{ status: 'failed' }, { status: 'passed' }] },
        { status: 'failed', assertionResults: [] },
      ],
    }));
    let out = '';
    try {
      execFileSync(process.execPath, [join(root, 'scripts', 'summarize-tests.mjs'), report], { encoding: 'utf8' });
    } catch (err) {
      out = (err as { stdout: string }).stdout;
    }
    expect(out.trim()).toBe('3 passed, 2 failed');
    const missing = (() => {
      try {
        execFileSync(process.execPath, [join(root, 'scripts', 'summarize-tests.mjs'), join(dir, 'none.json')], { encoding: 'utf8', stdio: 'pipe' });
        return '';
      } catch (err) {
        return (err as { stdout: string }).stdout.trim();
      }
    })();
    expect(missing).toBe('0 passed, 1 failed');
  });
});
