import { createHash } from 'node:crypto';
import { mkdir, readdir, readFile, stat, writeFile } from 'node:fs/promises';
import { type IncomingMessage, type Server, type ServerResponse, createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join } from 'node:path';

import { c as tar } from 'tar';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

import {
  CifarFormatError,
  DownloadError,
  type DownloadProgress,
  MIRROR_ENV,
  downloadCifar10,
  downloadCifar100,
  loadCifar10,
  loadCifar100,
  syntheticCifar,
  writeCifarFiles,
} from '../src/index';
import { tempDir } from './helpers';

// Tarballs made here, served from 127.0.0.1 only: the real host is never contacted.
const tarballs: Record<string, Buffer> = {};
const md5 = (bytes: Buffer): string => createHash('md5').update(bytes).digest('hex');
const sha256 = (bytes: Buffer): string => createHash('sha256').update(bytes).digest('hex');

/** Every request the server saw: path and Range header. */
const requests: { path: string; range: string | undefined }[] = [];
/** Paths whose first request has been answered (for the -once behaviours). */
const answered = new Set<string>();
let server: Server;
let base: string;
let root: string;

/** Serves `body` honouring a `Range: bytes=N-` header, as most static servers do. */
function serve(req: IncomingMessage, res: ServerResponse, body: Buffer, honourRange = true): void {
  const range = /^bytes=(\d+)-$/.exec(req.headers.range ?? '');
  const start = honourRange && range ? Number(range[1]) : 0;
  if (start >= body.length && start > 0) {
    res.writeHead(416, { 'content-range': `bytes */${body.length}` }).end();
    return;
  }
  if (start > 0) res.writeHead(206, { 'content-length': body.length - start, 'content-range': `bytes ${start}-${body.length - 1}/${body.length}` });
  else res.writeHead(200, { 'content-length': body.length });
  res.end(body.subarray(start));
}

function handle(req: IncomingMessage, res: ServerResponse): void {
  const [, behaviour = '', name = ''] = (req.url ?? '').split('/');
  requests.push({ path: req.url ?? '', range: req.headers.range });
  const body = tarballs[name];
  if (body === undefined || behaviour === 'missing') {
    res.writeHead(404).end('not found');
    return;
  }
  const first = !answered.has(req.url ?? '');
  answered.add(req.url ?? '');
  switch (behaviour) {
    case 'good':
    case 'mirror':
      return serve(req, res, body);
    case 'no-range':
      return serve(req, res, body, false);
    case 'corrupt': {
      const bad = Buffer.from(body);
      bad[bad.length >> 1]! ^= 0xff;
      return serve(req, res, bad);
    }
    case 'truncate-once':
    case 'truncate-always':
      if (first || behaviour === 'truncate-always') {
        // Promise the whole file, send a third of it, then drop the connection.
        res.writeHead(200, { 'content-length': body.length });
        res.write(body.subarray(0, Math.floor(body.length / 3)), () => res.destroy());
        return;
      }
      return serve(req, res, body);
    case 'stall-once':
      if (first) {
        res.writeHead(200, { 'content-length': body.length });
        res.write(body.subarray(0, 10_000)); // ... and nothing more
        return;
      }
      return serve(req, res, body);
    case 'slow': {
      // 4 KB every 5 ms.
      res.writeHead(200, { 'content-length': body.length });
      let at = 0;
      const timer = setInterval(() => {
        res.write(body.subarray(at, at + 4096));
        at += 4096;
        if (at >= body.length) {
          clearInterval(timer);
          res.end();
        }
      }, 5);
      res.on('close', () => clearInterval(timer));
      return;
    }
    default:
      res.writeHead(404).end();
  }
}

/** A gzipped tarball of `folder` under `dir`, as the official ones are packed. */
async function pack(dir: string, folder: string): Promise<Buffer> {
  const file = join(dir, `${folder}.tar.gz`);
  await tar({ gzip: true, cwd: dir, file }, [folder]);
  return readFile(file);
}

