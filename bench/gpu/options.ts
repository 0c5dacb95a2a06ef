/**
 * The command line of bench/gpu. Parsed before the addon loads, since `--smoke` chooses
 * which addon loads.
 */
import { parseArgs } from 'node:util';

export interface GpuBenchOptions {
  /** Tiny sizes against the emulated addon, with the peer on the CPU: checks the pipeline, not speed. */
  smoke: boolean;
  /** ResNet-50 batch sizes of the training-step benchmark. */
  batches: number[];
  /** Image side (the study trains ResNet-50 on 32x32 CIFAR-10 images). */
  size: number;
  rounds: number;
  reps: number;
  /** Untimed steps of each case before its rounds (cuDNN's algorithm search, the pools filling). */
  warmup: number;
  /** CPU threads of each side (our thread pool; torch.set_num_threads). */
  threads: number;
  /** The peer's interpreter: one whose PyTorch has CUDA. */
  python: string;
}

/** A bad command-line value, naming the option. */
export class GpuBenchOptionError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GpuBenchOptionError';
  }
}

/**
 * The smoke run's batches: 2 images, and the smallest power of two whose float32 input
 * takes 2^48 bytes or more (twice x86-64's 128 TiB user address space), whose allocation
 * fails on each side at once, with nothing touched, so that the report of a batch that does
 * not fit is exercised too.
 */
function smokeBatches(size: number): number[] {
  const imageBytes = 3 * size * size * 4;
  return [2, 2 ** Math.ceil(Math.log2(2 ** 48 / imageBytes))];
}

function positiveInt(option: string, value: string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n) || n < 1) throw new GpuBenchOptionError(`--${option} must be a positive integer, got '${value}'`);
  return n;
}

export function gpuBenchOptions(argv: readonly string[]): GpuBenchOptions {
  const { values } = parseArgs({
    args: [...argv],
    options: {
      smoke: { type: 'boolean', default: false },
      batches: { type: 'string' },
      size: { type: 'string', default: '32' },
      rounds: { type: 'string' },
      reps: { type: 'string' },
      warmup: { type: 'string' },
      threads: { type: 'string', default: '2' },
      python: { type: 'string', default: '/usr/bin/python3' },
    },
  });
  const smoke = values.smoke;
  const size = positiveInt('size', values.size);
  const batches = values.batches === undefined
    ? (smoke ? smokeBatches(size) : [128, 1024, 8192])
    : values.batches.split(',').map((b) => positiveInt('batches', b));
  return {
    smoke,
    batches,
    size,
    rounds: positiveInt('rounds', values.rounds ?? (smoke ? '1' : '3')),
    reps: positiveInt('reps', values.reps ?? (smoke ? '1' : '5')),
    warmup: positiveInt('warmup', values.warmup ?? (smoke ? '1' : '3')),
    threads: positiveInt('threads', values.threads),
    python: values.python,
  };
}
