/**
 * One optimizer step over ResNet-50's 161 parameter tensors (23.5 M values; shapes from
 * torchvision through the peer), against PyTorch CPU at the same thread count,
 * interleaved: our SGD vs torch.optim.SGD (foreach False and True), our LARS 'paper' vs a
 * per-tensor loop in timm's form, our LARS 'study' vs the study's per-tensor ver2 loop;
 * and our LARS steps relative to our SGD step.
 * Run: `pnpm --filter @largebatch/bench optim [--threads 2] [--rounds 7] [--reps 10]`.
 */
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import { manualSeed, setNumThreads } from '@largebatch/tensor';

import { type BenchCase, type CaseResult, machineInfo, median, runInterleaved, timeMedian, writeResults } from './lib/harness';
import { type OptimStep, OurOptimSteps } from './lib/optim-steps';
import { PythonPeer } from './lib/peer';

const { values } = parseArgs({
  options: { threads: { type: 'string', default: '2' }, rounds: { type: 'string', default: '7' }, reps: { type: 'string', default: '10' } },
});
const threads = Number(values.threads);
setNumThreads(threads);
manualSeed(0);

const peer = new PythonPeer(join(fileURLToPath(new URL('.', import.meta.url)), 'peers', 'optim.py'), threads);
const { shapes } = await peer.request<{ shapes: number[][] }>({ op: 'shapes' });
const numel = shapes.reduce((a, s) => a + s.reduce((x, y) => x * y, 1), 0);
const optim = new OurOptimSteps(shapes, 'cpu');

function stepCase(name: string, step: OptimStep, peerRequest: object): BenchCase {
  return { name, work: 1, unit: 'steps/s', ours: (reps) => timeMedian(() => optim.step(step), reps), peer: peerRequest };
}

const cases = [
  stepCase('SGD vs torch.optim.SGD foreach=False', 'sgd', { op: 'sgd', foreach: false }),
  stepCase('SGD vs torch.optim.SGD foreach=True', 'sgd', { op: 'sgd', foreach: true }),
  stepCase("LARS 'paper' vs per-tensor LARS loop (timm's form)", 'lars-paper', { op: 'lars-paper' }),
  stepCase("LARS 'study' vs the study's per-tensor ver2 loop", 'lars-study', { op: 'lars-study' }),
];

const ms = (s: number) => (1e3 * s).toFixed(2);

// Medians, and the quickest round of each side: under contention the samples are bimodal
// (quiet rounds and rounds sharing a core), and the quickest shows the quiet figure.
function table(results: readonly CaseResult[]): string {
  const rows = results.map((r) => {
    const [oursBest, peerBest] = [Math.min(...r.oursSamplesS), Math.min(...r.peerSamplesS)];
    return `| ${r.name} | ${ms(r.oursMedianS)} ms | ${ms(r.peerMedianS)} ms | ${(r.oursMedianS / r.peerMedianS).toFixed(2)}x | ${ms(oursBest)} / ${ms(peerBest)} ms |`;
  });
  return ['| step | largebatch (median) | PyTorch (median) | ours/PyTorch time | quickest round, ours / PyTorch |', '|---|---|---|---|---|', ...rows].join('\n');
}

try {
  const loadBefore = loadavg();
  const results = await runInterleaved(cases, peer, Number(values.rounds), Number(values.reps));
  const loadAfter = loadavg();
  // Our SGD was timed in two cases (once per torch peer): its median over all rounds.
  const oursSgdS = median(results.slice(0, 2).flatMap((r) => r.oursSamplesS));
  const larsOverSgd = { paper: results[2]!.oursMedianS / oursSgdS, study: results[3]!.oursMedianS / oursSgdS };
  console.log(`${shapes.length} tensors, ${numel} values, ${threads} threads, load average ${loadBefore[0]!.toFixed(2)} before, ${loadAfter[0]!.toFixed(2)} after`);
  console.log(table(results));
  const sgdBestS = Math.min(...results.slice(0, 2).flatMap((r) => r.oursSamplesS));
  const larsOverSgdBest = { paper: Math.min(...results[2]!.oursSamplesS) / sgdBestS, study: Math.min(...results[3]!.oursSamplesS) / sgdBestS };
  console.log(`our LARS / our SGD step time, medians: 'paper' ${larsOverSgd.paper.toFixed(2)}x, 'study' ${larsOverSgd.study.toFixed(2)}x (our SGD ${ms(oursSgdS)} ms); quickest rounds: 'paper' ${larsOverSgdBest.paper.toFixed(2)}x, 'study' ${larsOverSgdBest.study.toFixed(2)}x`);
  const path = writeResults('optim', {
    machine: machineInfo(threads), tensors: shapes.length, values: numel, loadAverage: { before: loadBefore, after: loadAfter },
    oursSgdMedianS: oursSgdS, larsOverSgd, larsOverSgdQuickest: larsOverSgdBest, results,
  });
  console.log(`results: ${path}`);
} finally {
  peer.close();
  optim.dispose();
}
