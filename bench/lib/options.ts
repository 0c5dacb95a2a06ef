/**
 * The command-line options the network benchmarks share (`--threads`, `--rounds`, `--reps`,
 * `--batch`, `--nets`, `--only`); parsing them also sets our thread count and seed.
 */
import { parseArgs } from 'node:util';

import { manualSeed, setNumThreads } from '@largebatch/tensor';

export interface NetBenchOptions {
  threads: number;
  rounds: number;
  reps: number;
  batch: number;
  nets: string[];
  /** Cases whose name contains this (all when empty): one shape timed alone while tuning it. */
  only: string;
}

export function netBenchOptions(defaultNets: string): NetBenchOptions {
  const { values } = parseArgs({
    options: {
      threads: { type: 'string', default: '2' },
      rounds: { type: 'string', default: '3' },
      reps: { type: 'string', default: '3' },
      batch: { type: 'string', default: '128' },
      nets: { type: 'string', default: defaultNets },
      only: { type: 'string', default: '' },
    },
  });
  const options = {
    threads: Number(values.threads), rounds: Number(values.rounds), reps: Number(values.reps), batch: Number(values.batch),
    nets: values.nets.split(',').filter((net) => net !== ''),
    only: values.only,
  };
  setNumThreads(options.threads);
  manualSeed(0);
  return options;
}
