// `pnpm --filter cli start …`: runs the CLI on the TypeScript sources (the workspace's
// `largebatch-source` export condition, tsx for TypeScript) in the directory the command was
// typed in (pnpm runs scripts in the package folder and passes the user's one as INIT_CWD).
// tsx is given by absolute path, so worker threads, which inherit the flags, find it from
// any directory.
import { spawn } from 'node:child_process';
import { createRequire } from 'node:module';
import { fileURLToPath, pathToFileURL } from 'node:url';

const require = createRequire(import.meta.url);
const tsx = pathToFileURL(require.resolve('tsx')).href;
const bin = fileURLToPath(new URL('../src/bin.ts', import.meta.url));

const child = spawn(process.execPath, ['--conditions=largebatch-source', '--import', tsx, bin, ...process.argv.slice(2)], {
  cwd: process.env.INIT_CWD ?? process.cwd(),
  stdio: 'inherit',
});
for (const signal of ['SIGINT', 'SIGTERM', 'SIGHUP']) process.on(signal, () => child.kill(signal));
child.on('exit', (code, signal) => {
  if (signal) process.kill(process.pid, signal);
  else process.exit(code ?? 1);
});
