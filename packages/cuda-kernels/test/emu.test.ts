import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';

// The CUDA kernels under the CUDA emulation (test/emu, built with the addon at install
// into build/lb_emu_tests): the emulation's self-tests and each CUDA kernel against its
// CPU kernel under forward, reverse and random schedules. One vitest test per suite; a
// failing suite shows the executable's output. LARGEBATCH_EMU_TESTS points at another
// build (the sanitizer build's, say).

const exe = process.env.LARGEBATCH_EMU_TESTS ?? join(__dirname, '..', 'build', 'lb_emu_tests');

if (process.arch === 'x64') {
  describe('CUDA kernels under the emulation', () => {
    it('were built at install', () => {
      expect(existsSync(exe), `${exe} is missing: the install build makes it (CMakeLists.txt, test/emu)`).toBe(true);
    });
    const suites = existsSync(exe) ? execFileSync(exe, ['--list'], { encoding: 'utf8' }).split('\n').filter(Boolean) : [];
    for (const suite of suites) {
      it(suite, () => {
        const run = spawnSync(exe, [suite], { encoding: 'utf8', timeout: 120_000 });
        const output = `${run.stdout ?? ''}${run.stderr ?? ''}`;
        expect(run.status, output).toBe(0);
        expect(output).toMatch(/ 0 failed checks/);
      }, 130_000);
    }
  });
} else {
  it('the CUDA emulation is not built off x86-64 (its fiber switch is x86-64 assembly)', () => {
    expect(existsSync(exe)).toBe(false);
  });
}
