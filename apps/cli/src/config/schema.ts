// The training configuration: one table of keys, each a config-file key (camelCase) and a
// flag (kebab-case), with its type, default and help. Flags, config files and presets are
// all checked by the same parsers, so a bad value gets the same one-line error from each.
import { ConfigError } from '../errors';

export const MODELS = ['resnet20', 'resnet56', 'cifar-resnet18', 'resnet18', 'resnet34', 'resnet50'] as const;
export const DATASETS = ['auto', 'cifar10', 'cifar100', 'synthetic'] as const;
export const OPTIMIZERS = ['sgd', 'lars'] as const;
export const LARS_VARIANTS = ['paper', 'study'] as const;
export const SCHEDULES = ['study', 'poly', 'cosine', 'constant'] as const;
export const INITS = ['default', 'he'] as const;
export const DEVICES = ['cpu', 'cuda'] as const;

/** Everything a training run is made of; `config.json` of a run holds it resolved. */
export interface TrainConfig {
  /** The study attempt whose settings were taken, if any ('study-attempt1' … 'study-attempt5'). */
  preset: string | null;
  dataset: (typeof DATASETS)[number];
  dataDir: string;
  /** Training images of the synthetic set (its test set is a fifth of that). */
  syntheticSize: number;
  model: (typeof MODELS)[number];
  /** Outputs of the classifier; null: the dataset's class count. */
  numClasses: number | null;
  batchSize: number;
  /** The study's k = 2^(multiples − 1): batch 128·k. */
  multiples: number | null;
  optimizer: (typeof OPTIMIZERS)[number];
  larsVariant: (typeof LARS_VARIANTS)[number];
  /** LARS 'paper': take 1-D tensors (biases, batch-norm) out of adaptation and weight decay. */
  larsExclude1d: boolean;
  lr: number;
  momentum: number;
  /** null: 5e-4 for SGD, 5e-3 for LARS (the study's values). */
  weightDecay: number | null;
  trustCoef: number;
  nesterov: boolean;
  schedule: (typeof SCHEDULES)[number];
  warmupEpochs: number;
  warmupMultiplier: number;
  /** Epochs of the polynomial decay; null: the run's epochs. */
  decayEpochs: number | null;
  endLr: number;
  epochs: number;
  init: (typeof INITS)[number];
  seed: number;
  device: (typeof DEVICES)[number];
  /** CPU threads of the kernels; null: the addon's default (LARGEBATCH_NUM_THREADS or the core count). */
  threads: number | null;
  augment: boolean;
  testBatchSize: number;
  limitTrain: number | null;
  limitTest: number | null;
  /** The run directory; null: runs/<time>-<name>. */
  out: string | null;
}

type Kind =
  | { type: 'int'; min: number; nullable?: boolean }
  | { type: 'number'; min: number; exclusiveMin?: boolean; nullable?: boolean }
  | { type: 'enum'; values: readonly string[] }
  | { type: 'string'; nullable?: boolean }
  | { type: 'bool' };

export interface KeySpec {
  key: keyof TrainConfig;
  kind: Kind;
  help: string;
}

const int = (min: number, nullable = false): Kind => ({ type: 'int', min, nullable });
const num = (min: number, exclusiveMin = false, nullable = false): Kind => ({ type: 'number', min, exclusiveMin, nullable });
const oneOf = (values: readonly string[]): Kind => ({ type: 'enum', values });

