// Batched matmul on the CPU over the GEMM of kernels/gemm. Large matrices run one after
// another, each spread over the pool; many small ones are spread over the pool instead.
#include "matmul.h"

#include "../../core/thread_pool.h"
#include "../gemm/gemm.h"

namespace lb {

template <typename T, typename Gemm>
static void run_batched(const MatmulArgs& g, const T* a, const T* b, T* c, Gemm gemm) {
  auto one = [&](int64_t i) {
    gemm(g.trans_a, g.trans_b, g.m, g.n, g.k, T(1), a + g.a_offset + i * g.a_batch_stride, g.lda,
         b + g.b_offset + i * g.b_batch_stride, g.ldb, T(0), c + g.c_offset + i * g.c_batch_stride, g.ldc);
  };
  const bool small = g.m * g.n * g.k < (1 << 18);
  if (g.batch > 1 && small) {
    parallel_tasks(g.batch, one);
  } else {
    for (int64_t i = 0; i < g.batch; ++i) one(i);
  }
}

Status matmul_cpu(DType type, const MatmulArgs& args, const void* a, const void* b, void* c) {
  if (type == DType::F32) {
    run_batched<float>(args, static_cast<const float*>(a), static_cast<const float*>(b), static_cast<float*>(c), sgemm);
  } else if (type == DType::F64) {
    run_batched<double>(args, static_cast<const double*>(a), static_cast<const double*>(b), static_cast<double*>(c),
                        dgemm);
  } else {
    return LB_FAIL(std::string("matmul needs float32 or float64, got ") + dtype_name(type));
  }
  return Status::Ok();
}

}  // namespace lb
