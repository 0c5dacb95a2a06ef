import { CIFAR10_LAYOUT, CIFAR100_LAYOUT, type CifarLayout } from '../format/layout';

/** Where the official tarballs live (https://www.cs.toronto.edu/~kriz/cifar.html). */
export const DEFAULT_BASE_URL = 'https://www.cs.toronto.edu/~kriz/';

/** Environment variable naming a mirror: a base URL that serves the tarballs under their official names. */
export const MIRROR_ENV = 'LARGEBATCH_CIFAR_MIRROR';

/** An official tarball: its file name, published MD5 and the layout it extracts to. */
export interface CifarSource {
  readonly file: string;
  readonly md5: string;
  readonly layout: CifarLayout;
}

export const CIFAR10_SOURCE: CifarSource = { file: 'cifar-10-binary.tar.gz', md5: 'c32a1d4ab5d03f1284b67883e8d87530', layout: CIFAR10_LAYOUT };
export const CIFAR100_SOURCE: CifarSource = { file: 'cifar-100-binary.tar.gz', md5: '03b5dce01913d631647c71ecec9e9cb8', layout: CIFAR100_LAYOUT };

/** The URL to fetch: the `url` option, else the mirror of {@link MIRROR_ENV}, else the official host. */
export function sourceUrl(source: CifarSource, url: string | undefined): string {
  if (url !== undefined) return url;
  const mirror = process.env[MIRROR_ENV];
  const base = mirror !== undefined && mirror !== '' ? mirror : DEFAULT_BASE_URL;
  return new URL(source.file, base.endsWith('/') ? base : `${base}/`).href;
}
