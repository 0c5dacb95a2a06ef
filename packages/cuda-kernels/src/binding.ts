/**
 * The typed interface of the native addon. It mirrors the exports of src/addon/*.cc one
 * for one; shapes, broadcasting and dtype rules live in @largebatch/tensor.
 *
 * Every kernel export runs on the device of the buffers it is given: all CPU buffers run
 * the CPU kernel, all CUDA buffers the CUDA kernel on the device's one stream (the call
 * returns once the work is queued); buffers on both devices in one call are an error
 * naming the argument.
 */

/** An opaque handle to one native allocation (CPU or CUDA). */
export interface BufferHandle {
  readonly __brand: 'largebatch.BufferHandle';
}

/** An opaque handle to one param group's optimizer step state (optimState). */
export interface OptimStateHandle {
  readonly __brand: 'largebatch.OptimStateHandle';
}

/** Element type codes shared with src/core/dtype.h. */
export const DTypeCode = { float32: 0, float64: 1, int32: 2, uint8: 3 } as const;
/** Device codes shared with src/core/buffer.h. */
export const DeviceCode = { cpu: 0, cuda: 1 } as const;

/** Unary op codes shared with src/kernels/elementwise/elementwise.h. */
export const UnaryOp = { copy: 0, neg: 1, exp: 2, log: 3, sqrt: 4, abs: 5, pow: 6, clamp: 7, sign: 8, fill: 9 } as const;
/** Binary op codes shared with src/kernels/elementwise/elementwise.h. */
export const BinaryOp = {
  add: 0, sub: 1, mul: 2, div: 3, pow: 4, maximum: 5, minimum: 6,
  eq: 7, ne: 8, lt: 9, le: 10, gt: 11, ge: 12,
} as const;
/** Reduce op codes shared with src/kernels/reduce/reduce.h. */
export const ReduceOp = { sum: 0, max: 1, min: 2, argmax: 3, argmin: 4 } as const;
/** Optimizer variants shared with src/kernels/optim/optim.h. */
export const OptimVariantCode = { sgd: 0, larsPaper: 1, larsStudy: 2 } as const;
/** Per-tensor flag bits of optimStep, shared with src/kernels/optim/optim.h. */
export const OptimFlag = { excluded: 1, momentumReady: 2, nonFinite: 4 } as const;
/** Distributions shared with src/kernels/random/random.h. */
export const Distribution = { uniform: 0, normal: 1 } as const;
/** conv2d ops (src/addon/bind_convnet.cc). */
export const Conv2dOp = { forward: 0, backwardData: 1, backwardWeight: 2 } as const;
/** batchNorm ops (src/addon/bind_convnet.cc). */
export const BatchNormOp = { forward: 0, backward: 1 } as const;
/** pool2d ops (src/addon/bind_convnet.cc). */
export const PoolOp = { forward: 0, backward: 1 } as const;
/** Pooling modes shared with src/kernels/pool/pool.h. */
export const PoolMode = { max: 0, avg: 1, avgExcludePad: 2, adaptiveAvg: 3 } as const;
/** crossEntropy ops (src/addon/bind_convnet.cc). */
export const CrossEntropyOp = { forward: 0, backward: 1 } as const;
/** Activation ops shared with src/kernels/activation/activation.h. */
export const ActivationOp = { relu: 0, addRelu: 1, reluBackward: 2 } as const;

type Strides = readonly number[];
/** Buffer handles of a call's tensors (null where optional), with their element offsets alongside. */
type Handles = readonly (BufferHandle | null)[];

export interface NativeAddon {
  alloc(device: number, bytes: number): BufferHandle;
  free(buffer: BufferHandle): void;
  write(buffer: BufferHandle, byteOffset: number, data: ArrayBufferView): void;
  read(buffer: BufferHandle, byteOffset: number, into: ArrayBufferView): void;
  copy(dst: BufferHandle, dstByteOffset: number, src: BufferHandle, srcByteOffset: number, bytes: number): void;

