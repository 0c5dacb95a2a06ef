import { native, type BufferHandle } from '@largebatch/cuda-kernels';

import { type Device, deviceCode } from './device';

/** Live storage, for memory(). */
export const storageStats = { count: 0, bytes: 0 };

/**
 * One native buffer, shared by a tensor and its views; freed when the last one lets go.
 * Autograd's saved tensors hold it too, so disposing a tensor never breaks a pending
 * backward.
 */
export class Storage {
  readonly handle: BufferHandle;
  private refs = 0;

  constructor(
    readonly bytes: number,
    readonly device: Device,
  ) {
    this.handle = native.alloc(deviceCode(device), bytes);
    storageStats.count += 1;
    storageStats.bytes += bytes;
  }

  private freed = false;

  retain(): void {
    this.refs += 1;
  }

  release(): void {
    this.refs -= 1;
    if (this.refs === 0 && !this.freed) {
      this.freed = true;
      native.free(this.handle);
      storageStats.count -= 1;
      storageStats.bytes -= this.bytes;
    }
  }
}
