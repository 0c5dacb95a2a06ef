import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { Worker } from 'node:worker_threads';

import type { WorkerSetup } from './protocol';

/**
 * Starts the batch worker. Built, it is `batch-worker.js` beside this bundle. Run from the
 * TypeScript sources (the workspace's tests resolve packages to `src/`), Node 20 cannot load
 * `.ts` in a worker, so a one-line ES module loads it through tsx (a devDependency).
 */
export function spawnBatchWorker(setup: WorkerSetup): Worker {
  if (!import.meta.url.endsWith('.ts')) return new Worker(new URL('./batch-worker.js', import.meta.url), { workerData: setup });
  const entry = new URL('./batch-worker.ts', import.meta.url).href;
  const tsx = pathToFileURL(tsxEsmApi()).href;
  const bootstrap = `const { tsImport } = await import(${JSON.stringify(tsx)}); await tsImport(${JSON.stringify(entry)}, ${JSON.stringify(entry)});`;
  return new Worker(new URL(`data:text/javascript,${encodeURIComponent(bootstrap)}`), { workerData: setup });
}

/** tsx's ES-module API (`tsImport`), found through its package.json exports. */
function tsxEsmApi(): string {
  const manifest = createRequire(import.meta.url).resolve('tsx/package.json');
  const exports = JSON.parse(readFileSync(manifest, 'utf8')) as { exports: { './esm/api': { import: { default: string } } } };
  return join(dirname(manifest), exports.exports['./esm/api'].import.default);
}
