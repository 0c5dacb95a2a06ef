// Builds the addon with AddressSanitizer + UBSan (build-sanitize/, CPU only) and runs the
// native-facing test suites (cuda-kernels and tensor) against it. The sanitizer runtimes
// are preloaded into node; leak detection is off because node itself keeps allocations
// alive at exit. Any ASan or UBSan report aborts the run.
import { execFileSync, spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const build = spawnSync(process.execPath, [join(root, 'scripts', 'build-native.mjs')], {
  stdio: 'inherit',
  env: { ...process.env, LARGEBATCH_SANITIZE: '1', LARGEBATCH_CUDA: '0' },
});
if (build.status !== 0) process.exit(build.status ?? 1);

const runtime = (name) => execFileSync('gcc', [`-print-file-name=${name}`], { encoding: 'utf8' }).trim();
const env = {
  ...process.env,
  LD_PRELOAD: `${runtime('libasan.so')} ${runtime('libubsan.so')}`,
  ASAN_OPTIONS: 'detect_leaks=0:abort_on_error=1',
  UBSAN_OPTIONS: 'print_stacktrace=1:halt_on_error=1',
  LARGEBATCH_ADDON: join(root, 'build-sanitize', 'Release', 'largebatch_kernels.node'),
};
let status = 0;
for (const pkg of ['cuda-kernels', 'tensor', 'optim']) {
  const run = spawnSync('npx', ['vitest', 'run', '--pool=forks'], { cwd: join(root, '..', pkg), stdio: 'inherit', env });
  status ||= run.status ?? 1;
}
process.exit(status);
