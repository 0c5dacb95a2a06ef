import { packageBuild } from '../../tsup.shared';

// The batch worker is its own entry: the loader starts it as dist/batch-worker.js. `shims`
// gives the CommonJS build an import.meta.url to find it by.
export default packageBuild(undefined, {
  entry: { index: 'src/index.ts', 'batch-worker': 'src/loader/batch-worker.ts' },
  shims: true,
});
