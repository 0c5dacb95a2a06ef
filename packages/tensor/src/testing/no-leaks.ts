import { memory } from '../memory';

/**
 * Runs `fn` and throws if it leaves more live tensors or storage bytes than before
 * (the TF.js check that every op and optimizer test makes).
 */
export function expectNoLeaks<T>(fn: () => T): T {
  const before = memory();
  const result = fn();
  const after = memory();
  if (after.numTensors !== before.numTensors || after.numBytes !== before.numBytes) {
    throw new Error(
      `leak: ${after.numTensors - before.numTensors} tensors and ${after.numBytes - before.numBytes} bytes more than before`,
    );
  }
  return result;
}
