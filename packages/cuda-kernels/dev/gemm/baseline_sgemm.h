// The straightforward SGEMM that the packed one replaced (rows of C over the pool, an
// i-k-j loop the compiler vectorises), kept as the bench's baseline for small shapes.
#pragma once
#include <algorithm>
#include <cstdint>
#include <vector>

#include "../../src/core/thread_pool.h"

inline void baseline_sgemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
                           int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc) {
  const int64_t grain = std::max<int64_t>(1, 16384 / std::max<int64_t>(1, n * k));
  lb::parallel_for(m, grain, [&](int64_t r0, int64_t r1) {
    std::vector<float> acc(static_cast<size_t>(n));
    for (int64_t i = r0; i < r1; ++i) {
      std::fill(acc.begin(), acc.end(), 0.0f);
      for (int64_t p = 0; p < k; ++p) {
        const float aip = trans_a ? a[p * lda + i] : a[i * lda + p];
        if (!trans_b) {
          const float* bp = b + p * ldb;
          for (int64_t j = 0; j < n; ++j) acc[j] += aip * bp[j];
        } else {
          for (int64_t j = 0; j < n; ++j) acc[j] += aip * b[j * ldb + p];
        }
      }
      float* ci = c + i * ldc;
      for (int64_t j = 0; j < n; ++j) ci[j] = beta == 0.0f ? alpha * acc[j] : alpha * acc[j] + beta * ci[j];
    }
  });
}
