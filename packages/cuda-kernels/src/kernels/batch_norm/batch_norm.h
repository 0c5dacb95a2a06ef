// Batch normalisation over the channels of a contiguous [N, C, HW] array (NCHW with the
// spatial dims merged), as torch.nn.functional.batch_norm, optionally fused with a ReLU:
//   y = act((x - mean_c) * invstd_c * weight_c + bias_c),  invstd_c = 1 / sqrt(var_c + eps)
// Training: mean and biased var of each channel over its M = N*HW values, summed in double
// in one pass (shifted by the channel's first value against cancellation); the running
// statistics, when given, are updated in place as PyTorch does:
//   running_mean = (1 - m) running_mean + m mean,
//   running_var  = (1 - m) running_var + m var M / (M - 1)   (unbiased).
// Eval: mean and var are the running ones. Both modes save mean and invstd per channel.
// Backward, dy masked by y > 0 first when the ReLU was fused (xhat = (x - mean) invstd):
//   dbias = sum dy,  dweight = sum dy xhat,
//   dx = weight invstd (dy - dbias / M - xhat dweight / M)  (training)
//   dx = weight invstd dy                                   (eval)
// weight and bias may be null (1 and 0). float32 and float64; per-channel sums in double.
// CUDA (batch_norm_cuda.cu): the same on device memory, one block per channel.
// Bench: `npx tsx bench/conv.ts` from the repo root.
#pragma once
#include <cstdint>

#include "../../core/dtype.h"
#include "../../core/status.h"

namespace lb {

struct BatchNormShape {
  int64_t n, c, hw;
};

struct BatchNormOptions {
  bool training, relu;
  double eps, momentum;
};

struct BatchNormForward {
  const void* x;
  const void* weight;  // may be null
  const void* bias;    // may be null
  void* running_mean;  // training: updated when not null; eval: read
  void* running_var;
  void* y;
  void* save_mean;
  void* save_invstd;
};

struct BatchNormBackward {
  const void* dy;
  const void* x;
  const void* y;       // read for the ReLU mask
  const void* weight;  // may be null
  const void* save_mean;
  const void* save_invstd;
  void* dx;       // each output may be null
  void* dweight;
  void* dbias;
};

Status batch_norm_forward_cpu(DType type, const BatchNormShape& s, const BatchNormOptions& o, const BatchNormForward& t);
Status batch_norm_backward_cpu(DType type, const BatchNormShape& s, const BatchNormOptions& o, const BatchNormBackward& t);

// Every pointer is device memory; stream is a cudaStream_t (null: the default stream).
Status batch_norm_forward_cuda(DType type, const BatchNormShape& s, const BatchNormOptions& o,
                               const BatchNormForward& t, void* stream);
Status batch_norm_backward_cuda(DType type, const BatchNormShape& s, const BatchNormOptions& o,
                                const BatchNormBackward& t, void* stream);

}  // namespace lb
