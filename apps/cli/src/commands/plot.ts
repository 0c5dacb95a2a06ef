// `largebatch plot RUN…`: the curves of one run or several, as PNG and SVG.
import { basename, resolve } from 'node:path';

import { CliError } from '../errors';
import { type Series, writeCurves } from '../plot/curves';
import { readMetrics, readRunRecord } from '../train/run-dir';

export async function plotCommand(runs: string[], options: { out?: string; name?: string }): Promise<{ svg: string; png: string }> {
  const series: Series[] = runs.map((dir) => {
    readRunRecord(dir);
    const metrics = readMetrics(dir);
    if (metrics.length === 0) throw new CliError(`${dir}: no finished epoch to plot (metrics.jsonl is empty)`);
    return { name: basename(resolve(dir)), metrics };
  });
  const out = options.out ?? (runs.length === 1 ? runs[0]! : '.');
  return writeCurves(out, series, options.name ?? 'curves');
}
