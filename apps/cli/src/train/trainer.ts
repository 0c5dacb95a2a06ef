// The training run: epochs of (train loop, test evaluation, checkpoint, metrics, plots),
// from scratch or resumed from the run's last checkpoint. A resumed run takes exactly the
// steps the uninterrupted one would have: the loader's order and augmentation are pure
// functions of (seed, epoch), and the checkpoint restores weights, batch-norm statistics,
// momentum buffers, the RNG and the position in the schedule.
import { DataLoader } from '@largebatch/data-cifar';
import { type Module, crossEntropy } from '@largebatch/nn';
import { NonFiniteGradientError, type LARS, type SGD } from '@largebatch/optim';
import {
  type Device, argmax, cuda, fill_, getRngState, manualSeed, setNumThreads, setRngState, tidy,
} from '@largebatch/tensor';

import type { TrainConfig } from '../config/schema';
import { loadDatasets, type Datasets } from '../data/datasets';
import { CliError, DivergenceError } from '../errors';
import { writeCurves } from '../plot/curves';
import { faultAt } from '../util/fault';
import { type HistoryEntry, loadCheckpoint, saveCheckpoint } from './checkpoint';
import { evaluate, transformSide } from './evaluate';
import { buildModel } from './model';
import { buildOptimizer } from './optimizer';
import { type EpochMetrics, type Reporter, formatEpoch } from './reporter';
import { startRunDir, updateRunConfig, writeHistory, writeMetrics } from './run-dir';
import { lrSchedule } from './schedule';

export interface TrainResult {
  runDir: string;
  metrics: EpochMetrics[];
  history: HistoryEntry[];
  dataset: Datasets['name'];
}

/** Checks the device before anything is built: a missing GPU is a one-line error. */
export function useDevice(device: Device, threads: number | null): void {
  if (threads !== null) setNumThreads(threads);
  if (device === 'cuda' && !cuda.isAvailable()) throw new CliError(`--device cuda: CUDA is not available here: ${cuda.reason()}`, 2);
}

/**
 * Trains a model as `config` says, writing the run directory `runDir`. With `resume`, the
 * run continues from `runDir`'s last checkpoint up to `config.epochs`. Throws
 * DivergenceError at a NaN or Inf loss or gradient (the last checkpoint stays as it was).
 *
 * @example
 * ```ts
 * import { consoleReporter, resolveTrainConfig, train } from '@largebatch/cli';
 * const config = resolveTrainConfig({ dataset: 'synthetic', syntheticSize: '256', epochs: '1', warmupEpochs: '0' });
 * const { metrics } = await train(config, 'runs/tiny', consoleReporter());
 * ```
 */
export async function train(config: TrainConfig, runDir: string, reporter: Reporter, resume = false): Promise<TrainResult> {
  useDevice(config.device, config.threads);
  const data = await loadDatasets(config, reporter);
  const numClasses = config.numClasses ?? data.train.classes.length;
  if (numClasses < data.train.classes.length) {
    throw new CliError(`--num-classes must be at least the dataset's ${data.train.classes.length} classes, got ${numClasses}`, 2);
  }
  const trainLoader = new DataLoader(data.train, {
    batchSize: config.batchSize, shuffle: true, augment: config.augment, seed: config.seed, device: config.device,
    transformOn: transformSide(config.device),
  });
  const lrAt = lrSchedule(config, trainLoader.length);

  manualSeed(config.seed);
  const model = buildModel(config.model, numClasses, config.init).to(config.device);
  const optimizer = buildOptimizer(config, model.namedParameters());
  let metrics: EpochMetrics[] = [];
  let history: HistoryEntry[] = [];
  try {
    if (resume) {
      const checkpoint = loadCheckpoint(runDir, 'last');
      try {
        model.loadStateDict(checkpoint.model);
      } finally {
        for (const t of Object.values(checkpoint.model)) t.dispose();
      }
      optimizer.loadStateDict(checkpoint.optimizer);
      setRngState(checkpoint.state.rng);
      ({ metrics, history } = checkpoint.state);
      updateRunConfig(runDir, config);
      reporter.line(`resuming ${runDir} after epoch ${checkpoint.state.epochsDone} of ${config.epochs}`);
    } else {
      startRunDir(runDir, config, data.name, numClasses);
      reporter.line(`training ${config.model} (${numClasses} classes) on ${data.name} (${data.train.length} train / ${data.test.length} test images), `
        + `${config.optimizer}${config.optimizer === 'lars' ? ` '${config.larsVariant}'` : ''}, batch ${config.batchSize}, ${config.epochs} epoch${config.epochs === 1 ? '' : 's'}, ${runDir}`);
    }
    // Rewritten from the checkpoint's copy: a crash after the checkpoint but before these
    // files were replaced leaves them one epoch behind (or ahead); the checkpoint wins.
    writeMetrics(runDir, metrics);
    writeHistory(runDir, history);

    for (let epoch = metrics.length; epoch < config.epochs; epoch++) {
      const trained = await trainEpoch(model, optimizer, trainLoader, epoch, lrAt, config, reporter);
      const test = await evaluate(model, data.test, config.testBatchSize, config.device);
      const previous = metrics.at(-1)?.trainTimeS ?? 0;
      const m: EpochMetrics = {
        epoch, lr: trained.lr, trainLoss: trained.loss, trainAcc: trained.accuracy, testLoss: test.loss, testAcc: test.accuracy,
        trainTimeS: previous + trained.seconds, imagesPerS: data.train.length / trained.seconds,
      };
      metrics = [...metrics, m];
      const best = history.at(-1)?.accuracy ?? -1;
      if (m.testAcc > best) history = [...history, { epoch, accuracy: m.testAcc, trainTimeS: m.trainTimeS }];
      const state = { epochsDone: epoch + 1, rng: getRngState(), metrics, history };
      const optimizerState = optimizer.stateDict();
      saveCheckpoint(runDir, 'last', model, optimizerState, state);
      if (m.testAcc > best) saveCheckpoint(runDir, 'best', model, optimizerState, state);
      writeMetrics(runDir, metrics);
      writeHistory(runDir, history);
      await writeCurves(runDir, [{ name: runDir, metrics }]);
      reporter.line(formatEpoch(m, config.epochs));
    }
    return { runDir, metrics, history, dataset: data.name };
  } finally {
    await trainLoader.close();
    optimizer.dispose();
    model.dispose();
  }
}

