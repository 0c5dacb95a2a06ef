import { type Device, cuda } from '../device';

/** A test runner's `describe` (vitest's, jest's or mocha's). */
export type DescribeFn = (name: string, body: () => void) => void;

/** The devices that device tests run on: 'cpu', and 'cuda' when it can be used (a GPU, or the emulated build). */
export function testDevices(): Device[] {
  return cuda.isAvailable() ? ['cpu', 'cuda'] : ['cpu'];
}

/**
 * One test body per device: runs `body(device)` inside `describe(\`${name} on ${device}\`)`
 * for every device of {@link testDevices}, so an op's tests also check its CUDA kernels
 * wherever CUDA is available (with the emulated addon, on any x86-64 CPU). The body
 * creates its tensors on `device` and compares them with a reference as on the CPU.
 *
 * @example
 * ```ts
 * import { describe, expect, it } from 'vitest';
 * import { tensor, testing } from '@largebatch/tensor';
 *
 * testing.describeEachDevice(describe, 'add', (device) => {
 *   it('adds', () => {
 *     const a = tensor([1, 2], { device });
 *     expect(a.add(a).toArray()).toEqual([2, 4]);
 *     a.dispose();
 *   });
 * });
 * ```
 */
export function describeEachDevice(describe: DescribeFn, name: string, body: (device: Device) => void): void {
  for (const device of testDevices()) describe(`${name} on ${device}`, () => body(device));
}
