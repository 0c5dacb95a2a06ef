import { native } from '@largebatch/cuda-kernels';

import { record } from '../../autograd/record';
import { bytesPerElement } from '../../dtype';
import { type Device, checkDevice } from '../../device';
import { tidy } from '../../memory';
import { Tensor } from '../../tensor';
import { contiguous } from '../cast';
import { checkTensor } from '../operands';

/**
 * A copy of `x` on `device` (`x` itself when it is there already); the gradient moves
 * back. Fails with CudaUnavailableError, giving the reason, when CUDA cannot be used.
 *
 * @example
 * ```ts
 * import { randn, cuda } from '@largebatch/tensor';
 * const x = randn([2, 2]);
 * const y = cuda.isAvailable() ? x.to('cuda') : x;
 * ```
 */
export function toDevice(x: Tensor, device: Device): Tensor {
  checkTensor('to', 'x', x);
  checkDevice('to', 'device', device);
  if (x.device === device) return x;
  const from = x.device;
  return tidy(() => {
    const src = contiguous(x);
    const out = Tensor.empty(x.shape, x.dtype, device);
    const size = bytesPerElement(x.dtype);
    native.copy(out.storage.handle, 0, src.storage.handle, src.offset * size, x.numel * size);
    return record('to', out, [x], [], (g) => [toDevice(g, from)]);
  });
}
