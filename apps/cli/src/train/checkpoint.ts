// Checkpoints of a run: checkpoints/last and checkpoints/best, each a folder holding
//   model.safetensors      the model's state dict under PyTorch's names (PyTorch loads it)
//   optimizer.safetensors  the momentum buffers, as "<group>/<parameter name>"
//   state.json             the optimizer's options, the position (epochs done), the RNG, the metrics and history
// A checkpoint is written whole into "<name>.tmp", then swapped in: "<name>" → "<name>.old",
// "<name>.tmp" → "<name>", "<name>.old" deleted. A crash at any point leaves a complete
// checkpoint under "<name>" or, during the swap, under "<name>.old", which loading falls back to.
import { existsSync, mkdirSync, readFileSync, renameSync, rmSync } from 'node:fs';
import { join } from 'node:path';

import { type Module, loadSafetensors, saveSafetensors } from '@largebatch/nn';
import type { OptimizerStateDict } from '@largebatch/optim';
import { type Tensor, tensor } from '@largebatch/tensor';

import { CliError } from '../errors';
import { faultAt } from '../util/fault';
import { writeJsonAtomic } from '../util/atomic';
import type { EpochMetrics } from './reporter';

/** The study's history: each epoch whose test accuracy beat the best so far. */
export interface HistoryEntry {
  epoch: number;
  accuracy: number;
  /** Cumulative training time when that epoch ended, as the study recorded it. */
  trainTimeS: number;
}

/** What state.json holds besides the tensors. */
export interface TrainerState {
  format: 1;
  /** Epochs completed: the run resumes at this epoch. */
  epochsDone: number;
  rng: { seed: number; counter: number };
  metrics: EpochMetrics[];
  history: HistoryEntry[];
  optimizer: {
    optimizer: string;
    paramGroups: { options: Record<string, unknown>; params: { name: string; shape: number[]; hasBuffer: boolean }[] }[];
  };
}

export type CheckpointName = 'last' | 'best';

let checkpointsWritten = 0;

/** Writes checkpoint `name` of the run in `runDir`, atomically as a whole. */
export function saveCheckpoint(runDir: string, name: CheckpointName, model: Module, optimizer: OptimizerStateDict<object>, state: Omit<TrainerState, 'format' | 'optimizer'>): void {
  const root = join(runDir, 'checkpoints');
  const dir = join(root, name);
  const tmp = `${dir}.tmp`;
  rmSync(tmp, { recursive: true, force: true });
  mkdirSync(tmp, { recursive: true });
  checkpointsWritten += 1;

  saveSafetensors(join(tmp, 'model.safetensors'), model.stateDict(), { epoch: String(state.epochsDone) });
  if (faultAt('kill-in-checkpoint', checkpointsWritten)) process.kill(process.pid, 'SIGKILL');

  const buffers: Record<string, Tensor> = {};
  try {
    optimizer.paramGroups.forEach((group, g) => {
      group.params.forEach((p) => {
        if (p.momentumBuffer) buffers[`${g}/${p.name}`] = tensor(p.momentumBuffer, { shape: p.shape });
      });
    });
    saveSafetensors(join(tmp, 'optimizer.safetensors'), buffers);
  } finally {
    for (const t of Object.values(buffers)) t.dispose();
  }
  const saved: TrainerState = {
    format: 1,
    ...state,
    optimizer: {
      optimizer: optimizer.optimizer,
      paramGroups: optimizer.paramGroups.map((group) => ({
        options: group.options as Record<string, unknown>,
        params: group.params.map((p) => ({ name: p.name, shape: p.shape, hasBuffer: p.momentumBuffer !== null })),
      })),
    },
  };
  writeJsonAtomic(join(tmp, 'state.json'), saved);

  const old = `${dir}.old`;
  rmSync(old, { recursive: true, force: true });
  if (existsSync(dir)) renameSync(dir, old);
  renameSync(tmp, dir);
  rmSync(old, { recursive: true, force: true });
}

/** The folder of a checkpoint: "<name>", or "<name>.old" when a crash hit the swap; null if neither. */
export function checkpointDir(runDir: string, name: CheckpointName): string | null {
  const dir = join(runDir, 'checkpoints', name);
  if (existsSync(join(dir, 'state.json'))) return dir;
  if (existsSync(join(`${dir}.old`, 'state.json'))) return `${dir}.old`;
  return null;
}

export interface LoadedCheckpoint {
  dir: string;
  state: TrainerState;
  /** The model's tensors by state-dict name; the caller disposes them. */
  model: Record<string, Tensor>;
  /** Options typed `never`: they are whatever was saved, and the optimizer's loadStateDict checks them. */
  optimizer: OptimizerStateDict<never>;
}

/** Reads a checkpoint; a missing or unreadable one is a one-line CliError naming the file. */
export function loadCheckpoint(runDir: string, name: CheckpointName): LoadedCheckpoint {
  const dir = checkpointDir(runDir, name);
  if (dir === null) throw new CliError(`${join(runDir, 'checkpoints', name)}: no checkpoint there (expected state.json, model.safetensors, optimizer.safetensors)`);
  let state: TrainerState;
  const statePath = join(dir, 'state.json');
  try {
    state = JSON.parse(readFileSync(statePath, 'utf8')) as TrainerState;
  } catch (e) {
    throw new CliError(`${statePath}: unreadable checkpoint state: ${(e as Error).message}`);
  }
  if (state?.format !== 1 || !Number.isSafeInteger(state.epochsDone) || !Array.isArray(state.optimizer?.paramGroups)) {
    throw new CliError(`${statePath}: not a largebatch checkpoint state (format 1 with epochsDone and optimizer)`);
  }
  const model = loadSafetensors(join(dir, 'model.safetensors'));
  let buffers: Record<string, Tensor> = {};
  try {
    buffers = loadSafetensors(join(dir, 'optimizer.safetensors'));
    const optimizer: OptimizerStateDict<never> = {
      optimizer: state.optimizer.optimizer,
      paramGroups: state.optimizer.paramGroups.map((group, g) => ({
        options: group.options as never,
        params: group.params.map((p) => {
          const buffer = buffers[`${g}/${p.name}`];
          if (p.hasBuffer && buffer === undefined) throw new CliError(`${join(dir, 'optimizer.safetensors')}: no momentum buffer '${g}/${p.name}'`);
          return { name: p.name, shape: p.shape, momentumBuffer: p.hasBuffer ? (buffer!.data() as Float32Array) : null };
        }),
      })),
    };
    return { dir, state, model, optimizer };
  } catch (e) {
    for (const t of Object.values(model)) t.dispose();
    throw e;
  } finally {
    for (const t of Object.values(buffers)) t.dispose();
  }
}
