// Builds the addon with cmake-js at install. Environment:
//   LARGEBATCH_CUDA=0      build without CUDA even when nvcc is on PATH
//   CUDAARCHS="75;80;90"   CUDA architectures (CMake's own variable)
//   LARGEBATCH_SANITIZE=1  ASan + UBSan build into build-sanitize/
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const cmakeJs = join(dirname(require.resolve('cmake-js/package.json')), 'bin', 'cmake-js');

const sanitize = process.env.LARGEBATCH_SANITIZE === '1';
const args = [
  cmakeJs,
  'compile',
  '--out', sanitize ? 'build-sanitize' : 'build',
  `--CDLARGEBATCH_CUDA=${process.env.LARGEBATCH_CUDA === '0' ? 'OFF' : 'ON'}`,
  `--CDLARGEBATCH_SANITIZE=${sanitize ? 'ON' : 'OFF'}`,
  '--parallel', String(Math.max(1, Number(process.env.LARGEBATCH_BUILD_JOBS ?? 2))),
];
const result = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit' });
process.exit(result.status ?? 1);
