import { mkdir, readFile, rm, stat } from 'node:fs/promises';
import { join } from 'node:path';

import { CifarArgumentError, CifarFormatError, DownloadError } from '../errors';
import { checkCifarFolder } from '../format/read';
import { checkInteger, checkString } from '../validate';
import { fileDigests } from './digests';
import { extractDataset } from './extract';
import { type DownloadProgress, fetchResumable } from './fetch-resumable';
import { CIFAR10_SOURCE, CIFAR100_SOURCE, type CifarSource, MIRROR_ENV, sourceUrl } from './sources';

/** Options of {@link downloadCifar10} and {@link downloadCifar100}. */
export interface DownloadOptions {
  /** Called after every chunk received. */
  onProgress?: (progress: DownloadProgress) => void;
  /** The tarball's URL; default: the mirror in `LARGEBATCH_CIFAR_MIRROR` if set, else the University of Toronto. */
  url?: string;
  /** Expected MD5 (hex); default: the published one. Only for a tarball that is not the official one. */
  md5?: string;
  /** Expected SHA-256 (hex), checked too when given. */
  sha256?: string;
  /** Abandon an attempt when no byte arrives for this long (default 60,000 ms). */
  stallTimeoutMs?: number;
  /** Attempts after the first on a dropped connection or a stall, each resuming (default 3). */
  retries?: number;
}

/** `download.json` in the dataset folder: where the tarball came from and what it was. */
export interface DownloadRecord {
  url: string;
  file: string;
  bytes: number;
  md5: string;
  sha256: string;
  date: string;
}

/** What a download did. */
export interface DownloadResult {
  /** The dataset folder (`dir/cifar-10-batches-bin` or `dir/cifar-100-binary`). */
  folder: string;
  /** False when the folder was already there and nothing was fetched. */
  downloaded: boolean;
  /** The folder's `download.json`, when it has one. */
  record: DownloadRecord | undefined;
}

/**
 * Downloads the official CIFAR-10 binary tarball into `dir` and extracts
 * `dir/cifar-10-batches-bin/`, unless that folder is already there. The tarball is streamed
 * to `dir/cifar-10-binary.tar.gz.part`, resumed with HTTP Range requests where the server
 * allows (after a dropped connection, a stall, or in a later call), checked against the
 * published MD5 (its SHA-256 is recorded in `download.json`), extracted into a temporary
 * folder and renamed into place, then deleted. Failures throw {@link DownloadError}.
 *
 * The URL is `options.url`, else `$LARGEBATCH_CIFAR_MIRROR/cifar-10-binary.tar.gz`, else
 * https://www.cs.toronto.edu/~kriz/cifar-10-binary.tar.gz.
 *
 * @example
 * ```ts
 * import { downloadCifar10, loadCifar10 } from '@largebatch/data-cifar';
 * const { folder, downloaded } = await downloadCifar10('data', {
 *   onProgress: ({ bytes, total, rate }) => process.stdout.write(`\r${bytes} / ${total ?? '?'} bytes, ${(rate / 1e6).toFixed(1)} MB/s`),
 * });
 * console.log(folder, downloaded); // data/cifar-10-batches-bin, false when it was already there
 * const train = await loadCifar10('data');
 * ```
 */
export async function downloadCifar10(dir: string, options: DownloadOptions = {}): Promise<DownloadResult> {
  return downloadDataset('downloadCifar10', CIFAR10_SOURCE, dir, options);
}

/**
 * Downloads and extracts CIFAR-100 (`dir/cifar-100-binary/`) as {@link downloadCifar10} does
 * CIFAR-10: `$LARGEBATCH_CIFAR_MIRROR/cifar-100-binary.tar.gz` or the University of Toronto,
 * checked against the published MD5.
 *
 * @example
 * ```ts
 * import { downloadCifar100, loadCifar100 } from '@largebatch/data-cifar';
 * await downloadCifar100('data');
 * const test = await loadCifar100('data', { train: false, labels: 'coarse' });
 * ```
 */
export async function downloadCifar100(dir: string, options: DownloadOptions = {}): Promise<DownloadResult> {
  return downloadDataset('downloadCifar100', CIFAR100_SOURCE, dir, options);
}

const HEX = { md5: /^[0-9a-f]{32}$/i, sha256: /^[0-9a-f]{64}$/i };

async function downloadDataset(fn: string, source: CifarSource, dir: string, options: DownloadOptions): Promise<DownloadResult> {
  checkString(fn, 'dir', dir);
  if (options.url !== undefined) checkString(fn, 'options.url', options.url);
  for (const name of ['md5', 'sha256'] as const) {
    const value = options[name];
    if (value !== undefined && !HEX[name].test(value)) throw new CifarArgumentError(fn, `options.${name}`, `a hex ${name.toUpperCase()} digest`, value);
  }
  if (options.onProgress !== undefined && typeof options.onProgress !== 'function') throw new CifarArgumentError(fn, 'options.onProgress', 'a function', options.onProgress);
  const stallTimeoutMs = checkInteger(fn, 'options.stallTimeoutMs', options.stallTimeoutMs ?? 60_000, 1);
  const retries = checkInteger(fn, 'options.retries', options.retries ?? 3, 0);
  const url = sourceUrl(source, options.url);
  try {
    new URL(url);
  } catch {
    throw new CifarArgumentError(fn, options.url === undefined ? MIRROR_ENV : 'options.url', 'an absolute URL', url);
  }

  const folder = join(dir, source.layout.folder);
  if (await stat(folder).catch(() => undefined)) {
    try {
      await checkCifarFolder(folder, source.layout);
    } catch (err) {
      if (!(err instanceof CifarFormatError)) throw err;
      throw new CifarFormatError(`${fn}: '${folder}' exists but is not a complete ${source.layout.name} folder (${err.message}); remove it to download again`, err.file);
    }
    return { folder, downloaded: false, record: await readRecord(folder) };
  }

  await mkdir(dir, { recursive: true });
  const archive = join(dir, source.file);
  const part = `${archive}.part`;
  const bytes = await fetchResumable(url, part, { onProgress: options.onProgress, stallTimeoutMs, retries });
  const digests = await fileDigests(part);
  const expected = { md5: options.md5 ?? source.md5, sha256: options.sha256 };
  for (const name of ['md5', 'sha256'] as const) {
    const want = expected[name]?.toLowerCase();
    if (want !== undefined && digests[name] !== want) {
      await rm(part, { force: true }); // a corrupt file must not be resumed
      throw new DownloadError(`${url}: ${name.toUpperCase()} of the ${bytes} bytes received is ${digests[name]}; expected ${want} (the file was deleted)`, url);
    }
  }
  const record: DownloadRecord = { url, file: source.file, bytes, ...digests, date: new Date().toISOString() };
  const extracted = await extractDataset(part, dir, source.layout, url, record);
  await rm(part, { force: true });
  return { folder: extracted, downloaded: true, record };
}

async function readRecord(folder: string): Promise<DownloadRecord | undefined> {
  const file = join(folder, 'download.json');
  const text = await readFile(file, 'utf8').catch(() => undefined);
  if (text === undefined) return undefined;
  try {
    return JSON.parse(text) as DownloadRecord;
  } catch (err) {
    throw new CifarFormatError(`${file}: not JSON (${(err as Error).message}); expected the record of the download`, file);
  }
}
