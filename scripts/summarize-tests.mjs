// Sums vitest's JSON report into the one closing line CI reads: `N passed, N failed`.
// A missing or unreadable report counts as a failure, never as zero tests.
import { readFileSync } from 'node:fs';

const path = process.argv[2] ?? 'reports/vitest.json';
let report;
try {
  report = JSON.parse(readFileSync(path, 'utf8'));
} catch (err) {
  console.error(`no readable vitest report at ${path}: ${err.message}`);
  console.log('0 passed, 1 failed');
  process.exit(1);
}
let passed = 0;
let failed = 0;
let skipped = 0;
for (const file of report.testResults ?? []) {
  for (const test of file.assertionResults ?? []) {
    if (test.status === 'passed') passed += 1;
    else if (test.status === 'failed') failed += 1;
    else skipped += 1;
  }
  // A file that failed to load has no assertions but must count.
  if ((file.assertionResults ?? []).length === 0 && file.status === 'failed') failed += 1;
}
console.log(`${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed > 0 || passed === 0 ? 1 : 0);
