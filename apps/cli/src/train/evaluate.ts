// Test-set evaluation: eval mode, no gradients, summed loss and correct predictions.
import { DataLoader, type CifarDataset } from '@largebatch/data-cifar';
import { type Module, crossEntropy } from '@largebatch/nn';
import { type Device, argmax, noGrad, tidy } from '@largebatch/tensor';

export interface Evaluation {
  loss: number;
  accuracy: number;
  images: number;
}

/**
 * Where a loader crops, flips and normalises: on a GPU the device kernel (a quarter of the
 * bytes to copy, nothing per pixel on the host); on the CPU the worker thread, which works
 * while the model trains. The batches are the same bit for bit either way.
 */
export function transformSide(device: Device): 'worker' | 'device' {
  return device === 'cuda' ? 'device' : 'worker';
}

/** Runs the model over the test set in batches of `batchSize`, in dataset order. */
export async function evaluate(model: Module, test: CifarDataset, batchSize: number, device: Device): Promise<Evaluation> {
  const loader = new DataLoader(test, { batchSize, device, prefetch: 1, transformOn: transformSide(device) });
  model.eval();
  let lossSum = 0;
  let correct = 0;
  try {
    for await (const { images, labels } of loader) {
      try {
        const [loss, right] = noGrad(() => tidy(() => {
          const logits = model.forward(images);
          return [crossEntropy(logits, labels, { reduction: 'sum' }).item(), argmax(logits, 1).eq(labels).sum().item()];
        }));
        lossSum += loss!;
        correct += right!;
      } finally {
        images.dispose();
        labels.dispose();
      }
    }
  } finally {
    await loader.close();
  }
  return { loss: lossSum / test.length, accuracy: correct / test.length, images: test.length };
}
