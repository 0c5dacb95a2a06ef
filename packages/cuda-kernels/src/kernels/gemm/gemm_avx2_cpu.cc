// SGEMM micro-kernel for AVX2 + FMA: a 6 x 16 tile of C held in 12 ymm accumulators. Each
// k step loads two 8-float vectors of packed op(B) and broadcasts 6 op(A) scalars into 12
// FMAs (15 of the 16 registers busy). Edge tiles load and store through lane masks. The
// direct variant reads op(B) unpacked (row p at b + b_off[p]).
// Layout and contract: gemm_microkernel.h.
// Bench: `LARGEBATCH_SGEMM_KERNEL=avx2 make -C dev/gemm bench`.
#include "gemm_microkernel.h"

#if defined(__x86_64__)
#include <immintrin.h>

namespace lb {
namespace {

constexpr int kRows = 6;
constexpr int kVecs = 2;  // ymm vectors across the tile's columns

// kDirect: op(B) row p at b + b_off[p] (all 16 columns), else packed (b advances 16 a step).
template <bool kDirect>
__attribute__((target("avx2,fma"))) inline void tile_impl(int64_t kc, const float* a, const float* b,
                                                          const int64_t* b_off, float* c, int64_t ldc, int rows,
                                                          int cols, float alpha, float beta) {
  __m256 acc[kRows][kVecs];
#pragma GCC unroll 16
  for (int i = 0; i < kRows; ++i)
#pragma GCC unroll 4
    for (int v = 0; v < kVecs; ++v) acc[i][v] = _mm256_setzero_ps();

  for (int64_t p = 0; p < kc; ++p) {
    __m256 bv[kVecs];
#pragma GCC unroll 4
    for (int v = 0; v < kVecs; ++v) bv[v] = kDirect ? _mm256_loadu_ps(b + b_off[p] + 8 * v) : _mm256_load_ps(b + 8 * v);
#pragma GCC unroll 16
    for (int i = 0; i < kRows; ++i) {
      const __m256 ai = _mm256_broadcast_ss(a + i);
#pragma GCC unroll 4
      for (int v = 0; v < kVecs; ++v) acc[i][v] = _mm256_fmadd_ps(ai, bv[v], acc[i][v]);
    }
    a += kRows;
    if (!kDirect) b += 8 * kVecs;
  }

  const __m256 va = _mm256_set1_ps(alpha), vb = _mm256_set1_ps(beta);
  const __m256i lane = _mm256_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7);
  __m256i mask[kVecs];
  for (int v = 0; v < kVecs; ++v) mask[v] = _mm256_cmpgt_epi32(_mm256_set1_epi32(cols - 8 * v), lane);
#pragma GCC unroll 16
  for (int i = 0; i < kRows; ++i) {
    if (i >= rows) break;
    float* ci = c + i * ldc;
#pragma GCC unroll 4
    for (int v = 0; v < kVecs; ++v) {
      __m256 r = _mm256_mul_ps(va, acc[i][v]);
      if (beta != 0.0f) r = _mm256_fmadd_ps(vb, _mm256_maskload_ps(ci + 8 * v, mask[v]), r);
      _mm256_maskstore_ps(ci + 8 * v, mask[v], r);
    }
  }
}

__attribute__((target("avx2,fma"))) void tile_avx2(int64_t kc, const float* a, const float* b, float* c, int64_t ldc,
                                                   int rows, int cols, float alpha, float beta) {
  tile_impl<false>(kc, a, b, nullptr, c, ldc, rows, cols, alpha, beta);
}

__attribute__((target("avx2,fma"))) void tile_direct_avx2(int64_t kc, const float* a, const float* b,
                                                          const int64_t* b_off, float* c, int64_t ldc, int rows,
                                                          float alpha, float beta) {
  tile_impl<true>(kc, a, b, b_off, c, ldc, rows, 8 * kVecs, alpha, beta);
}

typedef float Vec8 __attribute__((vector_size(32)));
using Indirect = IndirectTile<kRows, kVecs, Vec8>;

__attribute__((target("avx2,fma"))) void tile_indirect_avx2(int64_t taps, int64_t depth, int64_t step, const float* const* rows,
                                                        const int64_t* a_off, const float* b, const int64_t* b_off,
                                                        float* tile) {
  Indirect::indirect(taps, depth, step, rows, a_off, b, b_off, tile);
}

__attribute__((target("avx2,fma"))) void tile_gather_avx2(int64_t depth, const float* const* rows, const int64_t* a_off,
                                                      const float* b, const int64_t* b_off, float* tile) {
  Indirect::gather(depth, rows, a_off, b, b_off, tile);
}

}  // namespace

const SgemmMicroKernel* sgemm_avx2_kernel() {
  static const SgemmMicroKernel kernel{"avx2", kRows, 8 * kVecs, tile_avx2, tile_direct_avx2, tile_indirect_avx2,
                                       tile_gather_avx2};
  return __builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma") ? &kernel : nullptr;
}

}  // namespace lb

#else

namespace lb {
const SgemmMicroKernel* sgemm_avx2_kernel() { return nullptr; }
}  // namespace lb

#endif
