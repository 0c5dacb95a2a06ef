// GEMM on the CPU, row-major. This is the straightforward blocked version: rows of C
// spread over the pool, an i-k-j loop the compiler vectorises. A packed, register-tiled
// SIMD version replaces sgemm (bench: bench/matmul).
#include <algorithm>
#include <vector>

#include "../../core/thread_pool.h"
#include "gemm.h"

namespace lb {
namespace {

template <typename T, typename Acc>
void gemm_rows(bool trans_a, bool trans_b, int64_t row_begin, int64_t row_end, int64_t n, int64_t k, T alpha,
               const T* a, int64_t lda, const T* b, int64_t ldb, T beta, T* c, int64_t ldc) {
  std::vector<Acc> acc(static_cast<size_t>(n));
  std::vector<T> brow;
  for (int64_t i = row_begin; i < row_end; ++i) {
    std::fill(acc.begin(), acc.end(), Acc(0));
    for (int64_t p = 0; p < k; ++p) {
      const Acc aip = static_cast<Acc>(trans_a ? a[p * lda + i] : a[i * lda + p]);
      if (!trans_b) {
        const T* bp = b + p * ldb;
        for (int64_t j = 0; j < n; ++j) acc[j] += aip * static_cast<Acc>(bp[j]);
      } else {
        for (int64_t j = 0; j < n; ++j) acc[j] += aip * static_cast<Acc>(b[j * ldb + p]);
      }
    }
    T* ci = c + i * ldc;
    for (int64_t j = 0; j < n; ++j) {
      Acc v = static_cast<Acc>(alpha) * acc[j];
      ci[j] = static_cast<T>(beta == T(0) ? v : v + static_cast<Acc>(beta) * static_cast<Acc>(ci[j]));
    }
  }
}

template <typename T, typename Acc>
void gemm_parallel(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, T alpha, const T* a, int64_t lda,
                   const T* b, int64_t ldb, T beta, T* c, int64_t ldc) {
  int64_t grain = std::max<int64_t>(1, 16384 / std::max<int64_t>(1, n * k));
  parallel_for(m, grain, [&](int64_t r0, int64_t r1) {
    gemm_rows<T, Acc>(trans_a, trans_b, r0, r1, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
  });
}

}  // namespace

void sgemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a, int64_t lda,
           const float* b, int64_t ldb, float beta, float* c, int64_t ldc) {
  gemm_parallel<float, float>(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

void dgemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, double alpha, const double* a, int64_t lda,
           const double* b, int64_t ldb, double beta, double* c, int64_t ldc) {
  gemm_parallel<double, double>(trans_a, trans_b, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
}

const char* sgemm_kernel_name() { return "portable"; }

}  // namespace lb
