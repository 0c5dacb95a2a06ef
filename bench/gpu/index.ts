/**
 * bench/gpu: our CUDA path against PyTorch + cuDNN on the same GPU, one command:
 * - ResNet-50 (10 classes, 32x32 images as in the study) whole training steps, with SGD and
 *   with LARS 'study', images per second at batch 128, 1024 and 8192; a batch that does not
 *   fit in device memory is reported as such;
 * - the peak device memory of each side over those steps (ours: `cuda.memoryStats()`;
 *   PyTorch: `torch.cuda.max_memory_allocated()`);
 * - one optimizer step over ResNet-50's parameters on the device: our SGD, LARS 'paper' and
 *   LARS 'study' against torch.optim.SGD and the per-tensor LARS loops of bench/peers.
 * One peer process (gpu/peer.py), interleaved rounds, medians, each timed call waited for on
 * the device, warm-up steps untimed. Without a GPU it refuses, saying what it needs.
 * `--smoke` runs the whole pipeline at tiny sizes against the emulated addon (device
 * 'cuda' on the CPU, LARGEBATCH_CUDA_EMULATE=1), with the peer on the CPU.
 * Run: `pnpm --filter @largebatch/bench gpu [--batches 128,1024,8192] [--size 32] [--rounds 3]
 * [--reps 5] [--warmup 3] [--threads 2] [--python /usr/bin/python3] [--smoke]`.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { GpuBenchOptionError, gpuBenchOptions } from './options';

const EMULATED_ADDON = join(
  fileURLToPath(new URL('.', import.meta.url)), '..', '..', 'packages', 'cuda-kernels', 'build-emulated', 'Release', 'largebatch_kernels.node',
);

try {
  const options = gpuBenchOptions(process.argv.slice(2));
  // The addon is chosen when @largebatch/cuda-kernels first loads, so before run.ts is imported.
  if (options.smoke && !process.env.LARGEBATCH_ADDON) {
    if (!existsSync(EMULATED_ADDON)) {
      throw new GpuBenchOptionError(`--smoke runs against the emulated addon, which is not built at ${EMULATED_ADDON}: `
        + 'build it with `LARGEBATCH_CUDA_EMULATE=1 LARGEBATCH_BUILD_DIR=build-emulated pnpm --filter @largebatch/cuda-kernels build:native`');
    }
    process.env.LARGEBATCH_ADDON = EMULATED_ADDON;
  }
  const { NoGpuError, runGpuBench } = await import('./run');
  try {
    await runGpuBench(options);
  } catch (err) {
    if (!(err instanceof NoGpuError)) throw err;
    console.error(err.message); // it begins 'bench/gpu needs'
    process.exitCode = 2;
  }
} catch (err) {
  if (!(err instanceof GpuBenchOptionError)) throw err;
  console.error(`bench/gpu: ${err.message}`);
  process.exitCode = 2;
}
