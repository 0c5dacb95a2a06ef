/**
 * The batch worker (a worker_threads entry): assembles and augments the batches of one epoch
 * at a time, in order, into the slot buffers it holds, and transfers each filled slot to the
 * loader, which sends it back once the batch has been copied into tensors.
 */
import { parentPort, workerData } from 'node:worker_threads';

import { assembleBatch, batchesPerEpoch } from './assemble';
import { epochOrder } from './epoch-order';
import { type FromWorker, type ToWorker, type WorkerSetup, slotBytes, slotViews } from './protocol';

const setup = workerData as WorkerSetup;
const port = parentPort!;
/** Slots held here, ready to fill. */
const free: ArrayBuffer[] = Array.from({ length: setup.slots }, () => new ArrayBuffer(slotBytes(setup.batchSize, setup.transformOn)));

/** The epoch being produced; `run` is -1 when there is none. */
let run = -1;
let epoch = 0;
let order: Int32Array = new Int32Array(0);
let nextBatch = 0;
let numBatches = 0;

function fillFreeSlots(): void {
  while (run >= 0 && nextBatch < numBatches && free.length > 0) {
    const slot = free.pop()!;
    const size = assembleBatch(setup, order, epoch, nextBatch++, slotViews(slot, setup.batchSize, setup.transformOn));
    const message: FromWorker = { type: 'batch', run, slot, size };
    port.postMessage(message, [slot]);
  }
}

port.on('message', (message: ToWorker) => {
  try {
    if (message.type === 'start') {
      run = message.run;
      epoch = message.epoch;
      order = epochOrder(setup.labels.length, setup.key, epoch, setup.shuffle);
      nextBatch = 0;
      numBatches = batchesPerEpoch(order.length, setup.batchSize, setup.dropLast);
    } else if (message.type === 'release') {
      free.push(message.slot);
    } else if (message.run === run) {
      run = -1;
    }
    fillFreeSlots();
  } catch (err) {
    const failure: FromWorker = { type: 'error', run, message: err instanceof Error ? (err.stack ?? err.message) : String(err) };
    port.postMessage(failure);
    run = -1;
  }
});
