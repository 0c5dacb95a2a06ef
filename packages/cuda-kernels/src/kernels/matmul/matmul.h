// Batched matrix multiply: for each b < batch, C_b = op(A_b) op(B_b), row-major, with
// batch strides (0 broadcasts one matrix over the batch) and element offsets. TypeScript
// passes each operand as either row-major (trans false, ld = row stride) or its transpose.
// CUDA (matmul_cuda.cu): the same on device memory, a shared-memory tiled GEMM.
#pragma once
#include <cstdint>

#include "../../core/dtype.h"
#include "../../core/status.h"

namespace lb {

struct MatmulArgs {
  int64_t batch, m, n, k;
  bool trans_a, trans_b;
  int64_t lda, ldb, ldc;
  int64_t a_batch_stride, b_batch_stride, c_batch_stride;
  int64_t a_offset, b_offset, c_offset;
};

// type is float32 or float64.
Status matmul_cpu(DType type, const MatmulArgs& args, const void* a, const void* b, void* c);

// a, b and c are device memory; stream is a cudaStream_t (null: the default stream).
Status matmul_cuda(DType type, const MatmulArgs& args, const void* a, const void* b, void* c, void* stream);

}  // namespace lb
