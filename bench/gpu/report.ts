/** The tables bench/gpu prints (markdown, as the other benches'). */
import type { CaseReport } from './cases';
import { type Fit, fits } from './device';

const NO_FIT = 'does not fit (out of memory)';

function mib(fit: Fit): string {
  if (!fits(fit)) return '—';
  return fit.peakBytes === null ? 'n/a' : `${(fit.peakBytes / 2 ** 20).toFixed(1)} MiB`;
}

function rate(r: CaseReport, seconds: number | null, fit: Fit): string {
  if (!fits(fit)) return NO_FIT;
  if (seconds === null) return 'not run';
  const perS = r.work / seconds;
  return perS >= 100 ? perS.toFixed(0) : perS.toPrecision(3);
}

function ms(seconds: number | null, fit: Fit): string {
  if (!fits(fit)) return NO_FIT;
  return seconds === null ? 'not run' : `${(1e3 * seconds).toFixed(3)} ms`;
}

const speedup = (r: CaseReport) => (r.speedup === null ? '—' : `${r.speedup.toFixed(2)}x`);

/** Images per second of each side and each side's peak device memory over the warm-up steps. */
export function resnetTable(reports: readonly CaseReport[]): string {
  const rows = reports.map((r) =>
    `| ${r.name} | ${rate(r, r.oursMedianS, r.ours)} | ${rate(r, r.peerMedianS, r.peer)} | ${speedup(r)} | ${mib(r.ours)} / ${mib(r.peer)} |`,
  );
  return ['| case | largebatch img/s | PyTorch img/s | ours/PyTorch | peak device memory, ours / PyTorch |', '|---|---|---|---|---|', ...rows].join('\n');
}

/** Step times of each side. */
export function optimTable(reports: readonly CaseReport[]): string {
  const rows = reports.map((r) =>
    `| ${r.name} | ${ms(r.oursMedianS, r.ours)} | ${ms(r.peerMedianS, r.peer)} | ${speedup(r)} |`,
  );
  return ['| step | largebatch | PyTorch | ours/PyTorch (speed) |', '|---|---|---|---|', ...rows].join('\n');
}
