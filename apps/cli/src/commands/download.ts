// `largebatch download`: fetch and verify a CIFAR set into --dir.
import { DownloadError, downloadCifar10, downloadCifar100 } from '@largebatch/data-cifar';

import { CliError } from '../errors';
import type { Reporter } from '../train/reporter';

export async function downloadCommand(options: { dataset: 'cifar10' | 'cifar100'; dir: string }, reporter: Reporter): Promise<string> {
  const progress = reporter.download(options.dataset);
  try {
    const fetch = options.dataset === 'cifar10' ? downloadCifar10 : downloadCifar100;
    const result = await fetch(options.dir, { onProgress: progress.update });
    progress.stop();
    reporter.line(result.downloaded ? `${options.dataset}: downloaded and verified into ${result.folder}` : `${options.dataset}: already in ${result.folder}`);
    return result.folder;
  } catch (e) {
    progress.stop();
    if (e instanceof DownloadError) throw new CliError(`${options.dataset} could not be downloaded: ${e.message.split('\n')[0]}`);
    throw e;
  }
}
