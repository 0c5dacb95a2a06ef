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

  /**
   * Counts the kernel calls that wrote into this storage (kernels.ts bumps it for every
   * output), so that values derived from the contents can be known to be current: the
   * LARS step keeps each weight's ‖w‖² from one step to the next this way. Code that writes
   * through the raw handle must call markWritten() itself.
   */
  version = 0;

  markWritten(): void {
    this.version += 1;
  }

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