beforeAll(async () => {
  root = await tempDir('download');
  const source = join(root, 'source');
  const train = syntheticCifar({ n: 60, seed: 1 });
  await writeCifarFiles(source, train);
  await writeCifarFiles(source, syntheticCifar({ n: 20, seed: 1, start: 60 }), { train: false });
  tarballs['cifar-10-binary.tar.gz'] = await pack(source, 'cifar-10-batches-bin');
  const fine = syntheticCifar({ n: 30, seed: 2, classes: 100 });
  const coarse = { labels: fine.labels.map((l) => l % 20), classes: Array.from({ length: 20 }, (_, c) => `super-${c}`) };
  await writeCifarFiles(source, fine, { layout: 'cifar100', coarse });
  await writeCifarFiles(source, fine, { layout: 'cifar100', coarse, train: false });
  tarballs['cifar-100-binary.tar.gz'] = await pack(source, 'cifar-100-binary');
  await mkdir(join(source, 'something-else'));
  await writeFile(join(source, 'something-else', 'readme.txt'), 'not CIFAR');
  tarballs['wrong-content.tar.gz'] = await pack(source, 'something-else');
  tarballs['not-a-tarball.tar.gz'] = Buffer.from('plain text, not gzip');
  server = createServer(handle);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});

afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

const tarball10 = (): Buffer => tarballs['cifar-10-binary.tar.gz']!;
const options10 = (behaviour: string, extra: object = {}) => ({ url: `${base}/${behaviour}/cifar-10-binary.tar.gz`, md5: md5(tarball10()), ...extra });
let dirs = 0;
const freshDir = (): string => join(root, `target-${dirs++}`);
const requestsFor = (behaviour: string) => requests.filter((r) => r.path.startsWith(`/${behaviour}/`));

async function rejection(promise: Promise<unknown>): Promise<Error> {
  return promise.then(
    () => {
      throw new Error('expected a rejection');
    },
    (err: Error) => err,
  );
}

