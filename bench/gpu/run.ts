/**
 * bench/gpu's run, once the addon is loaded: refuses without a GPU (or without PyTorch
 * with CUDA for the peer), then times ResNet-50 training steps at each batch size and
 * optimizer steps over ResNet-50's parameters on 'cuda' against PyTorch on the same GPU,
 * prints the tables and writes dated JSON to bench/results/ (a smoke run's to
 * bench/results/tmp/).
 */
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { addonPath, native } from '@largebatch/cuda-kernels';
import { manualSeed, memory, setNumThreads } from '@largebatch/tensor';

import { machineInfo, median, writeResults } from '../lib/harness';
import { type OptimStep, OurOptimSteps } from '../lib/optim-steps';
import { PythonPeer } from '../lib/peer';
import { type CaseReport, type CaseRun, runCase } from './cases';
import type { Fit } from './device';
import type { GpuBenchOptions } from './options';
import { optimTable, resnetTable } from './report';
import { OurResNetSteps, TRAIN_STEPS, type TrainStep } from './resnet-steps';

/** What this machine lacks for bench/gpu; the message says what it needs. */
export class NoGpuError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NoGpuError';
  }
}

interface PeerInfo {
  torch: string;
  cuda: string | null;
  cudnn: number | null;
  available: boolean;
  device: string | null;
}

const NEEDS = 'bench/gpu needs a CUDA GPU: our addon built with nvcc (installed with nvcc on PATH) and a GPU and driver at run time, '
  + 'and for the peer a Python whose PyTorch (with torchvision) has CUDA (--python PATH, default /usr/bin/python3)';

/** Refuses unless our addon has a real GPU (or, in a smoke run, any CUDA device: the emulated one). */
function checkOurDevice(o: GpuBenchOptions): void {
  const info = native.cudaInfo();
  if (!info.available) {
    throw new NoGpuError(`${NEEDS}. Here CUDA is unavailable: ${info.reason}. To check the pipeline without a GPU: --smoke.`);
  }
  if (info.emulated && !o.smoke) {
    throw new NoGpuError(`${NEEDS}. The addon loaded (${addonPath()}) is the emulated one, which runs the CUDA kernels on the CPU: `
      + 'it checks correctness, not speed. To check the pipeline with it: --smoke.');
  }
}

async function peerInfo(peer: PythonPeer, o: GpuBenchOptions): Promise<PeerInfo> {
  let info: PeerInfo;
  try {
    info = await peer.request<PeerInfo>({ op: 'info' });
  } catch (err) {
    throw new NoGpuError(`${NEEDS}. ${o.python} could not run bench/gpu/peer.py: ${(err as Error).message}`);
  }
  if (!o.smoke && !info.available) {
    throw new NoGpuError(`${NEEDS}. ${o.python} has torch ${info.torch} (CUDA: ${info.cuda ?? 'none, a CPU build'}), `
      + 'and torch.cuda.is_available() is false.');
  }
  return info;
}

/** ResNet-50 training steps at each batch size: SGD and LARS 'study', images per second. */
async function resnetPhase(run: CaseRun, o: GpuBenchOptions): Promise<CaseReport[]> {
  const steps = new OurResNetSteps();
  const reports: CaseReport[] = [];
  try {
    for (const batch of o.batches) {
      const before = {
        ours: steps.setInputs(batch, o.size),
        peer: await run.peer.request<Fit>({ op: 'inputs', batch, size: o.size }),
      };
      for (const [step, label] of Object.entries(TRAIN_STEPS) as [TrainStep, string][]) {
        reports.push(await runCase({
          name: `batch ${batch}, training step with ${label}`, work: batch, unit: 'img/s',
          oursStep: () => steps.step(step), peerCase: `train-${step}`, before,
        }, run));
      }
      // Each batch size starts from no inputs on either side, so that the largest gets the most memory.
      steps.releaseInputs();
      await run.peer.request({ op: 'release' });
    }
  } finally {
    steps.dispose();
  }
  return reports;
}

const OPTIM_CASES: [name: string, ours: OptimStep, peerCase: string][] = [
  ['SGD vs torch.optim.SGD foreach=False', 'sgd', 'optim-sgd'],
  ['SGD vs torch.optim.SGD foreach=True', 'sgd', 'optim-sgd-foreach'],
  ["LARS 'paper' vs per-tensor LARS loop (timm's form)", 'lars-paper', 'optim-lars-paper'],
  ["LARS 'study' vs the study's per-tensor ver2 loop", 'lars-study', 'optim-lars-study'],
];

