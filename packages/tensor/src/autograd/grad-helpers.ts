import { copyStrided, runBinary } from '../kernels';
import { Tensor } from '../tensor';

/** dst += src in place (dst's storage is kept, as PyTorch accumulates .grad). */
export function accumulateInto(dst: Tensor, src: Tensor): void {
  runBinary('add', dst, dst, src);
}

export function cloneTensor(t: Tensor): Tensor {
  const out = Tensor.empty(t.shape, t.dtype, t.device);
  copyStrided(out, t);
  return out;
}
