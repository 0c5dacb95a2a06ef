// Builds the addon with AddressSanitizer + UBSan (build-sanitize/, CPU only) and runs the
// native-facing test suites (cuda-kernels, tensor and optim) against it, then the emulated
// CUDA kernel tests (build-sanitize/lb_emu_tests, also built with -fsanitize=bounds-strict).
// The sanitizer runtimes are preloaded into node; leak detection is off because node
// itself keeps allocations alive at exit. Any ASan or UBSan report aborts the run, except
// in the emu_faults suite, whose deliberate shared-memory overflow must be reported by
// UBSan's bounds check (and is then also caught by the emulation's guard page).
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
const sanitizerEnv = {
  ASAN_OPTIONS: 'detect_leaks=0:abort_on_error=1',
  UBSAN_OPTIONS: 'print_stacktrace=1:halt_on_error=1',
};
const env = {
  ...process.env,
  ...sanitizerEnv,
  LD_PRELOAD: `${runtime('libasan.so')} ${runtime('libubsan.so')}`,
  LARGEBATCH_ADDON: join(root, 'build-sanitize', 'Release', 'largebatch_kernels.node'),
};
let status = 0;
for (const pkg of ['cuda-kernels', 'tensor', 'optim']) {
  const run = spawnSync('npx', ['vitest', 'run', '--pool=forks'], { cwd: join(root, '..', pkg), stdio: 'inherit', env });
  status ||= run.status ?? 1;
}

const emu = join(root, 'build-sanitize', 'lb_emu_tests');
if (process.arch === 'x64') {
  const suites = execFileSync(emu, ['--list'], { encoding: 'utf8' }).split('\n').filter(Boolean);
  const clean = suites.filter((s) => s !== 'emu_faults');
  const run = spawnSync(emu, clean, { stdio: 'inherit', env: { ...process.env, ...sanitizerEnv } });
  status ||= run.status ?? 1;
  const faults = spawnSync(emu, ['emu_faults'], {
    encoding: 'utf8',
    env: { ...process.env, ...sanitizerEnv, UBSAN_OPTIONS: 'print_stacktrace=1:halt_on_error=0' },
  });
  const output = `${faults.stdout}${faults.stderr}`;
  const reports = output.match(/runtime error|AddressSanitizer/g) ?? [];
  const expected = /index 64 out of bounds for type 'float \[64\]'/.test(output);
  process.stdout.write(faults.stdout);
  if (faults.status !== 0 || reports.length !== 1 || !expected) {
    process.stderr.write(`${faults.stderr}\nemu_faults: expected exactly one sanitizer report, UBSan's bounds check of the shared-memory overflow\n`);
    status ||= 1;
  }
}
process.exit(status);
