// Fused log-softmax + cross-entropy on the GPU (softmax.h): one warp per row, 8 rows per
// block of 256 threads. A row's lanes stride over its classes (consecutive lanes read
// consecutive logits) and combine the max, then the double sums of exp(z - max) and of z,
// by warp shuffles (warp_reduce, block_reduce.cuh), so every lane has the row's log-sum-exp;
// forward: lane 0 writes the loss; backward: each lane writes the gradient of its classes.
// The formulas are softmax.h's, shared with the CPU kernel. The labels are checked first
// on the device (index_check.cuh); both kernels write nothing when one was bad.
// Never run on a GPU yet: compiled by nvcc, tested under the emulation.
// Test: test/emu/softmax_test.cc (emulated, against softmax_cpu.cc). Bench: none yet.
#include <string>

#include "../../cuda_emu/cuda.h"
#include "../index/index_check.cuh"
#include "../reduce/block_reduce.cuh"
#include "softmax.h"

namespace lb {
namespace {

constexpr int kWarp = 32, kThreads = 256, kRowsPerBlock = kThreads / kWarp;

template <typename T>
struct MaxLogit {
  __device__ T operator()(T a, T b) const { return ce_max(a, b); }
};

struct RowStats {
  double lse, sum_z;
};

// Every lane of the row's warp gets the row's log-sum-exp and sum of logits.
template <typename T>
__device__ RowStats row_stats(const T* z, int64_t classes, int lane) {
  T m = z[0];
  for (int64_t j = lane; j < classes; j += kWarp) m = ce_max(z[j], m);
  m = warp_reduce(m, MaxLogit<T>{});
  double sum_exp = 0, sum_z = 0;
  for (int64_t j = lane; j < classes; j += kWarp) {
    sum_exp += exp(static_cast<double>(z[j]) - m);
    sum_z += z[j];
  }
  return {ce_logsumexp(m, warp_sum(sum_exp)), warp_sum(sum_z)};
}

// This warp's lane, first row and row step (rows stride by the grid).
struct WarpRow {
  int lane;
  int64_t first, step;
};

__device__ __forceinline__ WarpRow warp_row() {
  return {static_cast<int>(threadIdx.x % kWarp), static_cast<int64_t>(blockIdx.x) * kRowsPerBlock + threadIdx.x / kWarp,
          static_cast<int64_t>(gridDim.x) * kRowsPerBlock};
}

// Whole warps share a row, so the shuffles always see 32 live lanes.
template <typename T>
__global__ void __launch_bounds__(kThreads) ce_forward(CrossEntropyShape s, const T* logits, const int32_t* labels,
                                                       T* loss, const int32_t* bad) {
  if (*bad != -1) return;
  const WarpRow w = warp_row();
  for (int64_t i = w.first; i < s.rows; i += w.step) {
    const T* z = logits + i * s.classes;
    const RowStats st = row_stats(z, s.classes, w.lane);
    if (w.lane == 0) loss[i] = static_cast<T>(ce_loss(s, st.lse, z[labels[i]], st.sum_z));
  }
}

template <typename T>
__global__ void __launch_bounds__(kThreads) ce_backward(CrossEntropyShape s, const T* logits, const int32_t* labels,
                                                        const T* dloss, T* dlogits, const int32_t* bad) {
  if (*bad != -1) return;
  const WarpRow w = warp_row();
  for (int64_t i = w.first; i < s.rows; i += w.step) {
    const T* z = logits + i * s.classes;
    const double lse = row_stats(z, s.classes, w.lane).lse, g = dloss[i];
    const int32_t label = labels[i];
    for (int64_t j = w.lane; j < s.classes; j += kWarp)
      dlogits[i * s.classes + j] = static_cast<T>(ce_grad(s, exp(z[j] - lse), j == label, g));
  }
}

unsigned row_blocks(int64_t rows) { return strided_grid(rows, kRowsPerBlock); }

}  // namespace

Status cross_entropy_forward_cuda(DType type, const CrossEntropyShape& s, const void* logits, const int32_t* labels,
                                  void* loss, int32_t* bad_position, void* stream) {
  LB_RETURN_IF_FAILED(cross_entropy_check(type, s));
  cudaStream_t st = static_cast<cudaStream_t>(stream);
  LB_RETURN_IF_FAILED(check_indices_on_device(s.classes, labels, s.rows, bad_position, st));
  if (s.rows == 0) return Status::Ok();
  if (type == DType::F32)
    LB_LAUNCH(row_blocks(s.rows), kThreads, 0, st, ce_forward<float>)(s, static_cast<const float*>(logits), labels,
                                                                      static_cast<float*>(loss), bad_position);
  else
    LB_LAUNCH(row_blocks(s.rows), kThreads, 0, st, ce_forward<double>)(s, static_cast<const double*>(logits), labels,
                                                                       static_cast<double*>(loss), bad_position);
  return LB_CUDA_CHECK(cudaGetLastError(), "ce_forward");
}

Status cross_entropy_backward_cuda(DType type, const CrossEntropyShape& s, const void* logits, const int32_t* labels,
                                   const void* dloss, void* dlogits, int32_t* bad_position, void* stream) {
  LB_RETURN_IF_FAILED(cross_entropy_check(type, s));
  cudaStream_t st = static_cast<cudaStream_t>(stream);
  LB_RETURN_IF_FAILED(check_indices_on_device(s.classes, labels, s.rows, bad_position, st));
  if (s.rows == 0) return Status::Ok();
  if (type == DType::F32)
    LB_LAUNCH(row_blocks(s.rows), kThreads, 0, st, ce_backward<float>)(
        s, static_cast<const float*>(logits), labels, static_cast<const float*>(dloss), static_cast<float*>(dlogits),
        bad_position);
  else
    LB_LAUNCH(row_blocks(s.rows), kThreads, 0, st, ce_backward<double>)(
        s, static_cast<const double*>(logits), labels, static_cast<const double*>(dloss), static_cast<double*>(dlogits),
        bad_position);
  return LB_CUDA_CHECK(cudaGetLastError(), "ce_backward");
}

}  // namespace lb
