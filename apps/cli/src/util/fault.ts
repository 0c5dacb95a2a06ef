// Fault injection for the crash and divergence tests: LARGEBATCH_FAULT="<kind>:<n>" makes
// the n-th occurrence of <kind> fail as a real fault would (the process killed with
// SIGKILL in the middle of a checkpoint write; NaN pixels in a training batch). Unset, it
// does nothing.

export type FaultKind = 'kill-in-checkpoint' | 'nan-input';

/** True when LARGEBATCH_FAULT asks for `kind` at occurrence `n`. */
export function faultAt(kind: FaultKind, n: number): boolean {
  const spec = process.env.LARGEBATCH_FAULT;
  if (!spec) return false;
  const [k, at] = spec.split(':');
  return k === kind && Number(at) === n;
}