export const KEYS: readonly KeySpec[] = [
  { key: 'preset', kind: { type: 'enum', values: ['study-attempt1', 'study-attempt2', 'study-attempt3', 'study-attempt4', 'study-attempt5'] }, help: "one of the study's five attempts (model, init, lr and its scaling, warm-up, end lr, epochs, optimizer settings)" },
  { key: 'dataset', kind: oneOf(DATASETS), help: "cifar10, cifar100, synthetic, or auto: CIFAR-10 if present or downloadable, else the synthetic set" },
  { key: 'dataDir', kind: { type: 'string' }, help: 'folder of the datasets' },
  { key: 'syntheticSize', kind: int(1), help: 'training images of the synthetic set (its test set is a fifth of that)' },
  { key: 'model', kind: oneOf(MODELS), help: 'network' },
  { key: 'numClasses', kind: int(1, true), help: "classifier outputs (default: the dataset's classes; the presets: 1000, as the study)" },
  { key: 'batchSize', kind: int(1), help: 'images per step' },
  { key: 'multiples', kind: int(1, true), help: 'the study\'s batch multiple: batch 128·2^(k-1), and the preset\'s lr scaling' },
  { key: 'optimizer', kind: oneOf(OPTIMIZERS), help: 'sgd or lars' },
  { key: 'larsVariant', kind: oneOf(LARS_VARIANTS), help: "LARS form: 'paper' (Algorithm 1) or 'study' (the study's ver2 as it ran)" },
  { key: 'larsExclude1d', kind: { type: 'bool' }, help: "LARS 'paper': no adaptation or weight decay for 1-D tensors (biases, batch norm)" },
  { key: 'lr', kind: num(0), help: 'base learning rate (the presets scale it with k)' },
  { key: 'momentum', kind: num(0), help: 'momentum' },
  { key: 'weightDecay', kind: num(0, false, true), help: 'weight decay (default 5e-4 for SGD, 5e-3 for LARS)' },
  { key: 'trustCoef', kind: num(0, true), help: 'LARS trust coefficient' },
  { key: 'nesterov', kind: { type: 'bool' }, help: 'Nesterov momentum (SGD, LARS paper)' },
  { key: 'schedule', kind: oneOf(SCHEDULES), help: "lr schedule: 'study' (the study's exact per-epoch warm-up then per-iteration poly decay), 'poly' (per-iteration warm-up then poly decay, power 2), 'cosine', 'constant'" },
  { key: 'warmupEpochs', kind: int(0), help: 'warm-up epochs' },
  { key: 'warmupMultiplier', kind: num(1), help: 'warm-up multiplier: the lr rises from base to base·multiplier' },
  { key: 'decayEpochs', kind: int(1, true), help: 'epochs of the decay (default: the run\'s epochs)' },
  { key: 'endLr', kind: num(0), help: 'end learning rate of the decay' },
  { key: 'epochs', kind: int(1), help: 'training epochs' },
  { key: 'init', kind: oneOf(INITS), help: "weight init: 'default' (torchvision's) or 'he' (kaiming-uniform on every conv and linear weight, the study's attempts 3-5)" },
  { key: 'seed', kind: int(0), help: 'seed of the initialisation, shuffling and augmentation' },
  { key: 'device', kind: oneOf(DEVICES), help: 'cpu or cuda' },
  { key: 'threads', kind: int(1, true), help: 'CPU threads (default: LARGEBATCH_NUM_THREADS or the core count)' },
  { key: 'augment', kind: { type: 'bool' }, help: 'random crop (4 px padding) and horizontal flip of training images' },
  { key: 'testBatchSize', kind: int(1), help: 'images per test batch' },
  { key: 'limitTrain', kind: int(1, true), help: 'use only the first N training images' },
  { key: 'limitTest', kind: int(1, true), help: 'use only the first N test images' },
  { key: 'out', kind: { type: 'string', nullable: true }, help: 'run directory (default runs/<time>-<name>)' },
];

/** The values of a run with no preset: the study's attempt-4 settings on ResNet-20 with the library's LARS. */
export const DEFAULTS: TrainConfig = {
  preset: null,
  dataset: 'auto',
  dataDir: 'data',
  syntheticSize: 10_000,
  model: 'resnet20',
  numClasses: null,
  batchSize: 128,
  multiples: null,
  optimizer: 'lars',
  larsVariant: 'paper',
  larsExclude1d: false,
  lr: 0.02,
  momentum: 0.9,
  weightDecay: null,
  trustCoef: 0.1,
  nesterov: false,
  schedule: 'study',
  warmupEpochs: 5,
  warmupMultiplier: 5,
  decayEpochs: null,
  endLr: 1e-5,
  epochs: 200,
  init: 'he',
  seed: 0,
  device: 'cpu',
  threads: null,
  augment: true,
  testBatchSize: 100,
  limitTrain: null,
  limitTest: null,
  out: null,
};

/** `batchSize` → `--batch-size`. */
export function flagOf(key: string): string {
  return `--${key.replace(/[A-Z0-9]+/g, (m) => `-${m.toLowerCase()}`)}`;
}

const SPEC_BY_KEY = new Map(KEYS.map((s) => [s.key as string, s]));

export function specOf(key: string): KeySpec | undefined {
  return SPEC_BY_KEY.get(key);
}

/**
 * Checks one value (a string from a flag, or a JSON/YAML value from a config file) against
 * its key's kind and returns it typed. `where` names the key as the user wrote it.
 */
export function parseValue(spec: KeySpec, raw: unknown, where: string): unknown {
  const { kind } = spec;
  if (raw === null || raw === 'null') {
    if ('nullable' in kind && kind.nullable) return null;
    throw new ConfigError(where, raw, expectedOf(kind));
  }
  switch (kind.type) {
    case 'int':
    case 'number': {
      const n = typeof raw === 'string' && raw.trim() !== '' ? Number(raw) : raw;
      const ok = typeof n === 'number' && Number.isFinite(n) && (kind.type === 'number' || Number.isSafeInteger(n))
        && (kind.type === 'number' && kind.exclusiveMin ? n > kind.min : n >= kind.min);
      if (!ok) throw new ConfigError(where, raw, expectedOf(kind));
      return n;
    }
    case 'enum':
      if (typeof raw !== 'string' || !kind.values.includes(raw)) throw new ConfigError(where, raw, expectedOf(kind));
      return raw;
    case 'string':
      if (typeof raw !== 'string' || raw === '') throw new ConfigError(where, raw, expectedOf(kind));
      return raw;
    case 'bool':
      if (raw === true || raw === 'true') return true;
      if (raw === false || raw === 'false') return false;
      throw new ConfigError(where, raw, expectedOf(kind));
  }
}

function expectedOf(kind: Kind): string {
  const orNull = 'nullable' in kind && kind.nullable ? ' (or null)' : '';
  switch (kind.type) {
    case 'int':
      return `an integer >= ${kind.min}${orNull}`;
    case 'number':
      return `a number ${kind.exclusiveMin ? '>' : '>='} ${kind.min}${orNull}`;
    case 'enum':
      return `one of ${kind.values.join(', ')}`;
    case 'string':
      return `a non-empty string${orNull}`;
    case 'bool':
      return 'true or false';
  }
}
