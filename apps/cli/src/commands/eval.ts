// `largebatch eval --run DIR`: the study's `val`: the best-accuracy history of the run,
// then the checkpoint's test accuracy and loss, measured again.
import { markdownTable } from 'markdown-table';

import type { CheckpointName } from '../train/checkpoint';
import { loadCheckpoint } from '../train/checkpoint';
import { loadDatasets } from '../data/datasets';
import { evaluate, type Evaluation } from '../train/evaluate';
import { buildModel } from '../train/model';
import type { Reporter } from '../train/reporter';
import { readHistory, readRunRecord } from '../train/run-dir';
import { useDevice } from '../train/trainer';

export interface EvalOptions {
  run: string;
  checkpoint: CheckpointName;
  threads?: number;
  device?: 'cpu' | 'cuda';
}

/** The history table: epoch | accuracy | time, as the study's val printed it. */
export function historyTable(history: ReturnType<typeof readHistory>): string {
  return markdownTable([
    ['epoch', 'accuracy', 'time (s)'],
    ...history.map((h) => [String(h.epoch + 1), `${(100 * h.accuracy).toFixed(2)}%`, h.trainTimeS.toFixed(1)]),
  ], { align: ['r', 'r', 'r'] });
}

export async function evalCommand(options: EvalOptions, reporter: Reporter): Promise<Evaluation> {
  const record = readRunRecord(options.run);
  const config = { ...record.config, ...(options.device ? { device: options.device } : {}) };
  useDevice(config.device, options.threads ?? config.threads);
  reporter.line(historyTable(readHistory(options.run)));
  const checkpoint = loadCheckpoint(options.run, options.checkpoint);
  const model = buildModel(config.model, record.numClasses, config.init);
  try {
    try {
      model.loadStateDict(checkpoint.model);
    } finally {
      for (const t of Object.values(checkpoint.model)) t.dispose();
    }
    model.to(config.device);
    const dataset = record.dataset as typeof config.dataset;
    const { test } = await loadDatasets({ ...config, dataset }, reporter);
    const result = await evaluate(model, test, config.testBatchSize, config.device);
    reporter.line(`checkpoint ${options.checkpoint} (after epoch ${checkpoint.state.epochsDone}): test accuracy ${(100 * result.accuracy).toFixed(2)}%, `
      + `loss ${result.loss.toFixed(4)} on ${result.images} images`);
    return result;
  } finally {
    model.dispose();
  }
}
