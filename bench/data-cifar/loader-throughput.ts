/**
 * DataLoader throughput with augmentation (random crop 32 with 4-px zero padding, random
 * flip, normalise) against torchvision's CIFAR10 dataset + the same transforms through torch's
 * DataLoader (num_workers 0), on the same 50,000 images: a synthetic set written with
 * writeCifarFiles in the official binary layout, which the peer copies into the python pickle
 * layout that torchvision's CIFAR10 reads (so the peer runs the real dataset class). Rounds
 * alternate who goes first. Meant to run on one core: `pnpm --filter @largebatch/bench
 * data-cifar [--rounds 3] [--peer-images 10000]` pins itself with `taskset -c 0` (the worker
 * thread and the Python peer share that core).
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parseArgs } from 'node:util';

import { DataLoader, loadCifar10, syntheticCifar, writeCifarFiles } from '@largebatch/data-cifar';

import { machineInfo, median, writeResults } from '../lib/harness';
import { PythonPeer } from '../lib/peer';

const { values } = parseArgs({
  options: { rounds: { type: 'string', default: '3' }, 'peer-images': { type: 'string', default: '10000' }, 'batch-size': { type: 'string', default: '128' } },
});
const rounds = Number(values.rounds);
const peerImages = Number(values['peer-images']);
const batchSize = Number(values['batch-size']);

/** The CPUs this process may run on, as Linux reports them. */
const cpusAllowed = /Cpus_allowed_list:\s*(\S+)/.exec(readFileSync('/proc/self/status', 'utf8'))?.[1] ?? 'unknown';

const dir = mkdtempSync(join(tmpdir(), 'bench-data-cifar-'));
const peer = new PythonPeer(join(dirname(fileURLToPath(import.meta.url)), 'torchvision_peer.py'), 1);
try {
  await writeCifarFiles(dir, syntheticCifar({ n: 50_000, seed: 0 }));
  await writeCifarFiles(dir, syntheticCifar({ n: 10_000, seed: 0, start: 50_000 }), { train: false });
  const train = await loadCifar10(dir);
  const prepared = await peer.request<{ torchvision: string }>({ op: 'prepare', bin: dir, root: dir });

  /** Seconds for one shuffled, augmented epoch of all 50,000 images. */
  async function ours(prefetch: number, epoch: number): Promise<number> {
    const loader = new DataLoader(train, { batchSize, shuffle: true, augment: true, seed: 1, prefetch });
    // The worker's start-up is paid once per loader, not per epoch: warm it with one batch.
    for await (const { images, labels } of loader.epoch(epoch + 1000)) {
      images.dispose();
      labels.dispose();
      break;
    }
    const start = performance.now();
    let seen = 0;
    for await (const { images, labels } of loader.epoch(epoch)) {
      seen += images.shape[0]!;
      images.dispose();
      labels.dispose();
    }
    const seconds = (performance.now() - start) / 1000;
    await loader.close();
    if (seen !== train.length) throw new Error(`epoch gave ${seen} images`);
    return seconds;
  }

  const samples: Record<'worker' | 'inline' | 'torchvision', number[]> = { worker: [], inline: [], torchvision: [] };
  const runPeer = async (round: number): Promise<void> => {
    const { seconds, images } = await peer.request<{ seconds: number; images: number }>({ op: 'epoch', root: dir, images: peerImages, batchSize, seed: round });
    samples.torchvision.push(images / seconds);
  };
  const runOurs = async (round: number): Promise<void> => {
    samples.worker.push(train.length / (await ours(2, round)));
    samples.inline.push(train.length / (await ours(0, round)));
  };
  for (let round = 0; round < rounds; round++) {
    if (round % 2 === 0) {
      await runOurs(round);
      await runPeer(round);
    } else {
      await runPeer(round);
      await runOurs(round);
    }
    console.log(`round ${round}: worker ${samples.worker.at(-1)!.toFixed(0)}, inline ${samples.inline.at(-1)!.toFixed(0)}, torchvision ${samples.torchvision.at(-1)!.toFixed(0)} images/s`);
  }
  const rates = { worker: median(samples.worker), inline: median(samples.inline), torchvision: median(samples.torchvision) };
  const path = writeResults('data-cifar', {
    benchmark: 'data-cifar loader throughput with augmentation',
    machine: { ...machineInfo(1), cpusAllowed, torchvision: prepared.torchvision },
    setup: {
      data: '50,000 synthetic images (syntheticCifar seed 0) written by writeCifarFiles; the peer reads a pickle-layout copy through torchvision.datasets.CIFAR10',
      transform: 'random crop 32, 4-px zero padding, random horizontal flip, normalise (study mean/std)',
      batchSize,
      ours: 'DataLoader shuffle+augment: "worker" = prefetch 2 (a worker thread, sharing the core), "inline" = prefetch 0; full epochs, batches copied into tensors and disposed',
      peer: `torch DataLoader(num_workers=0, shuffle=True), first ${peerImages} images of an epoch, torch.set_num_threads(1)`,
      rounds,
    },
    imagesPerS: rates,
    samplesImagesPerS: samples,
    speedup: { worker: rates.worker / rates.torchvision, inline: rates.inline / rates.torchvision },
  });
  console.log(`median images/s: worker ${rates.worker.toFixed(0)}, inline ${rates.inline.toFixed(0)}, torchvision ${rates.torchvision.toFixed(0)} (CPUs ${cpusAllowed}); wrote ${path}`);
} finally {
  peer.close();
  rmSync(dir, { recursive: true, force: true });
}
