// GEMM on the CPU: C[m,n] = alpha * op(A)[m,k] * op(B)[k,n] + beta * C, all row-major,
// op(X) = X^T when trans_x. With beta == 0, C is written without being read (so it may
// hold garbage or NaN). Work is spread over the thread pool.
#pragma once
#include <cstdint>

namespace lb {

void sgemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a, int64_t lda,
           const float* b, int64_t ldb, float beta, float* c, int64_t ldc);

// Float64 GEMM for reference checks: plain loops, double accumulation.
void dgemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, double alpha, const double* a, int64_t lda,
           const double* b, int64_t ldb, double beta, double* c, int64_t ldc);

// Which sgemm micro-kernel runs on this CPU: "avx512", "avx2" or "portable".
const char* sgemm_kernel_name();

}  // namespace lb
