// Portable SGEMM micro-kernel: a 4 x 8 tile of C in eight 4-float accumulators written with
// GCC/Clang vector extensions, which map to SSE on x86-64 without -march and to NEON on
// arm64 (plain loops get shuffled and spilled by the vectoriser). The fallback where
// neither AVX2 nor AVX-512 runs; its direct variant reads op(B) unpacked (row p at
// b + b_off[p]). Layout and contract: gemm_microkernel.h.
// Bench: `LARGEBATCH_SGEMM_KERNEL=portable make -C dev/gemm bench`.
#include <cstring>

#include "gemm_microkernel.h"

namespace lb {
namespace {

typedef float Vec4 __attribute__((vector_size(16)));

constexpr int kRows = 4;
constexpr int kVecs = 2;  // 4-float vectors across the tile's columns

inline Vec4 load4(const float* p) {
  Vec4 v;
  std::memcpy(&v, p, sizeof v);
  return v;
}

// kDirect: op(B) row p at b + b_off[p] (all 8 columns), else packed (b advances 8 a step).
template <bool kDirect>
void tile_impl(int64_t kc, const float* a, const float* b, const int64_t* b_off, float* c, int64_t ldc, int rows,
               int cols, float alpha, float beta) {
  Vec4 acc[kRows][kVecs] = {};
  for (int64_t p = 0; p < kc; ++p) {
    Vec4 bv[kVecs];
    for (int v = 0; v < kVecs; ++v) bv[v] = load4((kDirect ? b + b_off[p] : b) + 4 * v);
    for (int i = 0; i < kRows; ++i)
      for (int v = 0; v < kVecs; ++v) acc[i][v] += a[i] * bv[v];
    a += kRows;
    if (!kDirect) b += 4 * kVecs;
  }
  for (int i = 0; i < rows; ++i) {
    float* ci = c + i * ldc;
    for (int j = 0; j < cols; ++j) {
      const float ab = alpha * acc[i][j / 4][j % 4];
      ci[j] = beta == 0.0f ? ab : ab + beta * ci[j];
    }
  }
}

void tile_portable(int64_t kc, const float* a, const float* b, float* c, int64_t ldc, int rows, int cols, float alpha,
                   float beta) {
  tile_impl<false>(kc, a, b, nullptr, c, ldc, rows, cols, alpha, beta);
}

void tile_direct_portable(int64_t kc, const float* a, const float* b, const int64_t* b_off, float* c, int64_t ldc,
                          int rows, float alpha, float beta) {
  tile_impl<true>(kc, a, b, b_off, c, ldc, rows, 4 * kVecs, alpha, beta);
}

using Indirect = IndirectTile<kRows, kVecs, Vec4>;

void tile_indirect_portable(int64_t taps, int64_t depth, int64_t step, const float* const* rows, const int64_t* a_off,
                            const float* b, const int64_t* b_off, float* tile) {
  Indirect::indirect(taps, depth, step, rows, a_off, b, b_off, tile);
}

void tile_gather_portable(int64_t depth, const float* const* rows, const int64_t* a_off, const float* b,
                          const int64_t* b_off, float* tile) {
  Indirect::gather(depth, rows, a_off, b, b_off, tile);
}

}  // namespace

const SgemmMicroKernel& sgemm_portable_kernel() {
  static const SgemmMicroKernel kernel{"portable", kRows, 4 * kVecs, tile_portable, tile_direct_portable,
                                       tile_indirect_portable, tile_gather_portable};
  return kernel;
}

}  // namespace lb
