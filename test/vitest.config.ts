import { packageProject } from '../vitest.shared';

export default packageProject('repo', { include: ['**/*.test.ts'], exclude: ['**/node_modules/**'] });
