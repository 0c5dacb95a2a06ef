// Builds the addon with cmake-js at install. Environment:
//   LARGEBATCH_CUDA=0           build without CUDA even when nvcc is on PATH
//   LARGEBATCH_CUDA_EMULATE=1   compile the CUDA sources with g++ against the CUDA emulation
//                               (device 'cuda' then runs on the CPU; takes precedence over nvcc)
//   CUDAARCHS="75;80;90"        CUDA architectures (CMake's own variable)
//   LARGEBATCH_SANITIZE=1       ASan + UBSan build into build-sanitize/
//   LARGEBATCH_BUILD_DIR=dir    build into dir/ instead of build/ (the emulated test build, say)
//   LARGEBATCH_BUILD_JOBS=n     parallel compile jobs (default 2)
import { spawnSync } from 'node:child_process';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const require = createRequire(import.meta.url);
const cmakeJs = join(dirname(require.resolve('cmake-js/package.json')), 'bin', 'cmake-js');

const on = (flag) => (flag ? 'ON' : 'OFF');
const sanitize = process.env.LARGEBATCH_SANITIZE === '1';
const args = [
  cmakeJs,
  'compile',
  '--out', sanitize ? 'build-sanitize' : (process.env.LARGEBATCH_BUILD_DIR ?? 'build'),
  `--CDLARGEBATCH_CUDA=${on(process.env.LARGEBATCH_CUDA !== '0')}`,
  `--CDLARGEBATCH_CUDA_EMULATE=${on(process.env.LARGEBATCH_CUDA_EMULATE === '1')}`,
  `--CDLARGEBATCH_SANITIZE=${on(sanitize)}`,
  '--parallel', String(Math.max(1, Number(process.env.LARGEBATCH_BUILD_JOBS ?? 2))),
];
const result = spawnSync(process.execPath, args, { cwd: root, stdio: 'inherit' });
process.exit(result.status ?? 1);
