/**
 * Elementwise ops, a reduction, square SGEMM (256..2048) and the fused softmax
 * cross-entropy (forward, and forward + backward) through @largebatch/tensor against PyTorch
 * CPU at the same thread count, interleaved; plus the machine's measured FMA peak. Run: `pnpm --filter @largebatch/bench tensor-ops [--threads 2] [--rounds 5]`.
 */
import { parseArgs } from 'node:util';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { native } from '@largebatch/cuda-kernels';
import {
  add, exp, manualSeed, matmul, mul, randn, setNumThreads, softmaxCrossEntropy, sum, tensor, tidy, type Tensor,
} from '@largebatch/tensor';

import { type BenchCase, formatTable, machineInfo, runInterleaved, timeMedian, writeResults } from './lib/harness';
import { PythonPeer } from './lib/peer';

const { values } = parseArgs({
  options: { threads: { type: 'string', default: '2' }, rounds: { type: 'string', default: '5' }, reps: { type: 'string', default: '5' } },
});
const threads = Number(values.threads);
setNumThreads(threads);
manualSeed(0);

function elementwise(op: 'add' | 'mul' | 'exp' | 'sum', n: number): BenchCase {
  const fns: Record<typeof op, (a: Tensor, b: Tensor) => Tensor> = { add, mul, exp: (a) => exp(a), sum: (a) => sum(a) };
  const a = randn([n]);
  const b = randn([n]);
  const bytes = (op === 'add' || op === 'mul' ? 3 : op === 'exp' ? 2 : 1) * 4 * n;
  return {
    name: `${op} ${n >= 1 << 20 ? `${n >> 20}M` : n} float32`,
    work: bytes / 1e9,
    unit: 'GB/s',
    ours: (reps) => timeMedian(() => fns[op](a, b).dispose(), reps),
    peer: { op, n },
  };
}

function gemm(n: number): BenchCase {
  const a = randn([n, n]);
  const b = randn([n, n]);
  return {
    name: `matmul ${n}x${n}x${n}`,
    work: (2 * n ** 3) / 1e9,
    unit: 'GFLOP/s',
    ours: (reps) => timeMedian(() => matmul(a, b).dispose(), reps),
    peer: { op: 'matmul', n },
  };
}

// softmaxCrossEntropy with label smoothing 0.1 on [rows, classes] float32 logits; with
// backward, the sum of the losses is differentiated (logits' gradient), as l.sum().backward().
function crossEntropy(rows: number, classes: number, backward: boolean): BenchCase {
  const logits = randn([rows, classes], { std: 3, requiresGrad: backward });
  const labels = tensor(Int32Array.from({ length: rows }, (_, i) => (i * 7919) % classes), { dtype: 'int32' });
  const run = (): void => tidy(() => {
    const losses = softmaxCrossEntropy(logits, labels, { labelSmoothing: 0.1 });
    if (backward) losses.sum().backward();
  });
  return {
    name: `cross-entropy [${rows}, ${classes}] ${backward ? 'forward + backward' : 'forward'}`,
    work: (rows * classes) / 1e9,
    unit: 'Gvalue/s',
    ours: (reps) => timeMedian(() => {
      run();
      logits.grad?.dispose();
      logits.grad = null;
    }, reps),
    peer: { op: backward ? 'cross_entropy_backward' : 'cross_entropy', rows, classes },
  };
}

const cases = [
  elementwise('add', 1 << 20), elementwise('add', 1 << 24), elementwise('mul', 1 << 24), elementwise('exp', 1 << 24),
  elementwise('sum', 1 << 24), gemm(256), gemm(512), gemm(1024), gemm(2048),
  ...[[128, 10], [1024, 1000]].flatMap(([rows, classes]) => [false, true].map((b) => crossEntropy(rows!, classes!, b))),
];
const peer = new PythonPeer(join(fileURLToPath(new URL('.', import.meta.url)), 'peers', 'tensor_ops.py'), threads);
try {
  const results = await runInterleaved(cases, peer, Number(values.rounds), Number(values.reps));
  const fmaPeakGflops = native.measureFmaPeak(threads, 0.5);
  const sgemm1024 = results.find((r) => r.name === 'matmul 1024x1024x1024')!.oursRate;
  console.log(formatTable(results));
  console.log(`FMA peak (${threads} threads): ${fmaPeakGflops.toFixed(1)} GFLOP/s; SGEMM 1024^3 at ${(100 * sgemm1024 / fmaPeakGflops).toFixed(1)} % of it`);
  console.log(`sgemm kernel: ${native.cpuInfo().sgemmKernel}`);
  const path = writeResults('tensor-ops', { machine: machineInfo(threads), fmaPeakGflops, sgemmKernel: native.cpuInfo().sgemmKernel, results });
  console.log(`results: ${path}`);
} finally {
  peer.close();
}