  setNumThreads(n: number): void;
  getNumThreads(): number;
  cpuInfo(): { simd: 'avx512' | 'avx2' | 'portable'; sgemmKernel: string };
  /** The float32 FMA peak in GFLOP/s on `threads` threads, measured for about `seconds` (blocks). */
  measureFmaPeak(threads: number, seconds: number): number;
  /** built: compiled with CUDA or its emulation; emulated: the CUDA kernels run on the CPU (LARGEBATCH_CUDA_EMULATE=1 build). */
  cudaInfo(): { built: boolean; available: boolean; emulated: boolean; deviceCount: number; reason: string };
  /** Waits for the CUDA device's stream. */
  cudaSync(): void;
  /**
   * CUDA memory taken through `alloc` and kernels' scratch (conv2d's split-K partial sums
   * included), as requested, counted when the host issues
   * each allocation and free: bytes in use now, and the most in use at once since start-up
   * or the last `cudaResetPeakMemory()`. Zeros without CUDA.
   */
  cudaMemoryStats(): { inUseBytes: number; peakBytes: number };
  /** Starts a new peak for `cudaMemoryStats()` from the bytes in use now. */
  cudaResetPeakMemory(): void;
  /**
   * Waits for the stream, then hands the device pool's cached free memory back to the
   * device (for another process on the same GPU), as `torch.cuda.empty_cache()`. The
   * emulated device caches nothing.
   */
  cudaEmptyCache(): void;

