import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

import { type DType, type Tensor, tensor } from '@largebatch/tensor';

/** A tensor as the fixture scripts write it. */
export interface Entry {
  shape: number[];
  values: number[];
}

export function readFixture<T>(name: string): T {
  return JSON.parse(readFileSync(join(dirname(fileURLToPath(import.meta.url)), 'fixtures', name), 'utf8')) as T;
}

export function fromEntry(e: Entry, dtype: DType = 'float64'): Tensor {
  return tensor(e.values, { shape: e.shape, dtype });
}
