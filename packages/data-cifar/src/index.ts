/**
 * @largebatch/data-cifar: CIFAR-10/100 in the official binary format, verified downloads, a
 * deterministic synthetic set, and a seeded DataLoader that augments off the main thread.
 *
 * @example
 * ```ts
 * import { DataLoader, syntheticCifar } from '@largebatch/data-cifar';
 * const loader = new DataLoader(syntheticCifar({ n: 256 }), { batchSize: 64, shuffle: true, augment: true });
 * for await (const { images, labels } of loader) {
 *   images.dispose();
 *   labels.dispose();
 * }
 * await loader.close();
 * ```
 */
export { CifarError, CifarArgumentError, CifarFormatError, DownloadError } from './errors';
export { type CifarDataset, CHANNELS, HEIGHT, WIDTH, IMAGE_BYTES } from './format/dataset';
export { loadCifar10, loadCifar100, type LoadCifar10Options, type LoadCifar100Options } from './format/read';
export { writeCifarFiles, type WriteCifarOptions } from './format/write';
export { syntheticCifar, type SyntheticCifarOptions } from './synthetic/synthetic';
export { downloadCifar10, downloadCifar100, type DownloadOptions, type DownloadResult, type DownloadRecord } from './download/download';
export type { DownloadProgress } from './download/fetch-resumable';
export { DEFAULT_BASE_URL, MIRROR_ENV } from './download/sources';
export { CIFAR10_NORMALIZATION, type Normalization } from './augment/normalize';
export { DataLoader, type DataLoaderOptions, type Batch } from './loader/data-loader';
