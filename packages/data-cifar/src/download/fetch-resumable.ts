import { open, stat } from 'node:fs/promises';

import { DownloadError } from '../errors';

/** Progress of a download, reported after every chunk written. */
export interface DownloadProgress {
  /** Bytes of the file on disk so far (a resumed download starts above 0). */
  bytes: number;
  /** The file's size when the server says it, else null. */
  total: number | null;
  /** Bytes per second received by this call so far. */
  rate: number;
}

export interface FetchOptions {
  onProgress?: (progress: DownloadProgress) => void;
  /** Give up on an attempt when no byte arrives for this long (ms). */
  stallTimeoutMs: number;
  /** Attempts after the first, each resuming where the last stopped. */
  retries: number;
}

/**
 * Downloads `url` into `partFile`, resuming from the bytes already there with an HTTP Range
 * request; a server that answers 200 instead of 206 sends the whole file again, which
 * replaces the part. A dropped connection, an early end or a stall is retried up to
 * `retries` times; what was received stays in `partFile` for a later call to resume.
 * Returns the file's size.
 */
export async function fetchResumable(url: string, partFile: string, options: FetchOptions): Promise<number> {
  const started = performance.now();
  let received = 0;
  const progress = (bytes: number, total: number | null, chunk: number): void => {
    received += chunk;
    options.onProgress?.({ bytes, total, rate: received / Math.max((performance.now() - started) / 1000, 1e-3) });
  };
  for (let attempt = 0; ; attempt++) {
    try {
      return await fetchOnce(url, partFile, options.stallTimeoutMs, progress);
    } catch (err) {
      if (!(err instanceof DownloadError && err.retryable) || attempt >= options.retries) throw err;
    }
  }
}

async function fetchOnce(url: string, partFile: string, stallTimeoutMs: number, progress: (bytes: number, total: number | null, chunk: number) => void): Promise<number> {
  const have = (await stat(partFile).catch(() => undefined))?.size ?? 0;
  const controller = new AbortController();
  const stallTimer = setTimeout(() => controller.abort(), stallTimeoutMs);
  const failure = (what: string, cause?: unknown): DownloadError =>
    new DownloadError(`download of ${url} failed: ${controller.signal.aborted ? `no data for ${stallTimeoutMs} ms` : what}`, url, { cause, retryable: true });
  try {
    let response: Response;
    try {
      response = await fetch(url, { headers: have > 0 ? { range: `bytes=${have}-` } : {}, signal: controller.signal });
    } catch (err) {
      throw failure(describeFetchError(err), err);
    }
    if (response.status === 416 && have > 0) return have; // the part is already whole; the checksum decides
    if (response.status === 206 && contentRangeStart(response) !== have) {
      await response.body?.cancel();
      throw new DownloadError(`download of ${url} failed: asked for bytes ${have}-, the server sent Content-Range '${response.headers.get('content-range')}'`, url);
    }
    const resumed = response.status === 206;
    if (!resumed && response.status !== 200) {
      await response.body?.cancel();
      throw new DownloadError(`download of ${url} failed: HTTP ${response.status} ${response.statusText}; expected 200 or 206`, url, {
        retryable: response.status >= 500,
      });
    }
    let bytes = resumed ? have : 0;
    const total = totalSize(response, bytes);
    const file = await open(partFile, resumed ? 'a' : 'w');
    try {
      for await (const chunk of response.body ?? []) {
        stallTimer.refresh();
        await file.write(chunk as Uint8Array);
        bytes += (chunk as Uint8Array).length;
        progress(bytes, total, (chunk as Uint8Array).length);
      }
    } catch (err) {
      throw failure(describeFetchError(err), err);
    } finally {
      await file.close();
    }
    if (total !== null && bytes !== total) throw failure(`the connection ended at byte ${bytes} of ${total}`);
    return bytes;
  } finally {
    clearTimeout(stallTimer);
  }
}

/** First byte of a 206 response (`Content-Range: bytes START-END/TOTAL`), or -1. */
function contentRangeStart(response: Response): number {
  const match = /^bytes (\d+)-\d+\/(\d+|\*)$/.exec(response.headers.get('content-range') ?? '');
  return match ? Number(match[1]) : -1;
}

/** The whole file's size: from Content-Range on a 206, Content-Length on a 200, else null. */
function totalSize(response: Response, offset: number): number | null {
  const range = /\/(\d+)$/.exec(response.headers.get('content-range') ?? '');
  if (response.status === 206 && range) return Number(range[1]);
  const length = response.headers.get('content-length');
  return length === null ? null : offset + Number(length);
}

/** undici reports "fetch failed" / "terminated" with the socket error as the cause. */
function describeFetchError(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const cause = err.cause instanceof Error ? `: ${(err.cause as NodeJS.ErrnoException).code ?? err.cause.message}` : '';
  return `${err.message}${cause}`;
}
