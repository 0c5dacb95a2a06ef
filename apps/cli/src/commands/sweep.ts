// `largebatch sweep`: one study attempt over batch sizes and optimizers, each run resumed if
// it exists, then the study's table (Batch | Base LR | top-1 Accuracy | Time to train) for
// SGD and for LARS, as markdown and CSV, and one plot of top-1 against batch size.
import { existsSync, mkdirSync } from 'node:fs';
import { join } from 'node:path';

import { stringify } from 'csv-stringify/sync';
import { markdownTable } from 'markdown-table';

import { type RawConfig, resolveTrainConfig } from '../config/resolve';
import { OPTIMIZERS } from '../config/schema';
import { CliError, ConfigError, DivergenceError } from '../errors';
import { renderSvg, svgToPng } from '../plot/curves';
import { checkpointDir } from '../train/checkpoint';
import type { Reporter } from '../train/reporter';
import { readHistory, readMetrics } from '../train/run-dir';
import { train } from '../train/trainer';
import { resumedConfig } from './train';
import { writeFileAtomic } from '../util/atomic';

export interface SweepOptions {
  batchSizes: number[];
  optimizers: (typeof OPTIMIZERS)[number][];
  out?: string;
  config?: string;
}

export interface SweepRow {
  optimizer: string;
  batch: number;
  baseLr: number;
  /** Best test top-1 (0-1), null if the run diverged before its first epoch ended. */
  top1: number | null;
  /** Training time when the best accuracy was reached (s). */
  timeS: number | null;
  diverged: boolean;
  runDir: string;
}

/** Parses a comma-separated list with `parse` for each item. */
export function parseList<T>(flag: string, value: string, parse: (item: string) => T | undefined, expected: string): T[] {
  const items = value.split(',').map((s) => s.trim()).filter((s) => s !== '');
  const out = items.map((item) => parse(item));
  if (items.length === 0 || out.some((x) => x === undefined)) throw new ConfigError(flag, value, `a comma-separated list of ${expected}`);
  return out as T[];
}

export async function sweepCommand(flags: RawConfig, options: SweepOptions, reporter: Reporter): Promise<SweepRow[]> {
  if (flags.preset === undefined) throw new CliError('sweep needs --preset study-attempt1 … study-attempt5', 2);
  if (flags.batchSize !== undefined || flags.multiples !== undefined || flags.optimizer !== undefined || flags.out !== undefined) {
    throw new CliError('sweep sets --batch-size, --multiples, --optimizer and --out itself: use --batch-sizes, --optimizers and --out DIR', 2);
  }
  const out = options.out ?? join('runs', `sweep-${String(flags.preset)}`);
  mkdirSync(out, { recursive: true });
  const rows: SweepRow[] = [];
  for (const optimizer of options.optimizers) {
    for (const batch of options.batchSizes) {
      const runDir = join(out, `${optimizer}-b${batch}`);
      const started = existsSync(join(runDir, 'config.json')) && checkpointDir(runDir, 'last') !== null;
      // A run already started keeps its own config.json (only --epochs may extend it).
      const config = started
        ? resumedConfig(runDir, flags.epochs === undefined ? {} : { epochs: flags.epochs })
        : { ...resolveTrainConfig({ ...flags, optimizer, batchSize: batch }, options.config), out: runDir };
      let diverged = false;
      if (!started || readMetrics(runDir).length < config.epochs) {
        try {
          if (started) reporter.line(`${runDir}: resuming`);
          await train(config, runDir, reporter, started);
        } catch (e) {
          if (!(e instanceof DivergenceError)) throw e;
          reporter.line(`${runDir}: ${e.message}`);
          diverged = true;
        }
      } else {
        reporter.line(`${runDir}: complete, not run again`);
      }
      const best = readHistory(runDir).at(-1);
      rows.push({ optimizer, batch, baseLr: config.lr, top1: best?.accuracy ?? null, timeS: best?.trainTimeS ?? null, diverged, runDir });
    }
  }
  const { markdown, csv } = sweepTables(rows);
  writeFileAtomic(join(out, 'sweep.md'), markdown);
  writeFileAtomic(join(out, 'sweep.csv'), csv);
  const svg = await renderSvg(sweepPlotSpec(rows, String(flags.preset)));
  writeFileAtomic(join(out, 'sweep.svg'), svg);
  writeFileAtomic(join(out, 'sweep.png'), svgToPng(svg));
  reporter.line(markdown);
  reporter.line(`written: ${join(out, 'sweep.md')}, sweep.csv, sweep.png, sweep.svg`);
  return rows;
}

const top1Text = (r: SweepRow) => (r.top1 === null ? 'diverged' : `${(100 * r.top1).toFixed(2)}%${r.diverged ? ' (then diverged)' : ''}`);

/** The study's table, one per optimizer, and a CSV of every row. */
export function sweepTables(rows: readonly SweepRow[]): { markdown: string; csv: string } {
  const sections = [...new Set(rows.map((r) => r.optimizer))].map((optimizer) => {
    const table = markdownTable([
      ['Batch', 'Base LR', 'top-1 Accuracy', 'Time to train (s)'],
      ...rows.filter((r) => r.optimizer === optimizer).map((r) => [String(r.batch), String(Number(r.baseLr.toPrecision(6))), top1Text(r), r.timeS === null ? '-' : r.timeS.toFixed(1)]),
    ], { align: ['r', 'r', 'r', 'r'] });
    return `### ${optimizer.toUpperCase()}\n\n${table}\n`;
  });
  const csv = stringify([
    ['optimizer', 'batch', 'base_lr', 'top1', 'time_to_train_s', 'diverged', 'run'],
    ...rows.map((r) => [r.optimizer, r.batch, r.baseLr, r.top1 ?? '', r.timeS ?? '', r.diverged, r.runDir]),
  ]);
  return { markdown: sections.join('\n'), csv };
}

function sweepPlotSpec(rows: readonly SweepRow[], preset: string) {
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v5.json',
    background: 'white',
    title: `${preset}: best test top-1 by batch size`,
    width: 520, height: 300,
    data: { values: rows.filter((r) => r.top1 !== null).map((r) => ({ optimizer: r.optimizer.toUpperCase(), batch: r.batch, top1: 100 * r.top1! })) },
    mark: { type: 'line' as const, point: true },
    encoding: {
      x: { field: 'batch', type: 'quantitative' as const, scale: { type: 'log' as const, base: 2 }, title: 'batch size' },
      y: { field: 'top1', type: 'quantitative' as const, title: 'best test top-1 (%)', scale: { zero: false } },
      color: { field: 'optimizer', type: 'nominal' as const },
    },
  };
}