  unary(
    op: number, inType: number, outType: number, shape: readonly number[],
    out: BufferHandle, outOffset: number, outStrides: Strides,
    input: BufferHandle, inOffset: number, inStrides: Strides,
    p0: number, p1: number,
  ): void;
  binary(
    op: number, type: number, shape: readonly number[],
    out: BufferHandle, outOffset: number, outStrides: Strides,
    a: BufferHandle, aOffset: number, aStrides: Strides,
    b: BufferHandle, bOffset: number, bStrides: Strides,
  ): void;
  where(
    type: number, shape: readonly number[],
    out: BufferHandle, outOffset: number, outStrides: Strides,
    cond: BufferHandle, condOffset: number, condStrides: Strides,
    a: BufferHandle, aOffset: number, aStrides: Strides,
    b: BufferHandle, bOffset: number, bStrides: Strides,
  ): void;
  reduce(op: number, type: number, outer: number, size: number, inner: number, input: BufferHandle, inOffset: number, out: BufferHandle): void;
  /** params: [batch, m, n, k, transA, transB, lda, ldb, ldc, aBatchStride, bBatchStride, cBatchStride, aOffset, bOffset, cOffset] */
  matmul(type: number, params: readonly number[], a: BufferHandle, b: BufferHandle, c: BufferHandle): void;
  randomFill(dist: number, type: number, out: BufferHandle, offset: number, n: number, seed: number, counter: number, a: number, b: number): void;
  indexSelect(type: number, outer: number, dim: number, inner: number, src: BufferHandle, srcOffset: number, idx: BufferHandle, idxOffset: number, nIdx: number, dst: BufferHandle, dstOffset: number): void;
  indexAdd(type: number, outer: number, dim: number, inner: number, src: BufferHandle, srcOffset: number, idx: BufferHandle, idxOffset: number, nIdx: number, dst: BufferHandle, dstOffset: number): void;
  /**
   * 2-d convolution (src/kernels/conv2d/conv2d.h) on contiguous NCHW tensors.
   * shape: [n, c, h, w, k, r, s, p, q, strideH, strideW, padH, padW, dilH, dilW, groups];
   * handles: forward [x, w, y, bias?], backwardData [dy, w, dx], backwardWeight [x, dy, dw?, dbias?].
   */
  conv2d(op: number, type: number, shape: readonly number[], handles: Handles, offsets: readonly number[]): void;
  /**
   * Batch normalisation over [n, c, hw] (src/kernels/batch_norm/batch_norm.h).
   * options: [training, relu, eps, momentum]; handles: forward [x, weight?, bias?,
   * runningMean?, runningVar?, y, saveMean, saveInvstd], backward [dy, x, y?, weight?,
   * saveMean, saveInvstd, dx?, dweight?, dbias?].
   */
  batchNorm(op: number, type: number, shape: readonly number[], options: readonly number[], handles: Handles, offsets: readonly number[]): void;
  /**
   * 2-d pooling of [planes, h, w] (src/kernels/pool/pool.h). shape: [planes, h, w, p, q,
   * kh, kw, sh, sw, ph, pw]; handles: forward [x, y, indices?], backward [dy, indices?, dx].
   */
  pool2d(op: number, mode: number, type: number, shape: readonly number[], handles: Handles, offsets: readonly number[]): void;
  /** Fused activations over n contiguous values (src/kernels/activation/activation.h); handles [a, b?, out]. */
  activation(op: number, type: number, n: number, handles: Handles, offsets: readonly number[]): void;
  /**
   * Fused log-softmax + cross-entropy over the rows of contiguous logits [rows, classes] with
   * int32 labels (src/kernels/softmax/softmax.h): per-row losses, or the logits' gradient for
   * per-row loss gradients. handles: forward [logits, labels, loss]; backward [logits, labels,
   * dloss, dlogits]. A label outside [0, classes) fails naming its position, nothing written.
   */
  crossEntropy(op: number, type: number, shape: readonly [number, number], labelSmoothing: number, handles: Handles, offsets: readonly number[]): void;
  /**
   * Fused training-image augmentation (src/kernels/augment/augment.h): uint8 images
   * (layout 0: NCHW, 1: NHWC) cropped from a zero padding of `pad` px at per-image offsets
   * top/left in [0, 2·pad], mirrored where flip is non-zero, and normalised per channel
   * ((v / 255 − mean) / std in float32 steps) into float32 [n, c, h, w]. shape [n, c, h, w,
   * pad, layout]; mean and std one per channel (1 to 4); handles [images, top, left, flip
   * (int32 [n] each), out].
   */
  augment(shape: readonly number[], mean: readonly number[], std: readonly number[], handles: Handles, offsets: readonly number[]): void;
  /**
   * Fused optimizer step over a group of float32 tensors (src/kernels/optim/optim.h).
   * hyper: [lr, momentum, dampening, weightDecay, trustCoefficient, eps, clip, nesterov];
   * layout: per tensor [paramOffset, gradOffset, momentumOffset, size] in elements; flags
   * (OptimFlag bits) are read and written. weightSq (one per tensor, or null) is read and
   * written: ‖w‖² known before the step (NaN: unknown, LARS sums w), ‖w‖² after it (NaN
   * for SGD and on CUDA); reset an entry to NaN whenever anything else writes that tensor.
   * `state` is the group's (optimState(n)). Returns the first tensor index whose gradient
   * holds NaN/Inf, or -1. On CUDA nothing waits for the device: it returns -1, and
   * optimCollect must fetch the step's flags and report before the group's next step.
   */
  optimStep(
    variant: number, hyper: Float64Array,
    params: readonly BufferHandle[], grads: readonly (BufferHandle | null)[], momenta: readonly (BufferHandle | null)[] | null,
    layout: Float64Array, flags: Uint8Array, ratios: BufferHandle | null, ratiosOffset: number,
    weightSq: Float64Array | null, state: OptimStateHandle,
  ): number;
  /** The step state of a group of n tensors, for optimStep; unused on the CPU. */
  optimState(n: number): OptimStateHandle;
  /** Frees a state's pinned read-back memory (waiting for a copy in flight); idempotent. */
  optimStateFree(state: OptimStateHandle): void;
  /**
   * -1 when no CUDA step of the group is pending; otherwise waits for the last one (that
   * step alone, not the stream), writes its flags into `flags` and returns its report: the
   * first tensor index whose gradient held NaN/Inf, or -1.
   */
  optimCollect(state: OptimStateHandle, flags: Uint8Array): number;
}
