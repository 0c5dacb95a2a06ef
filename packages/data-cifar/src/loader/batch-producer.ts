import { assembleBatch, batchesPerEpoch } from './assemble';
import { epochOrder } from './epoch-order';
import { type HostBatch, type LoaderPlan, slotBytes, slotViews } from './protocol';

/**
 * Makes the batches of an epoch. Each batch is handed to `take` while its buffers are valid
 * (they are reused afterwards: `take` copies what it keeps); `batches` yields what `take`
 * returns.
 */
export interface BatchProducer {
  batches<T>(epoch: number, take: (batch: HostBatch, size: number) => T): AsyncGenerator<T>;
  close(): Promise<void>;
}

/** Batches made on the calling thread when asked for (`prefetch: 0`), as PyTorch's `num_workers=0`. */
export class InlineProducer implements BatchProducer {
  private readonly buffers: HostBatch;

  constructor(private readonly plan: LoaderPlan) {
    this.buffers = slotViews(new ArrayBuffer(slotBytes(plan.batchSize, plan.transformOn)), plan.batchSize, plan.transformOn);
  }

  async *batches<T>(epoch: number, take: (batch: HostBatch, size: number) => T): AsyncGenerator<T> {
    const { plan } = this;
    const order = epochOrder(plan.labels.length, plan.key, epoch, plan.shuffle);
    const count = batchesPerEpoch(order.length, plan.batchSize, plan.dropLast);
    for (let batch = 0; batch < count; batch++) {
      const size = assembleBatch(plan, order, epoch, batch, this.buffers);
      yield take(this.buffers, size);
    }
  }

  async close(): Promise<void> {}
}
