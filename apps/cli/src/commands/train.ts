// `largebatch train`: a new run, or `--resume DIR` to continue one.
import { existsSync } from 'node:fs';
import { join } from 'node:path';

import { type RawConfig, resolveTrainConfig } from '../config/resolve';
import { flagOf, parseValue, specOf, type TrainConfig } from '../config/schema';
import { CliError } from '../errors';
import { consoleReporter, type Reporter } from '../train/reporter';
import { defaultRunDir, readRunRecord } from '../train/run-dir';
import { type TrainResult, train } from '../train/trainer';

/** Keys that may change when a run is resumed; anything else would make it another run. */
const RESUMABLE_KEYS = ['epochs', 'threads', 'device', 'dataDir'] as const;

/** The configuration of a run being resumed: its config.json, with the few keys allowed to change. */
export function resumedConfig(dir: string, flags: RawConfig, configFile?: string): TrainConfig {
  if (configFile !== undefined) throw new CliError('--config cannot be used with --resume: the run keeps its own config.json', 2);
  const record = readRunRecord(dir);
  const changes: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(flags)) {
    if (value === undefined) continue;
    if (!(RESUMABLE_KEYS as readonly string[]).includes(key)) {
      throw new CliError(`${flagOf(key)} cannot be changed when resuming ${dir} (only ${RESUMABLE_KEYS.map(flagOf).join(', ')} can)`, 2);
    }
    changes[key] = parseValue(specOf(key)!, value, flagOf(key));
  }
  // The data the run started on: 'auto' must not switch to a CIFAR-10 that appeared since.
  return { ...record.config, dataset: record.dataset as TrainConfig['dataset'], ...changes };
}

/** Runs `train` with the command line's values; returns the run's result. */
export async function trainCommand(flags: RawConfig, options: { config?: string; resume?: string }, reporter: Reporter = consoleReporter()): Promise<TrainResult> {
  if (options.resume !== undefined) {
    return train(resumedConfig(options.resume, flags, options.config), options.resume, reporter, true);
  }
  const config = resolveTrainConfig(flags, options.config);
  const runDir = config.out ?? defaultRunDir(config);
  if (existsSync(join(runDir, 'config.json'))) {
    throw new CliError(`${runDir} already holds a run; continue it with --resume ${runDir} or choose another --out`, 2);
  }
  return train(config, runDir, reporter);
}
