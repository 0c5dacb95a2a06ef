/**
 * Whole ResNet-20 and ResNet-50 steps on 32x32 images against PyTorch CPU (oneDNN) at the
 * same thread count, interleaved: forward in eval mode without autograd, a training
 * step's forward + cross-entropy + backward (no optimizer step), and whole training steps
 * with SGD (against torch.optim.SGD) and with LARS 'study' (against the study's per-tensor
 * loop), images per second; and our whole LARS step against our whole SGD step.
 * Our nets are @largebatch/nn's resnet20 (1x1 projection shortcuts) and resnet50; the
 * peer's the PyTorch definitions our parity fixtures check them against.
 * Run: `pnpm --filter @largebatch/bench resnet [--threads 2] [--rounds 3] [--reps 3] [--batch 128] [--nets resnet20,resnet50]`.
 */
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { type Tensor, memory, noGrad, rand, randn, tidy } from '@largebatch/tensor';

import { type ResNet, crossEntropy, resnet20, resnet50 } from '@largebatch/nn';
import { LARS, SGD } from '@largebatch/optim';
import { type BenchCase, type CaseResult, machineInfo, runInterleaved, timeMedian, writeResults } from './lib/harness';
import { netBenchOptions } from './lib/options';
import { PythonPeer } from './lib/peer';

const { threads, rounds, reps, batch, nets: selected } = netBenchOptions('resnet20,resnet50');

const makers: Record<string, () => ResNet> = {
  resnet20: () => resnet20({ numClasses: 10 }),
  resnet50: () => resnet50({ numClasses: 10 }),
};

const nets: ResNet[] = [];
const optimizers: (SGD | LARS)[] = [];
const inputs: Tensor[] = [];

function netCases(name: string): BenchCase[] {
  const make = makers[name];
  if (!make) throw new Error(`--nets: unknown net '${name}', expected one of ${Object.keys(makers).join(', ')}`);
  const net = make();
  const x = randn([batch, 3, 32, 32]);
  const labels = tidy(() => rand([batch], { high: 10 }).toDType('int32'));
  nets.push(net);
  inputs.push(x, labels);
  // Small rates, so that hundreds of steps on one batch stay finite (as the peer's).
  const sgd = new SGD(net.namedParameters(), { lr: 0.01, momentum: 0.9, weightDecay: 5e-4 });
  const lars = new LARS(net.namedParameters(), { lr: 0.01, momentum: 0.9, weightDecay: 5e-3, trustCoefficient: 0.1, variant: 'study' });
  optimizers.push(sgd, lars);
  const trainStep = (optimizer?: SGD | LARS) => {
    net.train();
    tidy(() => crossEntropy(net.forward(x), labels).backward());
    optimizer?.step();
    for (const p of net.parameters()) p.grad = null; // as zero_grad(set_to_none=True)
  };
  // One step each first: the optimizers' momentum buffers exist before the leak check counts.
  trainStep(sgd);
  trainStep(lars);
  const peer = { net: name, batch };
  return [
    {
      name: `${name} forward (eval)`, work: batch, unit: 'img/s', peer: { ...peer, op: 'forward' },
      ours: (reps) => timeMedian(() => tidy(() => noGrad(() => void net.eval().forward(x))), reps),
    },
    {
      name: `${name} forward + backward (train)`, work: batch, unit: 'img/s', peer: { ...peer, op: 'train' },
      ours: (reps) => timeMedian(() => trainStep(), reps),
    },
    {
      name: `${name} training step, SGD`, work: batch, unit: 'img/s', peer: { ...peer, op: 'step-sgd' },
      ours: (reps) => timeMedian(() => trainStep(sgd), reps),
    },
    {
      name: `${name} training step, LARS 'study'`, work: batch, unit: 'img/s', peer: { ...peer, op: 'step-lars' },
      ours: (reps) => timeMedian(() => trainStep(lars), reps),
    },
  ];
}

// Medians, and the quickest round of each side: under contention the samples are bimodal
// (quiet rounds and rounds sharing a core), and the quickest shows the quiet figure.
function table(results: readonly CaseResult[]): string {
  const rate = (s: number) => (batch / s).toFixed(0);
  const rows = results.map((r) =>
    `| ${r.name} | ${rate(r.oursMedianS)} | ${rate(r.peerMedianS)} | ${r.speedup.toFixed(2)}x | ${rate(Math.min(...r.oursSamplesS))} / ${rate(Math.min(...r.peerSamplesS))} |`,
  );
  return ['| batch ' + batch + ', img/s | largebatch (median) | PyTorch (median) | ours/PyTorch | quickest round, ours / PyTorch |', '|---|---|---|---|---|', ...rows].join('\n');
}

const peer = new PythonPeer(join(fileURLToPath(new URL('.', import.meta.url)), 'peers', 'resnet.py'), threads);
try {
  const cases = selected.flatMap(netCases);
  const tensorsBefore = memory().numTensors;
  const loadBefore = loadavg();
  const results = await runInterleaved(cases, peer, rounds, reps);
  const loadAfter = loadavg();
  // A timed step that leaked tensors would also have been timed unfairly (growing memory).
  if (memory().numTensors !== tensorsBefore) throw new Error(`leak: ${memory().numTensors - tensorsBefore} tensors after the runs`);
  console.log(`batch ${batch}, ${threads} threads, load average ${loadBefore[0]!.toFixed(2)} before, ${loadAfter[0]!.toFixed(2)} after`);
  console.log(table(results));
  // The design's target: a whole LARS training step within 1.02x of a whole SGD step.
  const larsOverSgd = Object.fromEntries(selected.map((name) => {
    const of = (suffix: string) => results.find((r) => r.name === `${name} training step, ${suffix}`)!.oursMedianS;
    return [name, of("LARS 'study'") / of('SGD')];
  }));
  for (const [name, ratio] of Object.entries(larsOverSgd)) console.log(`${name}: our whole LARS step / our whole SGD step ${ratio.toFixed(3)}x (medians)`);
  const path = writeResults('resnet', { machine: machineInfo(threads), batch, loadAverage: { before: loadBefore, after: loadAfter }, larsOverSgd, results });
  console.log(`results: ${path}`);
} finally {
  peer.close();
  for (const o of optimizers) o.dispose();
  for (const t of [...nets, ...inputs]) t.dispose();
}
