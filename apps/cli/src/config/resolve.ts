// Resolves a run's configuration: defaults, then the preset (at the batch multiple), then
// the config file's keys, then the flags. Every value is checked by the schema's parsers.
import { readFileSync } from 'node:fs';
import { extname } from 'node:path';
import { parse as parseYaml } from 'yaml';

import { CliError, ConfigError } from '../errors';
import { presetConfig, type PresetName } from './presets';
import { DEFAULTS, flagOf, KEYS, parseValue, specOf, type TrainConfig } from './schema';

/** Raw values by config key, as a file or the command line gave them. */
export type RawConfig = Record<string, unknown>;

/** Reads a YAML or JSON config file (by extension; YAML is a superset of JSON anyway). */
export function readConfigFile(path: string): RawConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new CliError(`--config: cannot read ${path}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`, 2);
  }
  let value: unknown;
  try {
    value = extname(path) === '.json' ? JSON.parse(text) : parseYaml(text);
  } catch (e) {
    throw new CliError(`--config: ${path} is not valid ${extname(path) === '.json' ? 'JSON' : 'YAML'}: ${(e as Error).message.split('\n')[0]}`, 2);
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new CliError(`--config: ${path} must hold a mapping of config keys, got ${Array.isArray(value) ? 'a list' : typeof value}`, 2);
  }
  return value as RawConfig;
}

/** Checks raw values against the schema; `source` says where they came from, for errors. */
function checked(raw: RawConfig, source: 'file' | 'flag', file?: string): Partial<TrainConfig> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(raw)) {
    if (value === undefined) continue;
    const spec = specOf(key);
    if (!spec) {
      const known = KEYS.map((s) => s.key).join(', ');
      throw new CliError(`${file ?? 'config'}: unknown key '${key}' (known keys: ${known})`, 2);
    }
    out[key] = parseValue(spec, value, source === 'flag' ? flagOf(key) : `${file}: ${key}`);
  }
  return out as Partial<TrainConfig>;
}

/**
 * The resolved configuration of a run. `flags` are the command line's values (strings or
 * booleans) by config key; `configFile` the path given with --config, if any. Layers:
 * defaults < the preset (at batch 128·k) < the config file < the flags. Throws ConfigError
 * (naming the flag or key, the value and what was expected) or CliError.
 *
 * @example
 * ```ts
 * import { resolveTrainConfig } from '@largebatch/cli';
 * const c = resolveTrainConfig({ preset: 'study-attempt4', multiples: '4' });
 * c.batchSize; // 1024
 * c.lr; // 0.16 = 0.02·8
 * ```
 */
export function resolveTrainConfig(flags: RawConfig, configFile?: string): TrainConfig {
  const fromFile = configFile === undefined ? {} : checked(readConfigFile(configFile), 'file', configFile);
  const fromFlags = checked(flags, 'flag');
  const given = { ...fromFile, ...fromFlags };

  // The batch multiple k: from --multiples, else from the batch size under a preset.
  let k = 1;
  if (given.multiples != null) {
    k = 2 ** (given.multiples - 1);
    if (given.batchSize !== undefined && given.batchSize !== 128 * k) {
      throw new ConfigError(flagOf('batchSize'), given.batchSize, `${128 * k} (= 128·2^(${given.multiples}−1), as --multiples ${given.multiples} sets) or left out`);
    }
  } else if (given.preset && given.batchSize !== undefined) {
    k = given.batchSize / 128;
  }
  const preset = given.preset ? presetConfig(given.preset as PresetName, k) : {};
  const config: TrainConfig = { ...DEFAULTS, ...preset, ...given };
  if (given.multiples != null) config.batchSize = 128 * k;
  if (config.weightDecay === null) config.weightDecay = config.optimizer === 'sgd' ? 5e-4 : 5e-3;
  if (config.decayEpochs === null) config.decayEpochs = config.epochs;
  return crossChecked(config);
}

/** Checks that need several keys at once. */
function crossChecked(c: TrainConfig): TrainConfig {
  if (c.optimizer === 'lars' && c.larsVariant === 'study' && (c.nesterov || c.larsExclude1d)) {
    throw new ConfigError(c.nesterov ? flagOf('nesterov') : flagOf('larsExclude1d'), true, "false with --lars-variant study (the study's LARS has neither)");
  }
  if (c.nesterov && c.momentum === 0) throw new ConfigError(flagOf('nesterov'), true, 'false when --momentum is 0');
  return c;
}
