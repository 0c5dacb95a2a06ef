/**
 * @largebatch/cuda-kernels: loads the native addon built at install.
 *
 * @example
 * ```ts
 * import { native, DeviceCode } from '@largebatch/cuda-kernels';
 * const buf = native.alloc(DeviceCode.cpu, 16);
 * native.write(buf, 0, new Float32Array([1, 2, 3, 4]));
 * native.free(buf);
 * ```
 */
import { existsSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import type { NativeAddon } from './binding';

export * from './binding';

/** The package root: src/ and dist/ both sit one level below it. */
function packageRoot(): string {
  const here = typeof __dirname === 'string' ? __dirname : dirname(fileURLToPath(import.meta.url));
  return join(here, '..');
}

/** Where the addon is: LARGEBATCH_ADDON overrides (a sanitizer or emulated build, say). */
export function addonPath(): string {
  const override = process.env.LARGEBATCH_ADDON;
  if (override) return override;
  return join(packageRoot(), 'build', 'Release', 'largebatch_kernels.node');
}

function load(): NativeAddon {
  const path = addonPath();
  if (!existsSync(path)) {
    throw new Error(
      `largebatch: the native addon is missing at ${path}; it is built at install ` +
        '(run `pnpm --filter @largebatch/cuda-kernels build:native`, which needs cmake and a C++17 compiler)',
    );
  }
  const require = createRequire(join(packageRoot(), 'package.json'));
  return require(path) as NativeAddon;
}

/** The loaded addon. */
export const native: NativeAddon = load();

/** Sets the CPU thread pool size (default: LARGEBATCH_NUM_THREADS, else the core count). */
export function setNumThreads(n: number): void {
  if (!Number.isInteger(n) || n < 1) {
    throw new RangeError(`setNumThreads: n must be a positive integer, got ${String(n)}`);
  }
  native.setNumThreads(n);
}

/** The CPU thread pool size. */
export function getNumThreads(): number {
  return native.getNumThreads();
}