/** One optimizer step over ResNet-50's parameters on the device, each side's optimizers. */
async function optimPhase(run: CaseRun): Promise<{ tensors: number; values: number; reports: CaseReport[] }> {
  const { shapes } = await run.peer.request<{ shapes: number[][] }>({ op: 'shapes' });
  const optim = new OurOptimSteps(shapes, 'cuda');
  const reports: CaseReport[] = [];
  try {
    for (const [name, ours, peerCase] of OPTIM_CASES) {
      reports.push(await runCase({ name, work: 1, unit: 'steps/s', oursStep: () => optim.step(ours), peerCase }, run));
    }
  } finally {
    optim.dispose();
  }
  return { tensors: shapes.length, values: shapes.reduce((a, s) => a + s.reduce((x, y) => x * y, 1), 0), reports };
}

/** Our LARS step time over our SGD step time (medians), where both ran. */
function ratio(lars: CaseReport | undefined, sgdSamplesS: number[]): number | null {
  return lars?.oursMedianS != null && sgdSamplesS.length ? lars.oursMedianS / median(sgdSamplesS) : null;
}

export async function runGpuBench(o: GpuBenchOptions): Promise<void> {
  checkOurDevice(o);
  setNumThreads(o.threads);
  manualSeed(0);
  const peerDevice = o.smoke ? 'cpu' : 'cuda';
  const script = join(fileURLToPath(new URL('.', import.meta.url)), 'peer.py');
  const peer = new PythonPeer(script, o.threads, { python: o.python, args: [peerDevice] });
  try {
    const info = await peerInfo(peer, o);
    const run: CaseRun = { peer, rounds: o.rounds, reps: o.reps, warmup: o.warmup };
    const tensorsBefore = memory().numTensors;
    const loadBefore = loadavg();
    console.log(`${o.smoke ? 'SMOKE RUN (tiny sizes; figures mean nothing): ' : ''}ours on 'cuda': ${native.cudaInfo().reason}; `
      + `PyTorch ${info.torch} on '${peerDevice}'${info.device ? ` (${info.device}, CUDA ${info.cuda}, cuDNN ${info.cudnn})` : ''}`);
    const resnet = await resnetPhase(run, o);
    console.log(`ResNet-50 (10 classes) on ${o.size}x${o.size} images; per case ${o.warmup} untimed warm-up step(s), then ${o.rounds} round(s) of 1 untimed + ${o.reps} timed; medians`);
    console.log(resnetTable(resnet));
    const larsOverSgdTraining = Object.fromEntries(o.batches.map((batch) => {
      const of = (step: TrainStep) => resnet.find((r) => r.name === `batch ${batch}, training step with ${TRAIN_STEPS[step]}`);
      return [batch, ratio(of('lars-study'), of('sgd')?.oursSamplesS ?? [])];
    }));
    for (const [batch, r] of Object.entries(larsOverSgdTraining)) {
      if (r !== null) console.log(`batch ${batch}: our whole LARS 'study' step / our whole SGD step ${r.toFixed(3)}x`);
    }
    const optim = await optimPhase(run);
    const loadAfter = loadavg();
    console.log(`optimizer steps over ResNet-50's ${optim.tensors} parameter tensors (${optim.values} values) on the device`);
    console.log(optimTable(optim.reports));
    // Our SGD was timed in two cases (once per torch peer): its median over all rounds.
    const sgdSamplesS = optim.reports.slice(0, 2).flatMap((r) => r.oursSamplesS);
    const larsOverSgd = { paper: ratio(optim.reports[2], sgdSamplesS), study: ratio(optim.reports[3], sgdSamplesS) };
    const times = (r: number | null) => (r === null ? 'n/a (a side did not run)' : `${r.toFixed(2)}x`);
    console.log(`our LARS / our SGD step time, medians: 'paper' ${times(larsOverSgd.paper)}, 'study' ${times(larsOverSgd.study)}`);
    const leakedTensors = memory().numTensors - tensorsBefore;
    if (leakedTensors !== 0) console.log(`warning: ${leakedTensors} of our tensors were left alive after the runs`);
    const path = writeResults(o.smoke ? 'gpu-smoke' : 'gpu', {
      smoke: o.smoke, machine: machineInfo(o.threads), ours: native.cudaInfo(), addon: addonPath(), peer: { ...info, python: o.python, device: peerDevice, gpu: info.device },
      options: o, loadAverage: { before: loadBefore, after: loadAfter }, leakedTensors,
      resnet, larsOverSgdTraining, optim: { tensors: optim.tensors, values: optim.values, larsOverSgd, results: optim.reports },
    }, o.smoke ? 'tmp' : '');
    console.log(`results: ${path}`);
  } finally {
    peer.close();
  }
}
