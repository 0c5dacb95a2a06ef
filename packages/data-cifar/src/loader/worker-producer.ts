import type { Worker } from 'node:worker_threads';

import { CifarError } from '../errors';
import { inSharedMemory } from '../format/dataset';
import { batchesPerEpoch } from './assemble';
import type { BatchProducer } from './batch-producer';
import { type FromWorker, type HostBatch, type LoaderPlan, type ToWorker, type TransformOn, slotViews } from './protocol';
import { spawnBatchWorker } from './spawn-worker';

/**
 * Batches made ahead by a worker thread into `prefetch` slot buffers: while the caller trains
 * on one batch, the next ones are being assembled. A slot moves to this thread with its batch
 * (a transfer, not a copy) and goes back as soon as the batch has been copied into tensors.
 * The worker is kept across epochs and does not keep the process alive while no epoch is
 * being iterated.
 */
export class WorkerProducer implements BatchProducer {
  private readonly worker: Worker;
  private readonly batchSize: number;
  private readonly transformOn: TransformOn;
  private readonly numBatches: number;
  /** Runs (epoch iterations) started so far, and the one being iterated (-1: none); batches of any other go straight back. */
  private runs = 0;
  private current = -1;
  private inbox: FromWorker[] = [];
  private wake: (() => void) | undefined;
  private failure: Error | undefined;

  constructor(plan: LoaderPlan, prefetch: number) {
    this.batchSize = plan.batchSize;
    this.transformOn = plan.transformOn;
    this.numBatches = batchesPerEpoch(plan.labels.length, plan.batchSize, plan.dropLast);
    this.worker = spawnBatchWorker({ ...plan, images: inSharedMemory(plan.images), slots: prefetch });
    this.worker.unref();
    this.worker.on('message', (message: FromWorker) => {
      if (message.run === this.current) {
        this.inbox.push(message);
        this.wake?.();
      } else if (message.type === 'batch') {
        this.release(message.slot);
      }
    });
    this.worker.on('error', (err) => this.fail(err));
    this.worker.on('exit', (code) => this.fail(new CifarError(`DataLoader: the batch worker has exited (code ${code})`)));
  }

  async *batches<T>(epoch: number, take: (batch: HostBatch, size: number) => T): AsyncGenerator<T> {
    const run = ++this.runs;
    this.current = run;
    this.worker.ref();
    this.post({ type: 'start', run, epoch });
    let done = 0;
    try {
      for (; done < this.numBatches; done++) {
        const message = await this.receive();
        if (message.type === 'error') throw new CifarError(`DataLoader: the batch worker failed in epoch ${epoch}: ${message.message}`);
        let value: T;
        try {
          value = take(slotViews(message.slot, this.batchSize, this.transformOn), message.size);
        } finally {
          this.release(message.slot);
        }
        yield value;
      }
    } finally {
      this.current = -1;
      if (done < this.numBatches) this.post({ type: 'stop', run });
      for (const message of this.inbox.splice(0)) if (message.type === 'batch') this.release(message.slot);
      this.worker.unref();
    }
  }

  async close(): Promise<void> {
    await this.worker.terminate();
  }

  private release(slot: ArrayBuffer): void {
    if (this.failure === undefined) this.worker.postMessage({ type: 'release', slot } satisfies ToWorker, [slot]);
  }

  private post(message: ToWorker): void {
    if (this.failure === undefined) this.worker.postMessage(message);
  }

  private fail(err: Error): void {
    this.failure ??= err;
    this.wake?.();
  }

  private async receive(): Promise<FromWorker> {
    for (;;) {
      const message = this.inbox.shift();
      if (message !== undefined) return message;
      if (this.failure !== undefined) throw this.failure;
      await new Promise<void>((resolve) => {
        this.wake = resolve;
      });
      this.wake = undefined;
    }
  }
}
