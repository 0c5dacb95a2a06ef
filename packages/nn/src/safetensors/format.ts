/**
 * The safetensors format (https://github.com/huggingface/safetensors): an 8-byte
 * little-endian header length N, N bytes of JSON { name: { dtype, shape, data_offsets:
 * [begin, end] }, "__metadata__"?: { string: string } }, then the data buffer, which the
 * tensors' offsets (relative to its start) must cover exactly, without gaps or overlaps.
 * This module validates a header completely before anything is allocated from it.
 */
import { SafetensorsError } from '../errors';

/** The reference implementation's cap on the header, so a corrupt length cannot allocate gigabytes. */
export const MAX_HEADER_BYTES = 100_000_000;

/** The dtypes we read, with their element size in bytes. */
export const DTYPE_BYTES = { F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, U8: 1, BOOL: 1 } as const;
export type SafetensorsDType = keyof typeof DTYPE_BYTES;

/** One tensor's header entry, validated. */
export interface TensorEntry {
  name: string;
  dtype: SafetensorsDType;
  shape: number[];
  begin: number;
  end: number;
}

export interface Header {
  tensors: TensorEntry[];
  metadata: Record<string, string>;
}

function isPlainObject(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function isSize(v: unknown): v is number {
  return typeof v === 'number' && Number.isSafeInteger(v) && v >= 0;
}

function parseMetadata(fail: (problem: string) => never, value: unknown): Record<string, string> {
  if (!isPlainObject(value)) fail(`__metadata__ must be an object of strings, got ${JSON.stringify(value)}`);
  for (const [k, v] of Object.entries(value)) {
    if (typeof v !== 'string') fail(`__metadata__ value of '${k}' must be a string, got ${JSON.stringify(v)}`);
  }
  return value as Record<string, string>;
}

function parseEntry(fail: (problem: string) => never, name: string, value: unknown): TensorEntry {
  if (!isPlainObject(value)) fail(`tensor '${name}' must be an object with dtype, shape and data_offsets, got ${JSON.stringify(value)}`);
  const { dtype, shape, data_offsets: offsets } = value;
  if (typeof dtype !== 'string' || !Object.hasOwn(DTYPE_BYTES, dtype)) {
    fail(`tensor '${name}' has dtype ${JSON.stringify(dtype)}, expected one of ${Object.keys(DTYPE_BYTES).join(', ')}`);
  }
  if (!Array.isArray(shape) || !shape.every(isSize)) {
    fail(`tensor '${name}' has shape ${JSON.stringify(shape)}, expected an array of non-negative integers`);
  }
  if (!Array.isArray(offsets) || offsets.length !== 2 || !offsets.every(isSize) || offsets[0]! > offsets[1]!) {
    fail(`tensor '${name}' has data_offsets ${JSON.stringify(offsets)}, expected [begin, end] with 0 <= begin <= end`);
  }
  const [begin, end] = offsets as [number, number];
  let bytes = DTYPE_BYTES[dtype as SafetensorsDType] as number;
  for (const s of shape as number[]) bytes *= s;
  if (bytes !== end - begin) {
    fail(`tensor '${name}' of dtype ${dtype} and shape [${shape.join(', ')}] needs ${bytes} bytes, but its data_offsets [${begin}, ${end}] span ${end - begin}`);
  }
  return { name, dtype: dtype as SafetensorsDType, shape: shape as number[], begin, end };
}

/** Checks that the tensors tile [0, dataBytes) exactly, as the reference reader requires. */
function checkCoverage(fail: (problem: string) => never, tensors: TensorEntry[], dataBytes: number): void {
  const sorted = [...tensors].sort((a, b) => a.begin - b.begin || a.end - b.end);
  let covered = 0;
  let previous: TensorEntry | null = null;
  for (const t of sorted) {
    if (t.end > dataBytes) fail(`tensor '${t.name}' has data_offsets [${t.begin}, ${t.end}] past the end of the ${dataBytes}-byte data buffer`);
    if (t.begin < covered) fail(`tensor '${t.name}' has data_offsets [${t.begin}, ${t.end}] overlapping tensor '${previous!.name}' [${previous!.begin}, ${previous!.end}]`);
    if (t.begin > covered) fail(`bytes [${covered}, ${t.begin}) of the data buffer belong to no tensor (before tensor '${t.name}')`);
    covered = t.end;
    previous = t;
  }
  if (covered !== dataBytes) fail(`the data buffer has ${dataBytes} bytes but the tensors cover only ${covered}`);
}

/** Parses and validates a header whose data buffer holds `dataBytes` bytes; throws SafetensorsError naming `file`. */
export function parseHeader(file: string, bytes: Uint8Array, dataBytes: number): Header {
  const fail = (problem: string): never => {
    throw new SafetensorsError(file, problem);
  };
  let text: string;
  try {
    text = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return fail('the header is not valid UTF-8');
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    return fail(`the header is not valid JSON (${(err as Error).message})`);
  }
  if (!isPlainObject(json)) return fail(`the header must be a JSON object, got ${text.slice(0, 40)}`);
  let metadata: Record<string, string> = {};
  const tensors: TensorEntry[] = [];
  for (const [name, value] of Object.entries(json)) {
    if (name === '__metadata__') metadata = parseMetadata(fail, value);
    else tensors.push(parseEntry(fail, name, value));
  }
  checkCoverage(fail, tensors, dataBytes);
  return { tensors, metadata };
}
