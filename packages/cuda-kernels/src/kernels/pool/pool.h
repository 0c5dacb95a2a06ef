// 2-d pooling of a contiguous [planes, H, W] array (NCHW with N*C merged) into
// [planes, P, Q], as torch.nn.functional's max_pool2d, avg_pool2d and adaptive_avg_pool2d:
//   max:          y = the window's maximum (padding never wins, NaN does); indices (int32)
//                 = ih*W + iw of the first maximum in row-major window order
//   avg:          y = the window's sum / its size counting padding (count_include_pad)
//   avg_exclude:  y = the window's sum / its in-bounds size
//   adaptive_avg: rows [floor(p H / P), ceil((p + 1) H / P)), columns likewise; y = the mean
// Fixed windows are p*stride - pad + [0, kernel) (floor mode), clipped to the input; the
// adaptive modes ignore kernel, stride and pad. Backward overwrites dx: max adds dy at its
// index (an index outside the plane fails before anything is written), the averages
// spread dy / divisor over their windows. float32 and float64. pool_cpu.cc implements them
// on the CPU, pool_cuda.cu on the GPU (the same results, bit for bit, for the indices the
// forward writes); the windows are pool_window.h, shared by both.
// Bench: `npx tsx bench/conv.ts` from the repo root.
#pragma once
#include <cstdint>

#include "../../core/dtype.h"
#include "../../core/status.h"

namespace lb {

enum class PoolMode : int { Max = 0, Avg = 1, AvgExcludePad = 2, AdaptiveAvg = 3 };

struct Pool2dShape {
  int64_t planes, h, w, p, q;
  int64_t kernel_h, kernel_w, stride_h, stride_w, pad_h, pad_w;
};

// Ok when the sizes are positive (planes may be 0), pad <= kernel / 2 and p, q are the
// output sizes the window implies (fixed modes).
Status pool2d_check(PoolMode mode, const Pool2dShape& s);

// indices is written in Max mode only (and may be null in the others).
Status pool2d_forward_cpu(DType type, PoolMode mode, const Pool2dShape& s, const void* x, void* y, int32_t* indices);
// indices is read in Max mode only.
Status pool2d_backward_cpu(DType type, PoolMode mode, const Pool2dShape& s, const void* dy, const int32_t* indices,
                           void* dx);

// The same on the GPU: x, y, indices, dy, dx and bad_position are device memory, stream a
// cudaStream_t (null: the default stream); the kernels are queued, nothing waits for them.
// Since the indices are device memory, max pooling's backward reports a bad index through
// bad_position (one int32, as index_cuda does; read in Max mode only, may be null in the
// others): the lowest position whose index lies outside its own window (so every index
// outside the plane, and any the forward cannot have written), or -1; dx is not written
// when there is one. Every dx pixel gathers its windows' gradients in the CPU's order
// (deterministic, no atomics).
Status pool2d_forward_cuda(DType type, PoolMode mode, const Pool2dShape& s, const void* x, void* y, int32_t* indices,
                           void* stream);
Status pool2d_backward_cuda(DType type, PoolMode mode, const Pool2dShape& s, const void* dy, const int32_t* indices,
                            void* dx, int32_t* bad_position, void* stream);

}  // namespace lb