interface EpochResult {
  loss: number;
  accuracy: number;
  /** The rate of the epoch's last iteration. */
  lr: number;
  seconds: number;
}

let trainingBatches = 0;

/**
 * Runs an optimizer call at batch `batch`, turning a NaN/Inf gradient into a DivergenceError
 * at the batch that had it (on CUDA the one before: its report comes a call late).
 */
export function reportDivergence(epoch: number, batch: number, call: () => void): void {
  try {
    call();
  } catch (e) {
    if (!(e instanceof NonFiniteGradientError)) throw e;
    const at = e.fromPreviousStep ? batch - 1 : batch;
    throw new DivergenceError(epoch, at, `a gradient is not finite (${e.tensorName}); the last good checkpoint is kept`);
  }
}

/** One epoch of training; throws DivergenceError at the first NaN or Inf loss or gradient. */
async function trainEpoch(
  model: Module, optimizer: SGD | LARS, loader: DataLoader, epoch: number, lrAt: (i: number) => number, config: TrainConfig, reporter: Reporter,
): Promise<EpochResult> {
  model.train();
  const progress = reporter.epoch(epoch, config.epochs, loader.length);
  let lossSum = 0;
  let correct = 0;
  let seen = 0;
  let lr = 0;
  let i = 0;
  const start = performance.now();
  try {
    for await (const { images, labels } of loader.epoch(epoch)) {
      try {
        const iteration = epoch * loader.length + i;
        lr = lrAt(iteration);
        for (const group of optimizer.paramGroups) group.lr = lr;
        trainingBatches += 1;
        if (faultAt('nan-input', trainingBatches)) fill_(images, Number.NaN);
        const [loss, right] = tidy(() => {
          const logits = model.forward(images);
          const lossT = crossEntropy(logits, labels);
          lossT.backward();
          return [lossT.item(), argmax(logits, 1).eq(labels).sum().item()];
        });
        if (!Number.isFinite(loss)) {
          optimizer.zeroGrad();
          throw new DivergenceError(epoch, i, `the loss is ${loss}; the last good checkpoint is kept`);
        }
        reportDivergence(epoch, i, () => optimizer.step());
        optimizer.zeroGrad();
        const n = labels.shape[0]!;
        lossSum += loss! * n;
        correct += right!;
        seen += n;
        i += 1;
        progress.update(i, lossSum / seen, correct / seen, lr);
      } finally {
        images.dispose();
        labels.dispose();
      }
    }
    // On CUDA the epoch's last step is checked only now (steps do not wait for the device).
    reportDivergence(epoch, i, () => optimizer.synchronize());
  } finally {
    progress.stop();
  }
  return { loss: lossSum / seen, accuracy: correct / seen, lr, seconds: (performance.now() - start) / 1000 };
}
