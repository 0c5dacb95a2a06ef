/**
 * Every convolution shape of ResNet-50 and ResNet-20 on 32x32 inputs (forward, backward
 * data, backward weight), batch norm and max-pool, against PyTorch CPU (oneDNN) at the same
 * thread count, interleaved. Our side calls the addon's kernels directly on tensors' buffers
 * (as the ops' forward and backward do), the peer ATen's forward and backward ops, so each
 * case times one kernel. Totals weight each shape by how often the network uses it.
 * Run: `pnpm --filter @largebatch/bench conv [--threads 2] [--rounds 3] [--reps 3] [--batch 128] [--nets resnet50,resnet20] [--only '64->64 3x3']`.
 */
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { BatchNormOp, Conv2dOp, DTypeCode, PoolMode, PoolOp, native } from '@largebatch/cuda-kernels';
import { type Tensor, ones, randn, zeros } from '@largebatch/tensor';

import { type BenchCase, type CaseResult, formatTable, machineInfo, runInterleaved, timeMedian, writeResults } from './lib/harness';
import { netBenchOptions } from './lib/options';
import { PythonPeer } from './lib/peer';

const { threads, rounds, reps, batch, nets: selected, only } = netBenchOptions('resnet50,resnet20');

/** A square convolution of a network: c -> k channels, r x r kernel on h x h planes, used `count` times. */
interface ConvShape {
  c: number; h: number; k: number; r: number; stride: number; pad: number; count: number;
}

const conv = (c: number, h: number, k: number, r: number, stride: number, pad: number, count: number): ConvShape => ({ c, h, k, r, stride, pad, count });

// torchvision's resnet50 (stride in the 3x3 of each stage's first block) on 32x32 images.
const resnet50: ConvShape[] = [
  conv(3, 32, 64, 7, 2, 3, 1),
  conv(64, 8, 64, 1, 1, 0, 1), conv(64, 8, 64, 3, 1, 1, 3), conv(64, 8, 256, 1, 1, 0, 4), conv(256, 8, 64, 1, 1, 0, 2),
  conv(256, 8, 128, 1, 1, 0, 1), conv(128, 8, 128, 3, 2, 1, 1), conv(128, 4, 512, 1, 1, 0, 4), conv(256, 8, 512, 1, 2, 0, 1),
  conv(512, 4, 128, 1, 1, 0, 3), conv(128, 4, 128, 3, 1, 1, 3),
  conv(512, 4, 256, 1, 1, 0, 1), conv(256, 4, 256, 3, 2, 1, 1), conv(256, 2, 1024, 1, 1, 0, 6), conv(512, 4, 1024, 1, 2, 0, 1),
  conv(1024, 2, 256, 1, 1, 0, 5), conv(256, 2, 256, 3, 1, 1, 5),
  conv(1024, 2, 512, 1, 1, 0, 1), conv(512, 2, 512, 3, 2, 1, 1), conv(512, 1, 2048, 1, 1, 0, 3), conv(1024, 2, 2048, 1, 2, 0, 1),
  conv(2048, 1, 512, 1, 1, 0, 2), conv(512, 1, 512, 3, 1, 1, 2),
];
// The CIFAR ResNet-20 of He et al. with 1x1 projection shortcuts where the shape changes.
const resnet20: ConvShape[] = [
  conv(3, 32, 16, 3, 1, 1, 1), conv(16, 32, 16, 3, 1, 1, 6),
  conv(16, 32, 32, 3, 2, 1, 1), conv(32, 16, 32, 3, 1, 1, 5), conv(16, 32, 32, 1, 2, 0, 1),
  conv(32, 16, 64, 3, 2, 1, 1), conv(64, 8, 64, 3, 1, 1, 5), conv(32, 16, 64, 1, 2, 0, 1),
];
const nets: Record<string, ConvShape[]> = { resnet50, resnet20 };

const outSize = (s: ConvShape): number => Math.floor((s.h + 2 * s.pad - s.r) / s.stride) + 1;
const convName = (s: ConvShape): string => `${s.c}->${s.k} ${s.r}x${s.r}/${s.stride} @${s.h}`;

function handles(ts: readonly (Tensor | null)[]): [(ReturnType<typeof native.alloc> | null)[], number[]] {
  return [ts.map((t) => t?.storage.handle ?? null), ts.map((t) => t?.offset ?? 0)];
}

type ConvPass = 'forward' | 'backwardData' | 'backwardWeight';
const peerOp: Record<ConvPass, string> = { forward: 'conv_forward', backwardData: 'conv_backward_data', backwardWeight: 'conv_backward_weight' };

function convCase(net: string, s: ConvShape, pass: ConvPass): BenchCase & { count: number; net: string } {
  const p = outSize(s);
  const x = randn([batch, s.c, s.h, s.h]);
  const w = randn([s.k, s.c, s.r, s.r]);
  const y = randn([batch, s.k, p, p]);
  const geometry = [batch, s.c, s.h, s.h, s.k, s.r, s.r, p, p, s.stride, s.stride, s.pad, s.pad, 1, 1, 1];
  const tensors: Record<ConvPass, (Tensor | null)[]> = { forward: [x, w, y, null], backwardData: [y, w, x], backwardWeight: [x, y, w, null] };
  return {
    name: `${net} ${convName(s)} ${pass}`,
    net,
    count: s.count,
    work: (2 * batch * s.k * s.c * s.r * s.r * p * p) / 1e9,
    unit: 'GFLOP/s',
    ours: (reps) => timeMedian(() => native.conv2d(Conv2dOp[pass], DTypeCode.float32, geometry, ...handles(tensors[pass])), reps),
    peer: { op: peerOp[pass], shape: { n: batch, c: s.c, h: s.h, w: s.h, k: s.k, r: s.r, stride: s.stride, pad: s.pad } },
  };
}

