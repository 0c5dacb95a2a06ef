import { closeSync, fstatSync, openSync, readSync } from 'node:fs';

import { type AnyTypedArray, type Tensor, tensor } from '@largebatch/tensor';

import { SafetensorsError } from '../errors';
import { decodeValues } from './decode';
import { type Header, MAX_HEADER_BYTES, parseHeader } from './format';

function readExactly(file: string, fd: number, length: number, position: number): Uint8Array {
  const out = new Uint8Array(length);
  let done = 0;
  while (done < length) {
    const n = readSync(fd, out, done, length - done, position + done);
    if (n === 0) throw new SafetensorsError(file, `ended after ${position + done} bytes while reading ${length} bytes at offset ${position}`);
    done += n;
  }
  return out;
}

/** Reads and validates the header (sizes checked against the file's real size first), then the data if asked. */
function readFile(file: string, withData: boolean): { header: Header; data: Uint8Array } {
  if (typeof file !== 'string' || file === '') throw new SafetensorsError(String(file), 'the path must be a non-empty string');
  let fd: number;
  try {
    fd = openSync(file, 'r');
  } catch (err) {
    throw new SafetensorsError(file, `cannot be opened (${(err as Error).message})`);
  }
  try {
    const size = fstatSync(fd).size;
    if (size < 8) throw new SafetensorsError(file, `is truncated: ${size} bytes, fewer than the 8 of the header length`);
    const declared = Buffer.from(readExactly(file, fd, 8, 0)).readBigUInt64LE(0);
    if (declared > BigInt(MAX_HEADER_BYTES)) {
      throw new SafetensorsError(file, `declares a ${declared}-byte header, more than the ${MAX_HEADER_BYTES}-byte limit`);
    }
    const headerBytes = Number(declared);
    if (8 + headerBytes > size) {
      throw new SafetensorsError(file, `declares a ${headerBytes}-byte header, past the end of the ${size}-byte file`);
    }
    const dataBytes = size - 8 - headerBytes;
    const header = parseHeader(file, readExactly(file, fd, headerBytes, 8), dataBytes);
    const data = withData ? readExactly(file, fd, dataBytes, 8 + headerBytes) : new Uint8Array(0);
    return { header, data };
  } finally {
    closeSync(fd);
  }
}

/**
 * Reads a safetensors file into a record name → Tensor on the CPU (the caller owns and
 * disposes them). F32, F64, I32 and U8 keep their type; F16 and BF16 become float32, I64
 * int32 (values outside its range are an error), BOOL uint8. Any malformed file throws a
 * SafetensorsError naming the file and the problem; nothing is allocated from an
 * unvalidated size. The metadata is read by readSafetensorsMetadata.
 *
 * @example
 * ```ts
 * import { loadSafetensors, saveSafetensors } from '@largebatch/nn';
 * import { randn } from '@largebatch/tensor';
 * import { tmpdir } from 'node:os';
 * import { join } from 'node:path';
 * const path = join(tmpdir(), 'example-load.safetensors');
 * saveSafetensors(path, { w: randn([2, 3]) });
 * const { w } = loadSafetensors(path); // float32 [2, 3]
 * ```
 */
export function loadSafetensors(file: string): Record<string, Tensor> {
  const { header, data } = readFile(file, true);
  // Decode everything first, so a bad value fails before any tensor exists.
  const decoded: [string, AnyTypedArray, number[]][] = header.tensors.map((t) => {
    const values = decodeValues(t.dtype, data.subarray(t.begin, t.end));
    if (typeof values === 'string') throw new SafetensorsError(file, `tensor '${t.name}' (${t.dtype}): ${values}`);
    return [t.name, values, t.shape];
  });
  return Object.fromEntries(decoded.map(([name, values, shape]) => [name, tensor(values, { shape })]));
}

/**
 * The `__metadata__` record (string → string) of a safetensors file, {} when it has none;
 * reads and validates only the header.
 *
 * @example
 * ```ts
 * import { readSafetensorsMetadata, saveSafetensors } from '@largebatch/nn';
 * import { randn } from '@largebatch/tensor';
 * import { tmpdir } from 'node:os';
 * import { join } from 'node:path';
 * const path = join(tmpdir(), 'example-metadata.safetensors');
 * saveSafetensors(path, { w: randn([2]) }, { epoch: '3' });
 * readSafetensorsMetadata(path); // { epoch: '3' }
 * ```
 */
export function readSafetensorsMetadata(file: string): Record<string, string> {
  return readFile(file, false).header.metadata;
}
