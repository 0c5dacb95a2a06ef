// The device-side check of int32 indices (or labels) against [0, dim), for .cu kernels
// whose host must not wait for the device (index_cuda.cu, softmax_cuda.cu): the lowest
// position holding a bad one is written to a device int32 (-1: none) by atomicMin, with
// positions as unsigned so that -1 is the largest. The kernels that follow read the report
// and write nothing when it is not -1.
#pragma once
#include <cstdint>

#include "../../cuda_emu/cuda.h"

namespace lb {
namespace {  // a copy per .cu file: each is its own device module

constexpr int kIndexCheckThreads = 256;

__global__ void __launch_bounds__(kIndexCheckThreads) index_check(int64_t dim, const int32_t* idx, int64_t n_idx,
                                                                  unsigned* bad) {
  for (int64_t j = static_cast<int64_t>(blockIdx.x) * kIndexCheckThreads + threadIdx.x; j < n_idx;
       j += static_cast<int64_t>(gridDim.x) * kIndexCheckThreads) {
    if (idx[j] < 0 || idx[j] >= dim) atomicMin(bad, static_cast<unsigned>(j));
  }
}

// Resets the report to -1 and queues the check of idx[0, n_idx).
Status check_indices_on_device(int64_t dim, const int32_t* idx, int64_t n_idx, int32_t* bad, cudaStream_t s) {
  LB_RETURN_IF_FAILED(LB_CUDA_CHECK(cudaMemsetAsync(bad, 0xFF, sizeof(int32_t), s), "index_check: cudaMemsetAsync"));
  if (n_idx == 0) return Status::Ok();
  LB_LAUNCH(strided_grid(n_idx, kIndexCheckThreads), kIndexCheckThreads, 0, s, index_check)(
      dim, idx, n_idx, reinterpret_cast<unsigned*>(bad));
  return LB_CUDA_CHECK(cudaGetLastError(), "index_check");
}

}  // namespace
}  // namespace lb
