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

// A matrix for sgemm_indexed: element (r, c) at data[row(r) + col(c)], with row(r) = rows[r]
// when rows is given, else r * ld, and col(c) = cols[c] when given, else by `batched`
// (batched columns) when given, else c. Offsets that separate into a row part and a column
// part describe a convolution's operands in place: the kernel as the dense matrix it is on
// planes its window covers whole (conv2d_dense_cpu.cc), im2col's matrix as offsets into the
// input (conv2d_cpu.cc), a subset of the kernel's taps.
template <typename T>
struct IndexedMatrix {
  T* data;
  int64_t ld = 0;
  const int64_t* rows = nullptr;
  const int64_t* cols = nullptr;
  const BatchedColumns* batched = nullptr;
};

// C = alpha * A B + beta * C (no transposes) on indexed matrices; with beta == 0, C is
// written without being read. The GEMM's packing gathers indexed operands' panels. C's rows
// are c.ld apart (c.rows must be null: the micro-kernels store rows ldc apart).
void sgemm_indexed(int64_t m, int64_t n, int64_t k, float alpha, const IndexedMatrix<const float>& a,
                   const IndexedMatrix<const float>& b, float beta, const IndexedMatrix<float>& c);

// Float64 GEMM for reference checks: plain loops, double accumulation.
void dgemm(bool trans_a, bool trans_b, int64_t m, int64_t n, int64_t k, double alpha, const double* a, int64_t lda,
           const double* b, int64_t ldb, double beta, double* c, int64_t ldc);

// Which sgemm micro-kernel runs on this CPU: "avx512", "avx2" or "portable".
const char* sgemm_kernel_name();

}  // namespace lb
