import { packageBuild } from '../../tsup.shared';

// The library entry and the executable (dist/bin.js, its shebang kept by esbuild). `shims`
// gives the CommonJS build an import.meta.url (the run directory records package versions).
export default packageBuild(undefined, { entry: { index: 'src/index.ts', bin: 'src/bin.ts' }, shims: true });
