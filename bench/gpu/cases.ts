/**
 * One bench/gpu case on both sides: warm-up steps (where the peak device memory is read,
 * and where a case that does not fit shows), then timed rounds, interleaved with the peer's
 * where both sides fit, one side's alone where only it does.
 */
import { median, runInterleaved } from '../lib/harness';
import type { PythonPeer } from '../lib/peer';
import { type Fit, firstLine, fits, isOutOfMemory, timeOnDevice, warmUp } from './device';

export interface CaseReport {
  name: string;
  /** Images (or steps) per timed call, to turn seconds into a rate. */
  work: number;
  unit: string;
  ours: Fit;
  peer: Fit;
  oursSamplesS: number[];
  peerSamplesS: number[];
  oursMedianS: number | null;
  peerMedianS: number | null;
  /** Our speed relative to the peer's (> 1: faster); null unless both sides ran. */
  speedup: number | null;
}

export interface CaseRun {
  peer: PythonPeer;
  rounds: number;
  reps: number;
  warmup: number;
}

/**
 * A case whose sides may not fit: `oursStep` is one call of ours (queued, not waited for);
 * `peerCase` names the peer's (bench/gpu/peer.py). `before` says a side already does not
 * fit (its inputs did not), so that it is neither warmed up nor timed.
 */
export interface GpuCase {
  name: string;
  work: number;
  unit: string;
  oursStep: () => void;
  peerCase: string;
  before?: { ours: Fit; peer: Fit };
}

export async function runCase(c: GpuCase, run: CaseRun): Promise<CaseReport> {
  let ours: Fit = c.before && !fits(c.before.ours) ? c.before.ours : warmUp(c.oursStep, run.warmup);
  let peer: Fit = c.before && !fits(c.before.peer)
    ? c.before.peer
    : await run.peer.request<Fit>({ op: 'warmup', case: c.peerCase, steps: run.warmup });
  let oursSamplesS: number[] = [];
  let peerSamplesS: number[] = [];
  const request = { op: 'time', case: c.peerCase };
  const timeOurs = (reps: number) => timeOnDevice(c.oursStep, reps);
  try {
    if (fits(ours) && fits(peer)) {
      const [result] = await runInterleaved([{ name: c.name, work: c.work, unit: c.unit, ours: timeOurs, peer: request }], run.peer, run.rounds, run.reps);
      ({ oursSamplesS, peerSamplesS } = result!);
    } else {
      for (let r = 0; r < run.rounds; r++) {
        if (fits(ours)) oursSamplesS.push(timeOurs(run.reps));
        if (fits(peer)) peerSamplesS.push((await run.peer.request<{ seconds: number }>({ ...request, reps: run.reps })).seconds);
      }
    }
  } catch (err) {
    // The warm-up fitted but a timed call did not (fragmentation, say): that side does not fit.
    if (!isOutOfMemory(err)) throw err;
    const fit = { outOfMemory: `${firstLine(err)} (in a timed call, after the warm-up fitted)` };
    if (err.message.startsWith('peer:')) [peer, peerSamplesS] = [fit, []];
    else [ours, oursSamplesS] = [fit, []];
  }
  const oursMedianS = oursSamplesS.length ? median(oursSamplesS) : null;
  const peerMedianS = peerSamplesS.length ? median(peerSamplesS) : null;
  return {
    name: c.name, work: c.work, unit: c.unit, ours, peer, oursSamplesS, peerSamplesS, oursMedianS, peerMedianS,
    speedup: oursMedianS !== null && peerMedianS !== null ? peerMedianS / oursMedianS : null,
  };
}