describe('downloadCifar10', () => {
  it('downloads, verifies, records and extracts; reports progress; leaves nothing else behind', async () => {
    const dir = freshDir();
    const progress: DownloadProgress[] = [];
    const result = await downloadCifar10(dir, options10('good', { onProgress: (p: DownloadProgress) => progress.push(p) }));
    expect(result.downloaded).toBe(true);
    expect(result.folder).toBe(join(dir, 'cifar-10-batches-bin'));
    expect(result.record).toMatchObject({ url: `${base}/good/cifar-10-binary.tar.gz`, bytes: tarball10().length, md5: md5(tarball10()), sha256: sha256(tarball10()) });
    expect(JSON.parse(await readFile(join(result.folder, 'download.json'), 'utf8'))).toEqual(result.record);
    const last = progress.at(-1)!;
    expect(last.bytes).toBe(tarball10().length);
    expect(last.total).toBe(tarball10().length);
    expect(last.rate).toBeGreaterThan(0);
    expect(await readdir(dir)).toEqual(['cifar-10-batches-bin']);
    expect((await loadCifar10(dir, { expectedLength: 60 })).length).toBe(60);
    expect((await loadCifar10(dir, { train: false, expectedLength: 20 })).length).toBe(20);
  });

  it('does nothing when the folder is already there', async () => {
    const dir = freshDir();
    const first = await downloadCifar10(dir, options10('good'));
    const count = requests.length;
    const again = await downloadCifar10(dir, options10('good'));
    expect(requests.length).toBe(count);
    expect(again).toEqual({ folder: first.folder, downloaded: false, record: first.record });
  });

  it('refuses to replace a folder that is there but incomplete', async () => {
    const dir = freshDir();
    await mkdir(join(dir, 'cifar-10-batches-bin'), { recursive: true });
    const err = await rejection(downloadCifar10(dir, options10('good')));
    expect(err).toBeInstanceOf(CifarFormatError);
    expect(err.message).toMatch(/exists but is not a complete CIFAR-10 folder .*remove it to download again/);
  });

  it('rejects a corrupted file by its MD5 and deletes it', async () => {
    const dir = freshDir();
    const err = await rejection(downloadCifar10(dir, options10('corrupt')));
    expect(err).toBeInstanceOf(DownloadError);
    expect(err.message).toContain(`expected ${md5(tarball10())}`);
    expect(err.message).toMatch(/MD5 of the \d+ bytes received is [0-9a-f]{32}/);
    expect(await readdir(dir)).toEqual([]);
  });

  it('checks the published MD5 unless told otherwise, and a given SHA-256', async () => {
    const dir = freshDir();
    const err = await rejection(downloadCifar10(dir, { url: `${base}/good/cifar-10-binary.tar.gz` }));
    expect(err.message).toContain('expected c32a1d4ab5d03f1284b67883e8d87530');
    const wrongSha = await rejection(downloadCifar10(dir, options10('good', { sha256: '0'.repeat(64) })));
    expect(wrongSha.message).toMatch(/SHA256 of the \d+ bytes received is [0-9a-f]{64}; expected 0{64}/);
    await downloadCifar10(dir, options10('good', { sha256: sha256(tarball10()) }));
  });

  it('resumes with a Range request after a dropped connection', async () => {
    const dir = freshDir();
    await downloadCifar10(dir, options10('truncate-once'));
    const seen = requestsFor('truncate-once');
    expect(seen.map((r) => r.range)).toEqual([undefined, `bytes=${Math.floor(tarball10().length / 3)}-`]);
    expect((await loadCifar10(dir, { expectedLength: 60 })).length).toBe(60);
  });

  it('gives up after its retries, keeping the part for a later call to resume', async () => {
    const dir = freshDir();
    const err = await rejection(downloadCifar10(dir, options10('truncate-always', { retries: 1 })));
    expect(err).toBeInstanceOf(DownloadError);
    expect((err as DownloadError).retryable).toBe(true);
    expect(err.message).toContain(`${base}/truncate-always/cifar-10-binary.tar.gz`);
    const part = join(dir, 'cifar-10-binary.tar.gz.part');
    // Its retry asked for the rest, got the whole file again (200) and again only a third of it.
    expect(requestsFor('truncate-always').map((r) => r.range)).toEqual([undefined, `bytes=${Math.floor(tarball10().length / 3)}-`]);
    expect((await stat(part)).size).toBe(Math.floor(tarball10().length / 3));
    // A later call to a server that allows ranges asks only for the rest.
    const before = requestsFor('good').length;
    await downloadCifar10(dir, options10('good'));
    expect(requestsFor('good').slice(before).map((r) => r.range)).toEqual([`bytes=${Math.floor(tarball10().length / 3)}-`]);
    expect(await readdir(dir)).toEqual(['cifar-10-batches-bin']);
  });

  it('starts over when the server ignores Range', async () => {
    const dir = freshDir();
    await mkdir(dir);
    await writeFile(join(dir, 'cifar-10-binary.tar.gz.part'), tarball10().subarray(0, 5000));
    await downloadCifar10(dir, options10('no-range'));
    expect(requestsFor('no-range').at(-1)!.range).toBe('bytes=5000-');
    // Appending the whole file to the 5000 bytes would have failed the MD5.
    expect((await loadCifar10(dir, { expectedLength: 60 })).length).toBe(60);
  });

  it('treats an already complete part as done (416)', async () => {
    const dir = freshDir();
    await mkdir(dir);
    await writeFile(join(dir, 'cifar-10-binary.tar.gz.part'), tarball10());
    const result = await downloadCifar10(dir, options10('good'));
    expect(result.downloaded).toBe(true);
  });

  it('follows a slow server to the end, reporting progress on the way', async () => {
    const dir = freshDir();
    const progress: DownloadProgress[] = [];
    await downloadCifar10(dir, options10('slow', { onProgress: (p: DownloadProgress) => progress.push(p) }));
    expect(progress.length).toBeGreaterThanOrEqual(Math.floor(tarball10().length / 4096));
    const bytes = progress.map((p) => p.bytes);
    expect(bytes).toEqual([...bytes].sort((a, b) => a - b));
    expect(progress.every((p) => p.total === tarball10().length && p.rate > 0)).toBe(true);
  });

  it('abandons a stalled transfer and resumes it', async () => {
    const dir = freshDir();
    const err = await rejection(downloadCifar10(dir, options10('stall-once', { stallTimeoutMs: 300, retries: 0 })));
    expect(err).toBeInstanceOf(DownloadError);
    expect(err.message).toMatch(/no data for 300 ms/);
    expect((await stat(join(dir, 'cifar-10-binary.tar.gz.part'))).size).toBe(10_000);
    await downloadCifar10(dir, options10('stall-once', { stallTimeoutMs: 300 }));
    expect(requestsFor('stall-once').map((r) => r.range)).toEqual([undefined, 'bytes=10000-']);
  });

  it('reports an HTTP error with its status and URL, without retrying', async () => {
    const dir = freshDir();
    const err = await rejection(downloadCifar10(dir, options10('missing')));
    expect(err).toBeInstanceOf(DownloadError);
    expect(err.message).toBe(`download of ${base}/missing/cifar-10-binary.tar.gz failed: HTTP 404 Not Found; expected 200 or 206`);
    expect(requestsFor('missing').length).toBe(1);
  });

  it('reports a refused connection', async () => {
    const closed = createServer();
    await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((resolve) => closed.close(resolve));
    const err = await rejection(downloadCifar10(freshDir(), { url: `http://127.0.0.1:${port}/x.tar.gz`, retries: 0 }));
    expect(err).toBeInstanceOf(DownloadError);
    expect(err.message).toMatch(/fetch failed: ECONNREFUSED/);
  });

  it('rejects an archive without the dataset, or not an archive, leaving nothing behind', async () => {
    const dir = freshDir();
    const wrong = await rejection(downloadCifar10(dir, { url: `${base}/good/wrong-content.tar.gz`, md5: md5(tarballs['wrong-content.tar.gz']!) }));
    expect(wrong).toBeInstanceOf(DownloadError);
    expect(wrong.message).toMatch(/the archive does not hold a CIFAR-10 folder 'cifar-10-batches-bin\/'/);
    expect((await readdir(dir)).filter((f) => !f.endsWith('.part'))).toEqual([]);
    const dir2 = freshDir();
    const garbage = await rejection(downloadCifar10(dir2, { url: `${base}/good/not-a-tarball.tar.gz`, md5: md5(tarballs['not-a-tarball.tar.gz']!) }));
    expect(garbage).toBeInstanceOf(DownloadError);
    expect(garbage.message).toMatch(/cannot extract/);
    expect((await readdir(dir2)).filter((f) => !f.endsWith('.part'))).toEqual([]);
  });

  it('takes the mirror from LARGEBATCH_CIFAR_MIRROR; the url option wins over it', async () => {
    const saved = process.env[MIRROR_ENV];
    process.env[MIRROR_ENV] = `${base}/mirror`;
    try {
      const result = await downloadCifar10(freshDir(), { md5: md5(tarball10()) });
      expect(result.record?.url).toBe(`${base}/mirror/cifar-10-binary.tar.gz`);
      const explicit = await downloadCifar10(freshDir(), options10('good'));
      expect(explicit.record?.url).toBe(`${base}/good/cifar-10-binary.tar.gz`);
    } finally {
      if (saved === undefined) delete process.env[MIRROR_ENV];
      else process.env[MIRROR_ENV] = saved;
    }
  });

  it('rejects bad options with the option named', async () => {
    await expect(downloadCifar10(freshDir(), { md5: 'abc' })).rejects.toThrow(/options.md5 must be a hex MD5 digest, got 'abc'/);
    await expect(downloadCifar10(freshDir(), { url: 'not a url' })).rejects.toThrow(/options.url must be an absolute URL, got 'not a url'/);
    await expect(downloadCifar10(freshDir(), { retries: -1 })).rejects.toThrow(/options.retries must be an integer >= 0, got -1/);
  });
});

describe('downloadCifar100', () => {
  it('downloads and extracts cifar-100-binary/', async () => {
    const dir = freshDir();
    const tarball = tarballs['cifar-100-binary.tar.gz']!;
    const result = await downloadCifar100(dir, { url: `${base}/good/cifar-100-binary.tar.gz`, md5: md5(tarball) });
    expect(result.folder).toBe(join(dir, 'cifar-100-binary'));
    const coarse = await loadCifar100(dir, { expectedLength: 30, labels: 'coarse' });
    expect(coarse.classes.length).toBe(20);
    const err = await rejection(downloadCifar100(freshDir(), { url: `${base}/good/cifar-100-binary.tar.gz` }));
    expect(err.message).toContain('expected 03b5dce01913d631647c71ecec9e9cb8');
  });
});
