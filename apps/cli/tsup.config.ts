import { packageBuild } from '../../tsup.shared';

// The library entry and the executable (dist/bin.js, with its shebang kept by esbuild).
export default packageBuild(undefined, { entry: { index: 'src/index.ts', bin: 'src/bin.ts' } });
