// The `largebatch` command line: commander parses, the commands/ modules do the work. Every
// error a user can cause ends as one line on stderr and a non-zero exit code.
import { Command, CommanderError, Option } from 'commander';

import { CifarError } from '@largebatch/data-cifar';
import { SafetensorsError, StateDictError } from '@largebatch/nn';
import { OptimizerArgumentError, OptimizerOptionError } from '@largebatch/optim';
import { ScheduleOptionError } from '@largebatch/schedulers';
import { TensorError, getNumThreads } from '@largebatch/tensor';

import { benchCommand } from './commands/bench';
import { downloadCommand } from './commands/download';
import { evalCommand } from './commands/eval';
import { plotCommand } from './commands/plot';
import { parseList, sweepCommand } from './commands/sweep';
import { trainCommand } from './commands/train';
import type { RawConfig } from './config/resolve';
import { DEFAULTS, DEVICES, KEYS, LARS_VARIANTS, MODELS, OPTIMIZERS, flagOf, parseValue } from './config/schema';
import { CliError } from './errors';
import { consoleReporter, type Reporter } from './train/reporter';

/** Errors of our packages that a user's input causes: reported in one line, no stack. */
const USER_ERRORS = [CliError, CifarError, SafetensorsError, StateDictError, OptimizerArgumentError, OptimizerOptionError, ScheduleOptionError, TensorError];

/** Adds one option per training key (`--batch-size <value>`, `--augment` / `--no-augment`). */
function withTrainOptions(cmd: Command): Command {
  for (const spec of KEYS) {
    const flag = flagOf(spec.key);
    if (spec.kind.type === 'bool') {
      cmd.option(flag, spec.help);
      cmd.option(`--no-${flag.slice(2)}`, `not ${flag}`);
    } else {
      const values = spec.kind.type === 'enum' ? ` (${spec.kind.values.join(' | ')})` : '';
      const fallback = DEFAULTS[spec.key];
      cmd.option(`${flag} <value>`, `${spec.help}${values}${fallback === null ? '' : `; default ${String(fallback)}`}`);
    }
  }
  return cmd.option('--config <file>', 'a YAML or JSON file of config keys (camelCase, as in config.json); flags override it');
}

/** The training keys the user gave on the command line. */
function trainFlags(opts: Record<string, unknown>): RawConfig {
  const out: RawConfig = {};
  for (const spec of KEYS) if (opts[spec.key] !== undefined) out[spec.key] = opts[spec.key];
  return out;
}

/** A commander parser for an integer flag outside the training keys: `--steps`, `--threads` … */
const integer = (flag: string, min: number) => (value: string) =>
  parseValue({ key: 'epochs', kind: { type: 'int', min }, help: '' }, value, flag) as number;

