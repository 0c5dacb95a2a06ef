/**
 * @largebatch/cli: the `largebatch` command line, and its parts for programs: resolve a
 * training configuration (defaults, the study's presets, a config file, flags) and train.
 *
 * @example
 * ```ts
 * import { resolveTrainConfig, train, consoleReporter } from '@largebatch/cli';
 * const config = resolveTrainConfig({ dataset: 'synthetic', syntheticSize: '512', epochs: '1', warmupEpochs: '0' });
 * const result = await train(config, 'runs/example', consoleReporter());
 * console.log(result.metrics[0]!.testAcc);
 * ```
 */
export { runCli, buildProgram } from './program';
export { resolveTrainConfig, readConfigFile, type RawConfig } from './config/resolve';
export { DEFAULTS, KEYS, flagOf, type TrainConfig } from './config/schema';
export { PRESETS, presetConfig, type PresetName } from './config/presets';
export { CliError, ConfigError, DivergenceError } from './errors';
export { train, type TrainResult } from './train/trainer';
export { lrSchedule } from './train/schedule';
export { consoleReporter, formatEpoch, type EpochMetrics, type Reporter } from './train/reporter';
export { loadCheckpoint, saveCheckpoint, type HistoryEntry, type TrainerState } from './train/checkpoint';
export { curvesSpec, renderSvg, svgToPng, writeCurves } from './plot/curves';
export { sweepTables, type SweepRow } from './commands/sweep';
