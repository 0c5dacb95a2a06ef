// Index kernels on the GPU (see index.h for the results and the bad-index report). Three
// launches: index_check (index_check.cuh) records the lowest position of an index outside
// [0, dim) with atomicMin (positions as unsigned, so -1 is the largest and means none); then
// index_select copies one element per thread (as 1-, 4- or 8-byte words, whatever the
// dtype), or index_add gives each (o, i) a thread that walks the indices in order, so
// repeated indices add up deterministically and without atomics, as on the CPU. Both
// read the report first and write nothing when an index was bad.
// Test: test/emu/index_test.cc (emulated, against the CPU kernels). Bench: bench/gpu.
#include <string>

#include "../../cuda_emu/cuda.h"
#include "index.h"
#include "index_check.cuh"

namespace lb {
namespace {

constexpr int kThreads = 256;

template <typename Word>
__global__ void __launch_bounds__(kThreads) index_select_kernel(int64_t dim, int64_t inner, const Word* in,
                                                              const int32_t* idx, int64_t n_idx, Word* out, int64_t n,
                                                              const int32_t* bad) {
  if (*bad != -1) return;
  for (int64_t t = static_cast<int64_t>(blockIdx.x) * kThreads + threadIdx.x; t < n;
       t += static_cast<int64_t>(gridDim.x) * kThreads) {
    const int64_t i = t % inner, row = t / inner, j = row % n_idx, o = row / n_idx;
    out[t] = in[(o * dim + idx[j]) * inner + i];
  }
}

template <typename T>
__global__ void __launch_bounds__(kThreads) index_add_kernel(int64_t dim, int64_t inner, const T* src,
                                                           const int32_t* idx, int64_t n_idx, T* dst, int64_t n,
                                                           const int32_t* bad) {
  if (*bad != -1) return;
  for (int64_t p = static_cast<int64_t>(blockIdx.x) * kThreads + threadIdx.x; p < n;
       p += static_cast<int64_t>(gridDim.x) * kThreads) {
    const int64_t o = p / inner, i = p % inner;
    for (int64_t j = 0; j < n_idx; ++j) dst[(o * dim + idx[j]) * inner + i] += src[(o * n_idx + j) * inner + i];
  }
}

template <typename Word>
Status select_words(int64_t dim, int64_t inner, const void* in, const int32_t* idx, int64_t n_idx, void* out, int64_t n,
                    const int32_t* bad, cudaStream_t s) {
  LB_LAUNCH(strided_grid(n, kThreads), kThreads, 0, s, index_select_kernel<Word>)(
      dim, inner, static_cast<const Word*>(in), idx, n_idx, static_cast<Word*>(out), n, bad);
  return LB_CUDA_CHECK(cudaGetLastError(), "index_select_kernel");
}

}  // namespace

Status index_select_cuda(DType type, int64_t outer, int64_t dim, int64_t inner, const void* in, const int32_t* idx,
                         int64_t n_idx, void* out, int32_t* bad_position, void* stream) {
  cudaStream_t s = static_cast<cudaStream_t>(stream);
  LB_RETURN_IF_FAILED(check_indices_on_device(dim, idx, n_idx, bad_position, s));
  const int64_t n = outer * n_idx * inner;
  if (n == 0) return Status::Ok();
  switch (dtype_size(type)) {
    case 1: return select_words<uint8_t>(dim, inner, in, idx, n_idx, out, n, bad_position, s);
    case 4: return select_words<uint32_t>(dim, inner, in, idx, n_idx, out, n, bad_position, s);
    case 8: return select_words<uint64_t>(dim, inner, in, idx, n_idx, out, n, bad_position, s);
  }
  return LB_FAIL("index_select: unknown dtype code " + std::to_string(static_cast<int>(type)));
}

Status index_add_cuda(DType type, int64_t outer, int64_t dim, int64_t inner, const void* src, const int32_t* idx,
                      int64_t n_idx, void* dst, int32_t* bad_position, void* stream) {
  cudaStream_t s = static_cast<cudaStream_t>(stream);
  LB_RETURN_IF_FAILED(check_indices_on_device(dim, idx, n_idx, bad_position, s));
  const int64_t n = outer * inner;
  if (n == 0 || n_idx == 0) return Status::Ok();
  return dispatch_dtype(type, [&](auto t) {
    using T = decltype(t);
    LB_LAUNCH(strided_grid(n, kThreads), kThreads, 0, s, index_add_kernel<T>)(
        dim, inner, static_cast<const T*>(src), idx, n_idx, static_cast<T*>(dst), n, bad_position);
    return LB_CUDA_CHECK(cudaGetLastError(), "index_add_kernel");
  });
}

}  // namespace lb
