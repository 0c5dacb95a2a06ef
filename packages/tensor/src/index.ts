/**
 * @largebatch/tensor: tensors on CPU and CUDA, reverse-mode autograd, deterministic memory.
 *
 * @example
 * ```ts
 * import { randn, tidy } from '@largebatch/tensor';
 * const w = randn([3, 2], { requiresGrad: true });
 * const loss = tidy(() => randn([4, 3]).matmul(w).pow(2).mean());
 * loss.backward();
 * ```
 */
import './methods';

export { Tensor } from './tensor';
export type { DType, AnyTypedArray } from './dtype';
export type { Device } from './device';
export type { Shape } from './shape';
export type { TensorLike } from './ops/operands';
export type { TensorOptions } from './creation';
export { cuda } from './device';
export {
  TensorError, ShapeError, DTypeError, DeviceError, CudaUnavailableError, ArgumentError, DisposedError, AutogradError,
} from './errors';
export { tensor, zeros, ones, full, randn, rand, arange, zerosLike, onesLike, fullLike } from './creation';
export { manualSeed, getRngState, setRngState } from './random';
export { tidy, keep, memory } from './memory';
export { noGrad, isGradEnabled } from './autograd/grad-mode';
export { setNumThreads, getNumThreads } from '@largebatch/cuda-kernels';
export { castTo, clone, contiguous, detach } from './ops/cast';
export { add, sub, mul, div, pow, maximum, minimum, eq, ne, lt, le, gt, ge } from './ops/elementwise/binary';
export { neg, exp, log, sqrt, abs, sign, clamp, powScalar } from './ops/elementwise/unary';
export { where } from './ops/elementwise/where';
export { sum, mean, max, min, argmax, argmin } from './ops/reduce/reduce';
export { sumToShape } from './ops/reduce/sum-to-shape';
export { matmul } from './ops/matmul/matmul';
export { reshape, view, permute, transpose, expand, unsqueeze, squeeze, flatten, slice } from './ops/views/views';
export { cat, stack } from './ops/join/join';
export { pad } from './ops/pad/pad';
export { flip } from './ops/flip/flip';
export { indexSelect } from './ops/index-select/index-select';
export { softmax, logSoftmax } from './ops/softmax/softmax';
export { softmaxCrossEntropy, type SoftmaxCrossEntropyOptions } from './ops/softmax/cross-entropy';
export { toDevice } from './ops/device/to-device';
export { conv2d, type Conv2dOptions } from './ops/conv2d/conv2d';
export { batchNorm2d, batchNorm2dRelu, type BatchNormOptions } from './ops/batch-norm/batch-norm';
export { maxPool2d, avgPool2d, adaptiveAvgPool2d, type Pool2dOptions, type AvgPool2dOptions } from './ops/pool/pool';
export { relu, addRelu } from './ops/activation/activation';
export { linear } from './ops/linear/linear';
export { dropout } from './ops/dropout/dropout';
export { cropFlipNormalize, type CropFlipNormalizeOptions } from './ops/augment/crop-flip-normalize';
export type { Pair } from './ops/spatial';
export { copy_, fill_, zero_, add_, sub_, mul_, div_ } from './ops/inplace/inplace';
export { record, needsGrad } from './autograd/record';
export * as testing from './testing/index';