/** The program; `reporter` receives everything the commands print. */
export function buildProgram(reporter: Reporter): Command {
  const program = new Command('largebatch')
    .description('Large-batch training of convolutional networks with LARS, on our own C++ and CUDA kernels.')
    .showSuggestionAfterError(true)
    .exitOverride();

  withTrainOptions(program.command('train').description('train a model (a new run, or --resume DIR)'))
    .option('--resume <dir>', 'continue the run in DIR from its last checkpoint (--epochs may extend it)')
    .action(async (opts: Record<string, unknown>) => {
      await trainCommand(trainFlags(opts), { config: opts.config as string | undefined, resume: opts.resume as string | undefined }, reporter);
    });

  program.command('eval').description("the study's val: a run's best-accuracy history, then its checkpoint's test accuracy and loss")
    .requiredOption('--run <dir>', 'the run directory')
    .addOption(new Option('--checkpoint <which>', 'which checkpoint').choices(['best', 'last']).default('best'))
    .option('--threads <n>', 'CPU threads', integer('--threads', 1))
    .addOption(new Option('--device <device>', 'cpu or cuda').choices([...DEVICES]))
    .action(async (opts: { run: string; checkpoint: 'best' | 'last'; threads?: number; device?: 'cpu' | 'cuda' }) => {
      await evalCommand(opts, reporter);
    });

  withTrainOptions(program.command('sweep').description("a study attempt over batch sizes and optimizers, and the study's table"))
    .requiredOption('--batch-sizes <list>', 'comma-separated batch sizes, e.g. 128,1024,4096,8192')
    .option('--optimizers <list>', 'comma-separated: sgd,lars', 'sgd,lars')
    .action(async (opts: Record<string, unknown>) => {
      const batchSizes = parseList('--batch-sizes', String(opts.batchSizes), (s) => (/^[1-9]\d*$/.test(s) ? Number(s) : undefined), 'positive integers');
      const optimizers = parseList('--optimizers', String(opts.optimizers), (s) => OPTIMIZERS.find((o) => o === s), OPTIMIZERS.join(' or '));
      const flags = trainFlags(opts);
      const { out } = flags;
      delete flags.out;
      await sweepCommand(flags, { batchSizes, optimizers, out: out as string | undefined, config: opts.config as string | undefined }, reporter);
    });

  program.command('plot').description('curves of one run or several (PNG and SVG)')
    .argument('<runs...>', 'run directories')
    .option('--out <dir>', 'where to write (default: the run, or . for several)')
    .option('--name <name>', 'file name without extension', 'curves')
    .action(async (runs: string[], opts: { out?: string; name: string }) => {
      const paths = await plotCommand(runs, opts);
      reporter.line(`written: ${paths.png}, ${paths.svg}`);
    });

  program.command('download').description('download and verify a CIFAR set')
    .addOption(new Option('--dataset <name>', 'which set').choices(['cifar10', 'cifar100']).default('cifar10'))
    .option('--dir <dir>', 'destination folder', 'data')
    .action(async (opts: { dataset: 'cifar10' | 'cifar100'; dir: string }) => {
      await downloadCommand(opts, reporter);
    });

  program.command('bench').description('training-step throughput on random batches')
    .addOption(new Option('--model <name>', 'network').choices([...MODELS]).default('resnet50'))
    .option('--batch-size <n>', 'images per step', integer('--batch-size', 1), 128)
    .addOption(new Option('--optimizer <name>', 'sgd or lars').choices([...OPTIMIZERS]).default('lars'))
    .addOption(new Option('--lars-variant <form>', 'LARS form').choices([...LARS_VARIANTS]).default('paper'))
    .option('--steps <n>', 'timed steps', integer('--steps', 1), 5)
    .option('--warmup-steps <n>', 'untimed steps first', integer('--warmup-steps', 0), 1)
    .option('--threads <n>', 'CPU threads', integer('--threads', 1))
    .option('--num-classes <n>', 'classifier outputs', integer('--num-classes', 1), 10)
    .addOption(new Option('--device <device>', 'cpu or cuda').choices([...DEVICES]).default('cpu'))
    .option('--json', 'end with one JSON line of the results')
    .action((opts: { model: (typeof MODELS)[number]; batchSize: number; optimizer: 'sgd' | 'lars'; larsVariant: 'paper' | 'study'; steps: number; warmupSteps: number; threads?: number; numClasses: number; device: 'cpu' | 'cuda'; json?: boolean }) => {
      const r = benchCommand({ ...opts, threads: opts.threads ?? null }, getNumThreads);
      reporter.line(`${r.model} batch ${r.batchSize} ${r.optimizer} on ${r.device}, ${r.threads} threads: ${r.imagesPerS.toFixed(1)} img/s, `
        + `step ${r.stepMs.toFixed(1)} ms (optimizer ${r.optimizerStepMs.toFixed(2)} ms), peak RSS ${r.peakRssMb.toFixed(0)} MB`);
      if (opts.json) reporter.line(JSON.stringify(r));
    });

  return program;
}

/**
 * Runs the command line `argv` (without node and the script) and returns the exit code:
 * 0, 1 for a failed run, 2 for a bad command line or config, 3 for a diverged run.
 *
 * @example
 * ```ts
 * import { runCli } from '@largebatch/cli';
 * process.exitCode = await runCli(['bench', '--model', 'resnet20', '--batch-size', '16', '--steps', '2']);
 * ```
 */
export async function runCli(argv: readonly string[], reporter: Reporter = consoleReporter(), errors: NodeJS.WritableStream = process.stderr): Promise<number> {
  const program = buildProgram(reporter);
  program.configureOutput({ writeErr: () => {}, writeOut: (s) => reporter.line(s.trimEnd()) });
  try {
    await program.parseAsync([...argv], { from: 'user' });
    return 0;
  } catch (e) {
    if (e instanceof CommanderError) {
      if (e.exitCode === 0) return 0; // --help, --version
      errors.write(`largebatch: ${e.message.replace(/^error: /, '')}\n`);
      return 2;
    }
    if (USER_ERRORS.some((type) => e instanceof type)) {
      errors.write(`largebatch: ${(e as Error).message.split('\n')[0]}\n`);
      return e instanceof CliError ? e.exitCode : 1;
    }
    throw e;
  }
}
