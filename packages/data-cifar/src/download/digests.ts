import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';

/** MD5 and SHA-256 (hex) of a file, in one streaming pass. */
export async function fileDigests(path: string): Promise<{ md5: string; sha256: string }> {
  const md5 = createHash('md5');
  const sha256 = createHash('sha256');
  for await (const chunk of createReadStream(path)) {
    md5.update(chunk as Buffer);
    sha256.update(chunk as Buffer);
  }
  return { md5: md5.digest('hex'), sha256: sha256.digest('hex') };
}
