import { join } from 'node:path';

import { describeReadmeExamples } from '../../../scripts/readme-examples';

await describeReadmeExamples(join(__dirname, '..'));
