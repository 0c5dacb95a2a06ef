// SGEMM micro-kernel for AVX-512: an 8 x 32 tile of C held in 16 zmm accumulators. Each k
// step loads two 16-float vectors of packed op(B) and broadcasts 8 op(A) scalars into 16
// FMAs, enough independent chains to hide FMA latency. Measured against 14x32, 12x32,
// 16x16, 8x48 and 6x64 (dev/gemm/README.md): as fast on big squares, and the 8-row,
// 32-column tile wastes least on convolution shapes (channels are multiples of 8, N can be
// small). Edge tiles store through lane masks. The direct variant reads op(B) unpacked (row
// p at b + b_off[p]). Layout and contract: gemm_microkernel.h.
// Bench: `make -C dev/gemm bench` (LARGEBATCH_SGEMM_KERNEL=avx512 forces it).
#include "gemm_microkernel.h"

#if defined(__x86_64__)
#include <immintrin.h>

namespace lb {
namespace {

constexpr int kRows = 8;
constexpr int kVecs = 2;  // zmm vectors across the tile's columns

// kDirect: op(B) row p at b + b_off[p] (all 32 columns), else packed (b advances 32 a step).
template <bool kDirect>
__attribute__((target("avx512f"))) inline void tile_impl(int64_t kc, const float* a, const float* b,
                                                         const int64_t* b_off, float* c, int64_t ldc, int rows,
                                                         int cols, float alpha, float beta) {
  __m512 acc[kRows][kVecs];
#pragma GCC unroll 64
  for (int i = 0; i < kRows; ++i)
#pragma GCC unroll 4
    for (int v = 0; v < kVecs; ++v) acc[i][v] = _mm512_setzero_ps();

  for (int64_t p = 0; p < kc; ++p) {
    __m512 bv[kVecs];
#pragma GCC unroll 4
    for (int v = 0; v < kVecs; ++v) bv[v] = kDirect ? _mm512_loadu_ps(b + b_off[p] + 16 * v) : _mm512_load_ps(b + 16 * v);
#pragma GCC unroll 64
    for (int i = 0; i < kRows; ++i) {
      const __m512 ai = _mm512_set1_ps(a[i]);
#pragma GCC unroll 4
      for (int v = 0; v < kVecs; ++v) acc[i][v] = _mm512_fmadd_ps(ai, bv[v], acc[i][v]);
    }
    a += kRows;
    if (!kDirect) b += 16 * kVecs;
  }

  const __m512 va = _mm512_set1_ps(alpha), vb = _mm512_set1_ps(beta);
  __mmask16 mask[kVecs];
  for (int v = 0; v < kVecs; ++v) {
    const int left = cols - 16 * v;
    mask[v] = left >= 16 ? __mmask16(0xFFFF) : left <= 0 ? __mmask16(0) : __mmask16((1u << left) - 1);
  }
#pragma GCC unroll 64
  for (int i = 0; i < kRows; ++i) {
    if (i >= rows) break;
    float* ci = c + i * ldc;
#pragma GCC unroll 4
    for (int v = 0; v < kVecs; ++v) {
      __m512 r = _mm512_mul_ps(va, acc[i][v]);
      if (beta != 0.0f) r = _mm512_fmadd_ps(vb, _mm512_maskz_loadu_ps(mask[v], ci + 16 * v), r);
      _mm512_mask_storeu_ps(ci + 16 * v, mask[v], r);
    }
  }
}

__attribute__((target("avx512f"))) void tile_avx512(int64_t kc, const float* a, const float* b, float* c, int64_t ldc,
                                                    int rows, int cols, float alpha, float beta) {
  tile_impl<false>(kc, a, b, nullptr, c, ldc, rows, cols, alpha, beta);
}

__attribute__((target("avx512f"))) void tile_direct_avx512(int64_t kc, const float* a, const float* b,
                                                           const int64_t* b_off, float* c, int64_t ldc, int rows,
                                                           float alpha, float beta) {
  tile_impl<true>(kc, a, b, b_off, c, ldc, rows, 16 * kVecs, alpha, beta);
}

typedef float Vec16 __attribute__((vector_size(64)));
using Indirect = IndirectTile<kRows, kVecs, Vec16>;

__attribute__((target("avx512f"))) void tile_indirect_avx512(int64_t taps, int64_t depth, int64_t step, const float* const* rows,
                                                        const int64_t* a_off, const float* b, const int64_t* b_off,
                                                        float* tile) {
  Indirect::indirect(taps, depth, step, rows, a_off, b, b_off, tile);
}

__attribute__((target("avx512f"))) void tile_gather_avx512(int64_t depth, const float* const* rows, const int64_t* a_off,
                                                      const float* b, const int64_t* b_off, float* tile) {
  Indirect::gather(depth, rows, a_off, b, b_off, tile);
}

}  // namespace

const SgemmMicroKernel* sgemm_avx512_kernel() {
  static const SgemmMicroKernel kernel{"avx512", kRows, 16 * kVecs, tile_avx512, tile_direct_avx512, tile_indirect_avx512,
                                       tile_gather_avx512};
  return __builtin_cpu_supports("avx512f") ? &kernel : nullptr;
}

}  // namespace lb

#else

namespace lb {
const SgemmMicroKernel* sgemm_avx512_kernel() { return nullptr; }
}  // namespace lb

#endif
