import { packageProject } from '../../vitest.shared';

// Whole training runs: minutes on a busy 2-core machine.
export default packageProject('cli', { testTimeout: 300_000, hookTimeout: 300_000 });
