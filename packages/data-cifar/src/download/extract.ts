import { mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

import { x as untar } from 'tar';

import { CifarFormatError, DownloadError } from '../errors';
import type { CifarLayout } from '../format/layout';
import { checkCifarFolder } from '../format/read';

/**
 * Extracts `layout.folder` from the gzipped tarball `archive` into `dir`: first into a
 * temporary folder beside it, where the files are checked and `record` is written as
 * `download.json`, then renamed into place in one step, so that an interrupted extraction
 * never leaves half a dataset. Entries outside that folder, links and devices are skipped.
 */
export async function extractDataset(archive: string, dir: string, layout: CifarLayout, url: string, record: object): Promise<string> {
  const temporary = await mkdtemp(join(dir, `.${layout.folder}-`));
  try {
    const inside = (path: string): boolean => {
      const clean = path.replace(/^\.\//, '');
      return clean === layout.folder || clean.startsWith(`${layout.folder}/`);
    };
    try {
      await untar({ file: archive, cwd: temporary, strict: true, filter: (path, entry) => inside(path) && 'type' in entry && (entry.type === 'File' || entry.type === 'Directory') });
    } catch (err) {
      throw new DownloadError(`${url}: cannot extract ${archive}: ${(err as Error).message}`, url, { cause: err });
    }
    const extracted = join(temporary, layout.folder);
    try {
      await checkCifarFolder(extracted, layout);
    } catch (err) {
      if (!(err instanceof CifarFormatError)) throw err;
      throw new DownloadError(`${url}: the archive does not hold a ${layout.name} folder '${layout.folder}/': ${err.message}`, url, { cause: err });
    }
    await writeFile(join(extracted, 'download.json'), `${JSON.stringify(record, null, 2)}\n`);
    const folder = join(dir, layout.folder);
    await rename(extracted, folder);
    return folder;
  } finally {
    await rm(temporary, { recursive: true, force: true });
  }
}
