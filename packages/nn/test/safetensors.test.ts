import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

import { afterAll, describe, expect, it } from 'vitest';

import { type Tensor, manualSeed, memory, rand, randn, testing, tidy } from '@largebatch/tensor';
import { MAX_HEADER_BYTES, SafetensorsError, loadSafetensors, readSafetensorsMetadata, saveSafetensors } from '../src/index';
import { type Entry, fromEntry, readFixture } from './fixtures';
import { OURS_FILE, OURS_METADATA, oursTensors } from './fixtures/safetensors/ours';
import { smallNet } from './small-net';

const { expectClose, expectNoLeaks } = testing;

const dir = mkdtempSync(join(tmpdir(), 'nn-safetensors-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

function disposeAll(dict: Record<string, Tensor>): void {
  for (const t of Object.values(dict)) t.dispose();
}

/** A file from a header (object or raw text) and data bytes; `length` overrides the header length field. */
function craft(name: string, header: unknown, data: Uint8Array = new Uint8Array(0), length?: bigint): string {
  const text = Buffer.from(typeof header === 'string' ? header : JSON.stringify(header));
  const prefix = Buffer.alloc(8);
  prefix.writeBigUInt64LE(length ?? BigInt(text.length));
  const path = join(dir, name);
  writeFileSync(path, Buffer.concat([prefix, text, data]));
  return path;
}

describe('saveSafetensors / loadSafetensors', () => {
  it('round-trips every dtype we hold, 0-d and empty tensors and metadata, exactly', () => {
    manualSeed(11);
    const path = join(dir, 'round-trip.safetensors');
    const tensors = tidy(() => ({
      'a.weight': randn([3, 5]),
      'b.double': randn([2, 2, 2], { dtype: 'float64' }),
      counts: randn([4]).mul(1e5).toDType('int32'),
      bytes: rand([9], { high: 256 }).toDType('uint8'),
      scalar: randn([]),
      empty: randn([2, 0]),
    }));
    expectNoLeaks(() => {
      saveSafetensors(path, tensors, { epoch: '7', note: 'ünïcode' });
      const loaded = loadSafetensors(path);
      expect(Object.keys(loaded).sort()).toEqual(Object.keys(tensors).sort());
      for (const [name, t] of Object.entries(tensors)) {
        expect(loaded[name]!.dtype, name).toBe(t.dtype);
        expect(loaded[name]!.shape, name).toEqual(t.shape);
        expect(Array.from(loaded[name]!.data()), name).toEqual(Array.from(t.data()));
      }
      disposeAll(loaded);
    });
    expect(readSafetensorsMetadata(path)).toEqual({ epoch: '7', note: 'ünïcode' });
    disposeAll(tensors);
  });

  it('lays the file out as the reference writer: padded header, sorted keys, aligned data', () => {
    manualSeed(12);
    const path = join(dir, 'layout.safetensors');
    const tensors = tidy(() => ({ z: randn([3]), y: randn([1], { dtype: 'float64' }), x: rand([3], { high: 9 }).toDType('uint8') }));
    saveSafetensors(path, tensors);
    const bytes = readFileSync(path);
    const n = Number(bytes.readBigUInt64LE(0));
    expect(n % 8).toBe(0);
    const header = JSON.parse(bytes.subarray(8, 8 + n).toString()) as Record<string, { data_offsets: [number, number] }>;
    expect(Object.keys(header)).toEqual(['x', 'y', 'z']);
    expect([header.y!.data_offsets, header.z!.data_offsets, header.x!.data_offsets]).toEqual([[0, 8], [8, 20], [20, 23]]);
    disposeAll(tensors);
  });

  it('replaces a file atomically and leaves no temporary file, even when writing fails', () => {
    const sub = mkdtempSync(join(dir, 'atomic-'));
    const path = join(sub, 'ckpt.safetensors');
    writeFileSync(path, 'old contents');
    const t = randn([4]);
    saveSafetensors(path, { t });
    const loaded = loadSafetensors(path);
    expectClose(loaded.t!, t);
    expect(readdirSync(sub)).toEqual(['ckpt.safetensors']);
    expect(() => saveSafetensors(join(sub, 'missing-dir', 'x.safetensors'), { t })).toThrow(SafetensorsError);
    expect(readdirSync(sub)).toEqual(['ckpt.safetensors']);
    t.dispose();
    expect(() => saveSafetensors(path, { t })).toThrow(/tensor 't' must be a live Tensor, got a disposed one/);
    expect(() => saveSafetensors(path, { __metadata__: loaded.t! })).toThrow(/reserved/);
    disposeAll(loaded);
  });
});

interface TorchFile {
  metadata: Record<string, string>;
  tensors: Record<string, Entry & { dtype: string }>;
}

describe('interop with PyTorch (fixtures from make_fixtures.py)', () => {
  it('loads the file PyTorch tensors were written to: F16, BF16 → float32, I64 → int32, BOOL → uint8', () => {
    const expected = readFixture<TorchFile>('safetensors/torch.json');
    const ourDType: Record<string, string> = { F32: 'float32', F16: 'float32', BF16: 'float32', F64: 'float64', I64: 'int32', I32: 'int32', U8: 'uint8', BOOL: 'uint8' };
    const path = join(__dirname, 'fixtures', 'safetensors', 'torch.safetensors');
    expectNoLeaks(() => {
      const loaded = loadSafetensors(path);
      expect(Object.keys(loaded).sort()).toEqual(Object.keys(expected.tensors).sort());
      for (const [name, e] of Object.entries(expected.tensors)) {
        expect(loaded[name]!.dtype, name).toBe(ourDType[e.dtype]);
        expect(loaded[name]!.shape, name).toEqual(e.shape);
        expect(Array.from(loaded[name]!.data()), name).toEqual(e.values);
      }
      disposeAll(loaded);
    });
    expect(readSafetensorsMetadata(path)).toEqual(expected.metadata);
  });

  it('writes ours.safetensors byte for byte, and PyTorch read back the same values and ran the same net', () => {
    const tensors = oursTensors();
    const path = join(dir, 'ours.safetensors');
    saveSafetensors(path, tensors, OURS_METADATA);
    expect(readFileSync(path).equals(readFileSync(OURS_FILE))).toBe(true);
    const torch = readFixture<TorchFile & { evalOut: Entry }>('safetensors/ours_read_by_torch.json');
    expect(torch.metadata).toEqual(OURS_METADATA);
    expect(Object.keys(torch.tensors).sort()).toEqual(Object.keys(tensors).sort());
    for (const [name, t] of Object.entries(tensors)) {
      expect(torch.tensors[name]!.dtype, name).toBe(`torch.${t.dtype}`);
      expect(torch.tensors[name]!.shape, name).toEqual(t.shape);
      expect(Array.from(t.data()), name).toEqual(torch.tensors[name]!.values);
    }
    const net = smallNet().eval();
    const loaded = loadSafetensors(OURS_FILE);
    const x = fromEntry(readFixture<{ x: Entry }>('modules.json').x);
    expectNoLeaks(() => {
      net.loadStateDict(Object.fromEntries(Object.entries(loaded).filter(([k]) => !k.startsWith('extra.'))));
      tidy(() => expectClose(net.forward(x), torch.evalOut.values, { rtol: 1e-10, atol: 1e-12 }));
    });
    for (const d of [tensors, loaded]) disposeAll(d);
    x.dispose();
    net.dispose();
  });
});

describe('bad files: a SafetensorsError naming the file and the problem', () => {
  const f32 = (n: number): Uint8Array => new Uint8Array(new Float32Array(n).fill(1.5).buffer);
  const cases: [string, () => string, RegExp][] = [
    ['missing', () => join(dir, 'does-not-exist.safetensors'), /cannot be opened/],
    ['truncated before the length', () => {
      writeFileSync(join(dir, 'short'), Buffer.from([1, 0, 0]));
      return join(dir, 'short');
    }, /is truncated: 3 bytes/],
    ['header length past the end', () => craft('past-end', { a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, f32(1), 4096n), /4096-byte header, past the end/],
    ['absurd header length', () => craft('huge', '{}', new Uint8Array(0), 1n << 60n), new RegExp(`more than the ${MAX_HEADER_BYTES}-byte limit`)],
    ['invalid JSON', () => craft('bad-json', '{"a": {"dtype": "F32",'), /not valid JSON/],
    ['invalid UTF-8', () => craft('bad-utf8', Buffer.from([0x7b, 0xff, 0x7d]).toString('latin1')), /not valid UTF-8|not valid JSON/],
    ['not an object', () => craft('array', '[1, 2]'), /must be a JSON object/],
    ['unknown dtype', () => craft('dtype', { a: { dtype: 'Q7', shape: [1], data_offsets: [0, 4] } }, f32(1)), /tensor 'a' has dtype "Q7", expected one of F64/],
    ['bad shape', () => craft('shape', { a: { dtype: 'F32', shape: [-1], data_offsets: [0, 4] } }, f32(1)), /has shape \[-1\]/],
    ['shape disagreeing with bytes', () => craft('bytes', { a: { dtype: 'F32', shape: [2, 2], data_offsets: [0, 8] } }, f32(2)), /needs 16 bytes, but its data_offsets \[0, 8\] span 8/],
    ['overflowing shape', () => craft('overflow', { a: { dtype: 'F64', shape: [2 ** 40, 2 ** 40], data_offsets: [0, 8] } }, f32(2)), /needs .* bytes/],
    ['offsets out of range', () => craft('range', { a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] } }, f32(1)), /past the end of the 4-byte data buffer/],
    ['reversed offsets', () => craft('reversed', { a: { dtype: 'F32', shape: [0], data_offsets: [4, 0] } }, f32(1)), /expected \[begin, end\]/],
    ['overlapping offsets', () => craft('overlap', {
      a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] }, b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] },
    }, f32(3)), /tensor 'b' has data_offsets \[4, 12\] overlapping tensor 'a'/],
    ['a gap', () => craft('gap', { a: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, f32(2)), /bytes \[0, 4\) of the data buffer belong to no tensor/],
    ['trailing bytes', () => craft('trailing', { a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, f32(2)), /has 8 bytes but the tensors cover only 4/],
    ['bad metadata', () => craft('metadata', { __metadata__: { epoch: 3 } }), /__metadata__ value of 'epoch' must be a string/],
    ['I64 outside int32', () => craft('i64', { a: { dtype: 'I64', shape: [1], data_offsets: [0, 8] } }, new Uint8Array(new BigInt64Array([1n << 40n]).buffer)), /tensor 'a' \(I64\): value 1099511627776 at flat index 0 is outside the int32 range/],
  ];
  for (const [what, make, message] of cases) {
    it(what, () => {
      const path = make();
      const before = memory().numTensors;
      let error: unknown;
      try {
        disposeAll(loadSafetensors(path));
      } catch (err) {
        error = err;
      }
      expect(error).toBeInstanceOf(SafetensorsError);
      expect((error as SafetensorsError).file).toBe(path);
      expect((error as Error).message).toContain(path);
      expect((error as Error).message).toMatch(message);
      expect(memory().numTensors).toBe(before);
    });
  }
});
