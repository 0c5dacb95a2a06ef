// What a run prints: a progress bar per epoch on a terminal, plain lines otherwise (logs,
// CI, pipes). Either way one summary line per epoch.
import { SingleBar } from 'cli-progress';

import type { DownloadProgress } from '@largebatch/data-cifar';

/** One epoch's figures, as metrics.jsonl holds them. */
export interface EpochMetrics {
  epoch: number;
  lr: number;
  trainLoss: number;
  trainAcc: number;
  testLoss: number;
  testAcc: number;
  /** Cumulative time of the training loops so far (no testing), as the study counts it. */
  trainTimeS: number;
  imagesPerS: number;
}

export interface StepProgress {
  update(done: number, loss: number, acc: number, lr: number): void;
  stop(): void;
}

export interface Reporter {
  line(text: string): void;
  epoch(epoch: number, epochs: number, iterations: number): StepProgress;
  download(name: string): { update: (p: DownloadProgress) => void; stop: () => void };
}

const pct = (x: number) => `${(100 * x).toFixed(2)}%`;

/** The one line a finished epoch prints. */
export function formatEpoch(m: EpochMetrics, epochs: number): string {
  return `epoch ${m.epoch + 1}/${epochs}  lr ${m.lr.toPrecision(4)}  train loss ${m.trainLoss.toFixed(4)} acc ${pct(m.trainAcc)}  `
    + `test loss ${m.testLoss.toFixed(4)} acc ${pct(m.testAcc)}  time ${m.trainTimeS.toFixed(1)} s  ${m.imagesPerS.toFixed(0)} img/s`;
}

/** A bar on a TTY, nothing between epoch lines otherwise. */
export function consoleReporter(stream: NodeJS.WriteStream = process.stdout): Reporter {
  const tty = stream.isTTY === true;
  return {
    line: (text) => stream.write(`${text}\n`),
    epoch(epoch, epochs, iterations) {
      if (!tty) return { update: () => {}, stop: () => {} };
      const bar = new SingleBar({
        format: `epoch ${epoch + 1}/${epochs} [{bar}] {value}/{total}  loss {loss}  acc {acc}  lr {lr}  {eta_formatted} left`,
        stream, hideCursor: true, clearOnComplete: true,
      });
      bar.start(iterations, 0, { loss: '-', acc: '-', lr: '-' });
      return {
        update: (done, loss, acc, lr) => bar.update(done, { loss: loss.toFixed(4), acc: pct(acc), lr: lr.toPrecision(4) }),
        stop: () => bar.stop(),
      };
    },
    download(name) {
      if (!tty) {
        stream.write(`downloading ${name} ...\n`);
        return { update: () => {}, stop: () => {} };
      }
      const bar = new SingleBar({ format: `downloading ${name} [{bar}] {percentage}%  {mb} MB  {rate} MB/s`, stream, clearOnComplete: true });
      let started = false;
      return {
        update: ({ bytes, total, rate }) => {
          if (!started) bar.start(total ?? bytes, 0, { mb: '0', rate: '0' });
          started = true;
          bar.setTotal(total ?? bytes);
          bar.update(bytes, { mb: (bytes / 1e6).toFixed(1), rate: (rate / 1e6).toFixed(1) });
        },
        stop: () => {
          if (started) bar.stop();
        },
      };
    },
  };
}
