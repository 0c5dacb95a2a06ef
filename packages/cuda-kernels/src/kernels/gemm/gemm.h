// GEMM on the CPU: C[m,n] = alpha * op(A)[m,k] * op(B)[k,n] + beta * C, all row-major,
// op(X) = X^T when trans_x. With beta == 0, C is written without being read (so it may
// hold garbage or NaN). Work is spread over the thread pool.
#pragma once
#include <cstdint>

namespace lb {

void sgemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a, int64_t lda,
           const float* b, int64_t ldb, float beta, float* c, int64_t ldc);

// sgemm where the rows of the stored A or B need not be evenly spaced: row r of A (before
// any transposition) starts at a + a_rows[r] when a_rows is not null (lda is then unused),
// likewise B with b_rows; each row is contiguous. A convolution passes the rows of its
// implicit im2col this way (shifted windows of a padded image) instead of unfolding them.
void sgemm_rows(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
                const int64_t* a_rows, int64_t lda, const float* b, const int64_t* b_rows, int64_t ldb, float beta,
                float* c, int64_t ldc);

// The columns of a batch of NCHW images as one [channels, N*H*W] matrix: column j lies in
// image j / plane at offset j % plane, images `image` floats apart; rows (channels) are
// ld = plane apart as usual. A 1x1 stride-1 convolution is then one GEMM over the tensors
// in place: Y [K, N*HW] = W [K, C] X [C, N*HW], with no gathering of the batch.
struct BatchedColumns {
  int64_t plane, image;
};

// sgemm where the columns of the stored A, B or C (before any transposition) may be
// batched columns, given by a_cols, b_cols, c_cols (null: plain row-major).
void sgemm_batched_columns(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
                           int64_t lda, const BatchedColumns* a_cols, const float* b, int64_t ldb,
                           const BatchedColumns* b_cols, float beta, float* c, int64_t ldc,
                           const BatchedColumns* c_cols);

// sgemm (no transposes) where op(B)'s element (p, j) is b[b_rows[p] + b_cols[j]]: offsets
// that separate into a row part and a column part; A's and C's columns may be batched
// (a_cols, c_cols; null: plain). Per image, a convolution on planes its window covers whole is a dense matrix
// over the flattened planes whose entries are the kernel's weights at offsets of this form
// (conv2d_dense_cpu.cc), and im2col's matrix is the zero-bordered input at such offsets
// (conv2d_cpu.cc): the GEMM reads them in place.
void sgemm_separable_b(int64_t m, int64_t n, int64_t k, float alpha, const float* a, int64_t lda,
                       const BatchedColumns* a_cols, const float* b, const int64_t* b_rows, const int64_t* b_cols,
                       float beta, float* c, int64_t ldc, const BatchedColumns* c_cols);

// Float64 GEMM for reference checks: plain loops, double accumulation.
void dgemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, double alpha, const double* a, int64_t lda,
           const double* b, int64_t ldb, double beta, double* c, int64_t ldc);

// Which sgemm micro-kernel runs on this CPU: "avx512", "avx2" or "portable".
const char* sgemm_kernel_name();

}  // namespace lb
