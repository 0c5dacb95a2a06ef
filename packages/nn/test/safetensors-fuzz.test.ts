import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { memory } from '@largebatch/tensor';
import { SafetensorsError, loadSafetensors } from '../src/index';

const dir = mkdtempSync(join(tmpdir(), 'nn-safetensors-fuzz-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** mulberry32: a small seeded generator, so a failure names a reproducible iteration. */
function generator(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const fixtures = join(__dirname, 'fixtures', 'safetensors');
const seeds = ['ours.safetensors', 'torch.safetensors'].map((f) => readFileSync(join(fixtures, f)));

function withLength(header: Buffer, rest: Buffer): Buffer {
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(BigInt(header.length));
  return Buffer.concat([prefix, header, rest]);
}

/** One mutation of a valid file: bit flips, truncation, length-field edits, header text edits. */
function mutate(file: Buffer, random: () => number): Buffer {
  const int = (n: number): number => Math.floor(random() * n);
  const out = Buffer.from(file);
  const headerEnd = 8 + Number(file.readBigUInt64LE(0));
  const header = file.subarray(8, headerEnd).toString('latin1');
  const rest = file.subarray(headerEnd);
  switch (int(6)) {
    case 0: { // bit flips, mostly in the length field and header where they matter
      for (let k = 1 + int(4); k > 0; k--) {
        const at = random() < 0.8 ? int(headerEnd) : int(out.length);
        out[at]! ^= 1 << int(8);
      }
      return out;
    }
    case 1:
      return out.subarray(0, int(out.length));
    case 2: { // the header length field: near the truth, or anything
      const n = random() < 0.5 ? BigInt(Math.max(0, headerEnd - 8 + int(33) - 16)) : BigInt(int(2 ** 32)) * BigInt(int(2 ** 32));
      out.writeBigUInt64LE(n, 0);
      return out;
    }
    case 3: { // a number of the header (offset, shape, length) replaced, the length field kept consistent
      const numbers = [...header.matchAll(/\d+/g)];
      if (numbers.length === 0) return out;
      const m = numbers[int(numbers.length)]!;
      const value = [0, 1, 2 ** 31, 2 ** 53, -1, Number(m[0]) + int(9) - 4][int(6)]!;
      return withLength(Buffer.from(header.slice(0, m.index) + String(value) + header.slice(m.index! + m[0].length), 'latin1'), rest);
    }
    case 4: { // a dtype replaced by another, valid or not
      const dtypes = [...header.matchAll(/"(F64|F32|F16|BF16|I64|I32|U8|BOOL)"/g)];
      if (dtypes.length === 0) return out;
      const m = dtypes[int(dtypes.length)]!;
      const other = ['F64', 'F32', 'F16', 'BF16', 'I64', 'I32', 'U8', 'BOOL', 'I8', 'F8_E4M3', ''][int(11)]!;
      return withLength(Buffer.from(header.slice(0, m.index) + `"${other}"` + header.slice(m.index! + m[0].length), 'latin1'), rest);
    }
    default: { // a header character deleted, duplicated or replaced by JSON punctuation
      const at = int(header.length);
      const edit = ['', header[at]! + header[at]!, '{', '}', '"', ',', ':', '[', ']'][int(9)]!;
      return withLength(Buffer.from(header.slice(0, at) + edit + header.slice(at + 1), 'latin1'), rest);
    }
  }
}

describe('safetensors fuzz', () => {
  it('10,000 mutated files: each loads or throws a SafetensorsError, without leaking', () => {
    const random = generator(20240601);
    const path = join(dir, 'mutant.safetensors');
    const before = memory();
    const problems = new Map<string, number>();
    let loadedCount = 0;
    for (let i = 0; i < 10_000; i++) {
      writeFileSync(path, mutate(seeds[i % seeds.length]!, random));
      try {
        const tensors = loadSafetensors(path);
        for (const t of Object.values(tensors)) t.dispose();
        loadedCount += 1;
      } catch (err) {
        if (!(err instanceof SafetensorsError)) throw new Error(`iteration ${i}: ${String(err)}`);
        const kind = err.problem.replace(/'[^']*'|"[^"]*"|\d+/g, '#').slice(0, 40);
        problems.set(kind, (problems.get(kind) ?? 0) + 1);
      }
    }
    expect(memory().numTensors).toBe(before.numTensors);
    expect(memory().numBytes).toBe(before.numBytes);
    // The mutations reach many different checks, and some mutants stay valid (flipped data bits).
    expect(problems.size).toBeGreaterThan(10);
    expect(loadedCount).toBeGreaterThan(100);
  });
});
