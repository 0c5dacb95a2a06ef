// Builds the emulated CUDA kernel tests and the CPU kernels with ThreadSanitizer (plain
// CMake into build-tsan/, target lb_emu_tests only: no addon) and runs every suite except
// emu_faults (deliberate faults and hangs, which TSan has nothing to add to) and
// tsan_canary clean; then runs tsan_canary and expects exactly its missing barrier to be
// reported as a data race, which shows the CUDA threads are seen as threads.
import { execFileSync, spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const build = join(root, 'build-tsan');
const jobs = String(Math.max(1, Number(process.env.LARGEBATCH_BUILD_JOBS ?? 2)));
const step = (cmd, args) => {
  const r = spawnSync(cmd, args, { cwd: root, stdio: 'inherit' });
  if (r.status !== 0) process.exit(r.status ?? 1);
};
step('cmake', ['-S', '.', '-B', build, '-DLARGEBATCH_TSAN=ON', '-DLARGEBATCH_CUDA=OFF', '-DCMAKE_BUILD_TYPE=RelWithDebInfo']);
step('cmake', ['--build', build, '--target', 'lb_emu_tests', '--parallel', jobs]);

const exe = join(build, 'lb_emu_tests');
const env = { ...process.env, TSAN_OPTIONS: 'halt_on_error=1:second_deadlock_stack=1' };
const suites = execFileSync(exe, ['--list'], { encoding: 'utf8', env }).split('\n').filter(Boolean);
const clean = suites.filter((s) => s !== 'emu_faults' && s !== 'tsan_canary');
// One process per suite: one process running them all stopped here without a TSan report,
// while each suite alone runs clean.
const failed = clean.filter((suite) => spawnSync(exe, [suite], { stdio: 'inherit', env }).status !== 0);
if (failed.length > 0) {
  console.error(`test-tsan: ${failed.join(', ')} did not run clean under ThreadSanitizer`);
  process.exit(1);
}

const canary = spawnSync(exe, ['tsan_canary'], { encoding: 'utf8', env });
const output = `${canary.stdout}${canary.stderr}`;
const reported = canary.status !== 0 && /ThreadSanitizer: data race/.test(output) && /reverse_block<false>/.test(output);
if (!reported) {
  console.error(output);
  console.error('test-tsan: the missing barrier in tsan_canary was not reported as a data race');
  process.exit(1);
}
console.log(`test-tsan: ${clean.length} suites clean under ThreadSanitizer; the canary's missing barrier was reported`);
