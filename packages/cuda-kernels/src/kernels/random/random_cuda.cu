// Random fills on the GPU (see random.h): one thread per Philox block of four values, the
// same random_block() as the CPU, so the same numbers. Uniform values are bit-identical;
// normal ones go through the GPU's logf/sqrtf/cosf/sinf, within a few ulps of the CPU's.
// ptxas reports a 32-byte stack frame (no spills): the local array of sinf/cosf's
// large-argument reduction, a path angles in [0, 2π) never take.
// Test: test/emu/random_test.cc (emulated, against random_fill_cpu). Bench: bench/gpu.
#include <string>

#include "../../cuda_emu/cuda.h"
#include "random.h"

namespace lb {
namespace {

constexpr int kThreads = 256;

template <typename T>
__global__ void __launch_bounds__(kThreads)
    random_fill(Distribution dist, T* out, int64_t n, uint64_t seed, uint64_t counter, double a, double b) {
  const int64_t blocks = (n + 3) / 4;
  for (int64_t blk = static_cast<int64_t>(blockIdx.x) * kThreads + threadIdx.x; blk < blocks;
       blk += static_cast<int64_t>(gridDim.x) * kThreads) {
    float vals[4];
    random_block(dist, seed, counter + static_cast<uint64_t>(blk), vals);
    for (int w = 0; w < 4 && blk * 4 + w < n; ++w) out[blk * 4 + w] = static_cast<T>(random_scale(dist, a, b, vals[w]));
  }
}

}  // namespace

Status random_fill_cuda(Distribution dist, DType type, void* out, int64_t n, uint64_t seed, uint64_t counter, double a,
                        double b, void* stream) {
  if (type != DType::F32 && type != DType::F64) return LB_FAIL("random fills need float32 or float64");
  if (n == 0) return Status::Ok();
  const unsigned grid = strided_grid((n + 3) / 4, kThreads);  // a thread per Philox block
  cudaStream_t s = static_cast<cudaStream_t>(stream);
  if (type == DType::F32) {
    LB_LAUNCH(grid, kThreads, 0, s, random_fill<float>)(dist, static_cast<float*>(out), n, seed, counter, a, b);
  } else {
    LB_LAUNCH(grid, kThreads, 0, s, random_fill<double>)(dist, static_cast<double*>(out), n, seed, counter, a, b);
  }
  return LB_CUDA_CHECK(cudaGetLastError(), "random_fill");
}

}  // namespace lb
