#!/usr/bin/env node
// The `largebatch` executable.
import { runCli } from './program';

// `pnpm --filter cli start …` runs in apps/cli; paths on its command line (--out, --data-dir,
// --run) mean the directory the user typed it in, which pnpm passes as INIT_CWD.
if (process.env.npm_lifecycle_event === 'start' && process.env.npm_package_name === '@largebatch/cli' && process.env.INIT_CWD) {
  process.chdir(process.env.INIT_CWD);
}

runCli(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (e: unknown) => {
    console.error(e);
    process.exitCode = 1;
  },
);
