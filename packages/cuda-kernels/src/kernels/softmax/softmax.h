// Fused log-softmax + cross-entropy over the rows of contiguous logits z [rows, classes]
// with int32 labels y [rows], as @largebatch/nn's crossEntropy with reduction 'none' (and
// torch.nn.functional.cross_entropy), label smoothing eps included:
//   lse_i  = log sum_j exp(z_ij)                          (max-shifted)
//   loss_i = lse_i - (1 - eps) z_{i,y_i} - eps mean_j z_ij
//          = (1 - eps) (-log p_{i,y_i}) + eps mean_j (-log p_ij)
//   dz_ij  = (p_ij - (1 - eps) [j == y_i] - eps / classes) dloss_i,   p_ij = exp(z_ij - lse_i)
// Mean or sum over the batch is the caller's (dloss_i = 1 / rows, or 1). The sums run in
// double whatever the dtype, so the CPU and the GPU agree to a few float32 roundings.
// float32 and float64 (loss, dloss and dz in the logits' dtype).
// A label outside [0, classes) fails on the CPU naming its position and value, before
// anything is written. On the GPU (softmax_cuda.cu), since the labels are device memory and
// the host is not made to wait, it is reported through a device int32 instead (the lowest
// position holding one, or -1, as index_cuda does), and nothing is written then either.
// softmax_cpu.cc: parallel over rows. softmax_cuda.cu: one warp per row, warp-shuffle
// reductions (block_reduce.cuh). Test: test/emu/softmax_test.cc. Bench: bench/tensor-ops.ts (CPU).
#pragma once
#include <math.h>

#include <cstdint>

#include "../../core/dtype.h"
#include "../../core/host_device.h"
#include "../../core/status.h"

namespace lb {

struct CrossEntropyShape {
  int64_t rows, classes;
  double label_smoothing;  // eps in [0, 1]
};

// Ok when 0 <= rows < 2^31, 1 <= classes < 2^31 and eps is in [0, 1].
Status cross_entropy_check(DType type, const CrossEntropyShape& s);

// loss [rows] = the per-row losses.
Status cross_entropy_forward_cpu(DType type, const CrossEntropyShape& s, const void* logits, const int32_t* labels,
                                 void* loss);
// dlogits [rows, classes] = the gradient of sum_i loss_i * dloss_i (overwritten).
Status cross_entropy_backward_cpu(DType type, const CrossEntropyShape& s, const void* logits, const int32_t* labels,
                                  const void* dloss, void* dlogits);

// The same on the GPU: logits, labels, loss, dloss, dlogits and bad_position (one int32)
// are device memory, stream a cudaStream_t (null: the default stream); queued, nothing waits.
Status cross_entropy_forward_cuda(DType type, const CrossEntropyShape& s, const void* logits, const int32_t* labels,
                                  void* loss, int32_t* bad_position, void* stream);
Status cross_entropy_backward_cuda(DType type, const CrossEntropyShape& s, const void* logits, const int32_t* labels,
                                   const void* dloss, void* dlogits, int32_t* bad_position, void* stream);

// The larger of two logits, NaN if either is (so a NaN logit makes its row's loss NaN).
template <typename T>
LB_HOST_DEVICE inline T ce_max(T a, T b) {
  return a > b || a != a ? a : b;
}

// The formulas above from a row's max m, sum_exp = sum_j exp(z_ij - m) and sum_z = sum_j z_ij,
// shared by both kernels.
LB_HOST_DEVICE inline double ce_logsumexp(double m, double sum_exp) { return m + log(sum_exp); }

LB_HOST_DEVICE inline double ce_loss(const CrossEntropyShape& s, double lse, double z_label, double sum_z) {
  return lse - (1 - s.label_smoothing) * z_label - s.label_smoothing * sum_z / static_cast<double>(s.classes);
}

// dz from p = exp(z - lse).
LB_HOST_DEVICE inline double ce_grad(const CrossEntropyShape& s, double p, bool is_label, double dloss) {
  const double target = (is_label ? 1 - s.label_smoothing : 0.0) + s.label_smoothing / static_cast<double>(s.classes);
  return (p - target) * dloss;
}

}  // namespace lb