function batchNormCases(c: number, h: number): BenchCase[] {
  const [x, y, g, dx] = [randn([batch, c, h, h]), randn([batch, c, h, h]), randn([batch, c, h, h]), randn([batch, c, h, h])];
  const [w, b, rm, rv, mean, invstd, dw, db] = [ones([c]), zeros([c]), zeros([c]), ones([c]), zeros([c]), ones([c]), zeros([c]), zeros([c])];
  const shape = [batch, c, h * h];
  const options = [1, 0, 1e-5, 0.1];
  const bytes = (4 * batch * c * h * h) / 1e9;
  const peer = { shape: { n: batch, c, h, w: h } };
  return [
    {
      name: `batch norm ${c}x${h}x${h} forward`, work: 3 * bytes, unit: 'GB/s', peer: { ...peer, op: 'bn_forward' },
      ours: (reps) => timeMedian(() => native.batchNorm(BatchNormOp.forward, DTypeCode.float32, shape, options, ...handles([x, w, b, rm, rv, y, mean, invstd])), reps),
    },
    {
      name: `batch norm ${c}x${h}x${h} backward`, work: 5 * bytes, unit: 'GB/s', peer: { ...peer, op: 'bn_backward' },
      ours: (reps) => timeMedian(() => native.batchNorm(BatchNormOp.backward, DTypeCode.float32, shape, options, ...handles([g, x, null, w, mean, invstd, dx, dw, db])), reps),
    },
  ];
}

function maxPoolCases(c: number, h: number): BenchCase[] {
  const p = Math.floor((h + 2 - 3) / 2) + 1;
  const [x, dx, y, dy] = [randn([batch, c, h, h]), randn([batch, c, h, h]), randn([batch, c, p, p]), randn([batch, c, p, p])];
  const indices = zeros([batch, c, p, p], { dtype: 'int32' });
  const geometry = [batch * c, h, h, p, p, 3, 3, 2, 2, 1, 1];
  native.pool2d(PoolOp.forward, PoolMode.max, DTypeCode.float32, geometry, ...handles([x, y, indices]));
  const bytes = (4 * batch * c * h * h) / 1e9;
  const peer = { shape: { n: batch, c, h, w: h } };
  return [
    {
      name: `max pool 3x3/2 ${c}x${h}x${h} forward`, work: bytes, unit: 'GB/s', peer: { ...peer, op: 'maxpool_forward' },
      ours: (reps) => timeMedian(() => native.pool2d(PoolOp.forward, PoolMode.max, DTypeCode.float32, geometry, ...handles([x, y, indices])), reps),
    },
    {
      name: `max pool 3x3/2 ${c}x${h}x${h} backward`, work: 2 * bytes, unit: 'GB/s', peer: { ...peer, op: 'maxpool_backward' },
      ours: (reps) => timeMedian(() => native.pool2d(PoolOp.backward, PoolMode.max, DTypeCode.float32, geometry, ...handles([dy, indices, dx])), reps),
    },
  ];
}

const convCases = selected.flatMap((net) =>
  nets[net]!.flatMap((s) => (['forward', 'backwardData', 'backwardWeight'] as const)
    // A network's first convolution needs no gradient for the images.
    .filter((pass) => !(pass === 'backwardData' && s.c === 3))
    .map((pass) => convCase(net, s, pass))),
).filter((c) => c.name.includes(only));
const otherCases = [...batchNormCases(64, 16), ...batchNormCases(256, 8), ...batchNormCases(16, 32), ...maxPoolCases(64, 16)]
  .filter((c) => c.name.includes(only));

/**
 * Time over all of a network's convolutions (each shape times its count), ours and the
 * peer's; networks with no convolution among the cases run (`--only`) are left out.
 */
function totals(results: readonly CaseResult[]): Record<string, { oursS: number; peerS: number; speedup: number; slowest: string }> {
  const out: Record<string, { oursS: number; peerS: number; speedup: number; slowest: string }> = {};
  for (const net of selected) {
    let oursS = 0;
    let peerS = 0;
    let slowest = { name: '', speedup: Infinity };
    if (!convCases.some((c) => c.net === net)) continue;
    convCases.forEach((c, i) => {
      if (c.net !== net) return;
      const r = results[i]!;
      oursS += c.count * r.oursMedianS;
      peerS += c.count * r.peerMedianS;
      if (r.speedup < slowest.speedup) slowest = { name: r.name, speedup: r.speedup };
    });
    out[net] = { oursS, peerS, speedup: peerS / oursS, slowest: `${slowest.name} (${slowest.speedup.toFixed(2)}x)` };
  }
  return out;
}

const peer = new PythonPeer(join(fileURLToPath(new URL('.', import.meta.url)), 'peers', 'conv.py'), threads);
try {
  const cases = [...convCases, ...otherCases];
  const results = await runInterleaved(cases, peer, rounds, reps);
  const sums = totals(results);
  console.log(formatTable(results));
  for (const [net, t] of Object.entries(sums)) {
    const which = only === '' ? 'all convolutions' : `the convolutions matching '${only}'`;
    console.log(`${net}: ${which} forward + backward at batch ${batch}: ours ${t.oursS.toFixed(3)} s, PyTorch ${t.peerS.toFixed(3)} s, ${t.speedup.toFixed(2)}x; slowest shape ${t.slowest}`);
  }
  // A run of some cases only is a tuning run: kept out of the committed results.
  const path = writeResults('conv', { machine: machineInfo(threads), batch, sgemmKernel: native.cpuInfo().sgemmKernel, totals: sums, results }, only === '' ? '' : 'tmp');
  console.log(`results: ${path}`);
} finally {
  peer.close();
}
