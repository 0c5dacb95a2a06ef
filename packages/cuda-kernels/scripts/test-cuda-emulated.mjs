// Builds the addon in its emulated flavour (LARGEBATCH_CUDA_EMULATE=1: the CUDA kernels
// compiled by g++ against src/cuda_emu, so device 'cuda' runs on the CPU) into
// build-emulated/, and runs the device tests against it: the tests written with
// describeEachDevice then run each body on 'cpu' and on 'cuda', and the end-to-end test
// trains on both. x86-64 only (the emulation's fibers are x86-64 assembly); elsewhere it
// says so and succeeds. The vitest JSON report goes to reports/vitest-cuda-emulated.json;
// `--merge-report FILE` (a path from the repo root) also appends its test results to
// another vitest JSON report, so that `pnpm test`'s one report, which CI sums into its
// `N passed, N failed` line, counts the emulated tests too.
import { spawnSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const repo = join(root, '..', '..');

/** The test files whose bodies run per device (and the cross-package end-to-end test). */
const deviceTests = [
  'packages/cuda-kernels/test/cuda-device.test.ts',
  'packages/cuda-kernels/test/cross-entropy.test.ts',
  'packages/tensor/test/device.test.ts',
  'packages/tensor/test/elementwise.test.ts',
  'packages/tensor/test/reduce.test.ts',
  'packages/tensor/test/matmul.test.ts',
  'packages/tensor/test/activation.test.ts',
  'packages/tensor/test/batch-norm.test.ts',
  'packages/tensor/test/conv.test.ts',
  'packages/tensor/test/pool.test.ts',
  'packages/tensor/test/cross-entropy.test.ts',
  'packages/tensor/test/shape-ops.test.ts',
  'packages/tensor/test/linear.test.ts',
  'packages/tensor/test/crop-flip-normalize.test.ts',
  'packages/optim/test/classes.test.ts',
  'packages/optim/test/class-errors.test.ts',
  'packages/nn/test/device.test.ts',
  'packages/data-cifar/test/loader-device.test.ts',
  'test/cuda-e2e.test.ts',
];

if (process.arch !== 'x64') {
  console.log(`test:cuda-emulated: skipped, the CUDA emulation runs on x86-64 only (this is ${process.arch})`);
  process.exit(0);
}

const build = spawnSync(process.execPath, [join(root, 'scripts', 'build-native.mjs')], {
  stdio: 'inherit',
  env: { ...process.env, LARGEBATCH_CUDA_EMULATE: '1', LARGEBATCH_BUILD_DIR: 'build-emulated' },
});
if (build.status !== 0) process.exit(build.status ?? 1);

const ownReport = join(repo, 'reports', 'vitest-cuda-emulated.json');
const run = spawnSync(
  'npx',
  ['vitest', 'run', '--reporter=default', '--reporter=json', '--outputFile.json=reports/vitest-cuda-emulated.json', ...deviceTests],
  {
    cwd: repo,
    stdio: 'inherit',
    env: { ...process.env, LARGEBATCH_ADDON: join(root, 'build-emulated', 'Release', 'largebatch_kernels.node') },
  },
);

const mergeAt = process.argv.indexOf('--merge-report');
if (mergeAt >= 0) {
  const target = join(repo, process.argv[mergeAt + 1]);
  const main = JSON.parse(readFileSync(target, 'utf8'));
  const emulated = JSON.parse(readFileSync(ownReport, 'utf8'));
  for (const file of emulated.testResults) file.name = `${file.name} (cuda-emulated)`;
  main.testResults.push(...emulated.testResults);
  writeFileSync(target, JSON.stringify(main));
}
process.exit(run.status ?? 1);
