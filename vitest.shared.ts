import { defineProject, type UserWorkspaceConfig } from 'vitest/config';

/** Resolve workspace packages to their TypeScript sources, so tests never run a stale dist/. */
const sourceConditions = ['largebatch-source', 'node', 'import', 'default'];

/** The vitest project of one package: sources resolved, tests under test/ or beside the code. */
export function packageProject(name: string, extra: UserWorkspaceConfig['test'] = {}): UserWorkspaceConfig {
  return defineProject({
    resolve: { conditions: sourceConditions },
    ssr: { resolve: { conditions: sourceConditions, externalConditions: sourceConditions } },
    test: { name, include: ['src/**/*.test.ts', 'test/**/*.test.ts'], testTimeout: 60_000, ...extra },
  });
}
