import { randomBytes } from 'node:crypto';
import { closeSync, fsyncSync, openSync, renameSync, rmSync, writeSync } from 'node:fs';

import { type DType, Tensor } from '@largebatch/tensor';

import { SafetensorsError } from '../errors';
import { DTYPE_BYTES, type SafetensorsDType } from './format';

const FORMAT_OF: Record<DType, SafetensorsDType> = { float64: 'F64', float32: 'F32', int32: 'I32', uint8: 'U8' };

function checkInputs(file: string, tensors: Record<string, Tensor>, metadata: Record<string, string> | undefined): [string, Tensor][] {
  if (typeof file !== 'string' || file === '') throw new SafetensorsError(String(file), 'the path must be a non-empty string');
  if (typeof tensors !== 'object' || tensors === null) throw new SafetensorsError(file, `tensors must be a record name → Tensor, got ${String(tensors)}`);
  const entries = Object.entries(tensors);
  for (const [name, t] of entries) {
    if (name === '' || name === '__metadata__') throw new SafetensorsError(file, `tensor name ${JSON.stringify(name)} is reserved or empty`);
    if (!(t instanceof Tensor) || t.isDisposed) throw new SafetensorsError(file, `tensor '${name}' must be a live Tensor, got ${t instanceof Tensor ? 'a disposed one' : String(t)}`);
  }
  for (const [k, v] of Object.entries(metadata ?? {})) {
    if (typeof v !== 'string') throw new SafetensorsError(file, `metadata value of '${k}' must be a string, got ${JSON.stringify(v)}`);
  }
  return entries;
}

/** writeSync may write less than asked; loop until every byte is out. */
function writeAll(fd: number, bytes: Uint8Array): void {
  for (let done = 0; done < bytes.length; ) done += writeSync(fd, bytes, done, bytes.length - done);
}

/**
 * Writes `tensors` (and optional string metadata) as a safetensors file that PyTorch's and
 * Hugging Face's readers load: header keys sorted by name, data laid out as the reference
 * writer does (larger element types first, then by name, so every tensor is aligned), the
 * header padded with spaces to 8 bytes. Atomic: written to a temporary file beside `file`,
 * flushed, then renamed over it, so a crash never leaves a half-written checkpoint.
 *
 * @example
 * ```ts
 * import { saveSafetensors, Linear } from '@largebatch/nn';
 * import { tmpdir } from 'node:os';
 * import { join } from 'node:path';
 * const fc = new Linear(4, 2);
 * saveSafetensors(join(tmpdir(), 'example-fc.safetensors'), fc.stateDict(), { format: 'pt' });
 * ```
 */
export function saveSafetensors(file: string, tensors: Record<string, Tensor>, metadata?: Record<string, string>): void {
  const entries = checkInputs(file, tensors, metadata);
  const size = (t: Tensor): number => DTYPE_BYTES[FORMAT_OF[t.dtype]];
  const layout = [...entries].sort(([a, ta], [b, tb]) => size(tb) - size(ta) || (a < b ? -1 : a > b ? 1 : 0));
  const offsets = new Map<string, [number, number]>();
  let end = 0;
  for (const [name, t] of layout) {
    offsets.set(name, [end, end + t.numel * size(t)]);
    end += t.numel * size(t);
  }
  const header: Record<string, unknown> = metadata && Object.keys(metadata).length > 0 ? { __metadata__: metadata } : {};
  for (const [name, t] of [...entries].sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))) {
    header[name] = { dtype: FORMAT_OF[t.dtype], shape: t.shape, data_offsets: offsets.get(name) };
  }
  const json = Buffer.from(JSON.stringify(header), 'utf8');
  const padded = Buffer.alloc(Math.ceil(json.length / 8) * 8, ' ');
  json.copy(padded);
  const length = Buffer.alloc(8);
  length.writeBigUInt64LE(BigInt(padded.length));

  const temporary = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  try {
    const fd = openSync(temporary, 'w');
    try {
      writeAll(fd, length);
      writeAll(fd, padded);
      for (const [, t] of layout) {
        const values = t.data();
        writeAll(fd, new Uint8Array(values.buffer, values.byteOffset, values.byteLength));
      }
      fsyncSync(fd);
    } finally {
      closeSync(fd);
    }
    renameSync(temporary, file);
  } catch (err) {
    rmSync(temporary, { force: true });
    throw new SafetensorsError(file, `cannot be written (${(err as Error).message})`);
  }
}
