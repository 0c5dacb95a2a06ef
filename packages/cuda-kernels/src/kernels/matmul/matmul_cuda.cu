// Batched matmul on the GPU (see matmul.h): a shared-memory tiled GEMM, no cuBLAS. A block
// of 16 x 16 threads computes a 64 x 64 tile of C, each thread a 4 x 4 block of it held in
// registers; the k dimension goes by 16: the block stages op(A)'s 64 x 16 and op(B)'s
// 16 x 64 slices in shared memory (zeros past the matrix edges, so partial tiles need no
// other care), with threads reading consecutive addresses along whichever dimension is
// contiguous in memory (it depends on trans_a / trans_b). Batches go over gridDim.z and
// stride beyond 65535. Accumulates in the element type, as the CPU SGEMM does.
// Not tuned (no double buffering, no vector loads): correctness first; tuning needs a GPU.
// Test: test/emu/matmul_test.cc (emulated, against matmul_cpu). Bench: bench/gpu.
#include <string>

#include "../../core/host_device.h"
#include "../../cuda_emu/cuda.h"
#include "matmul.h"

namespace lb {
namespace {

constexpr int kTile = 64, kDepth = 16, kSide = 16, kMicro = 4;  // kSide * kMicro == kTile
constexpr int kThreads = kSide * kSide;

template <typename T>
__global__ void __launch_bounds__(kThreads) matmul_kernel(MatmulArgs g, const T* a, const T* b, T* c) {
  LB_SHARED(T, as, [kDepth][kTile]);  // as[p][i] = op(A)[row0 + i][k0 + p]
  LB_SHARED(T, bs, [kDepth][kTile]);  // bs[p][j] = op(B)[k0 + p][col0 + j]
  const int tx = threadIdx.x, ty = threadIdx.y, tid = ty * kSide + tx;
  const int64_t row0 = static_cast<int64_t>(blockIdx.y) * kTile, col0 = static_cast<int64_t>(blockIdx.x) * kTile;
  for (int64_t batch = blockIdx.z; batch < g.batch; batch += gridDim.z) {
    const T* A = a + g.a_offset + batch * g.a_batch_stride;
    const T* B = b + g.b_offset + batch * g.b_batch_stride;
    T* C = c + g.c_offset + batch * g.c_batch_stride;
    T acc[kMicro][kMicro];
    LB_UNROLL
    for (int i = 0; i < kMicro; ++i) {
      LB_UNROLL
      for (int j = 0; j < kMicro; ++j) acc[i][j] = T(0);
    }
    for (int64_t k0 = 0; k0 < g.k; k0 += kDepth) {
      for (int e = tid; e < kDepth * kTile; e += kThreads) {
        // A row-major: k is contiguous, so consecutive threads take consecutive p.
        const int p = g.trans_a ? e / kTile : e % kDepth, i = g.trans_a ? e % kTile : e / kDepth;
        const int64_t r = row0 + i, kk = k0 + p;
        as[p][i] = r < g.m && kk < g.k ? (g.trans_a ? A[kk * g.lda + r] : A[r * g.lda + kk]) : T(0);
      }
      for (int e = tid; e < kDepth * kTile; e += kThreads) {
        // B row-major: n is contiguous, so consecutive threads take consecutive j.
        const int p = g.trans_b ? e % kDepth : e / kTile, j = g.trans_b ? e / kDepth : e % kTile;
        const int64_t col = col0 + j, kk = k0 + p;
        bs[p][j] = kk < g.k && col < g.n ? (g.trans_b ? B[col * g.ldb + kk] : B[kk * g.ldb + col]) : T(0);
      }
      __syncthreads();
      LB_UNROLL
      for (int p = 0; p < kDepth; ++p) {
        T av[kMicro], bv[kMicro];
        LB_UNROLL
        for (int i = 0; i < kMicro; ++i) av[i] = as[p][ty * kMicro + i];
        LB_UNROLL
        for (int j = 0; j < kMicro; ++j) bv[j] = bs[p][tx * kMicro + j];
        LB_UNROLL
        for (int i = 0; i < kMicro; ++i) {
          LB_UNROLL
          for (int j = 0; j < kMicro; ++j) acc[i][j] += av[i] * bv[j];
        }
      }
      __syncthreads();  // the tiles are refilled next
    }
    LB_UNROLL
    for (int i = 0; i < kMicro; ++i) {
      const int64_t r = row0 + ty * kMicro + i;
      LB_UNROLL
      for (int j = 0; j < kMicro; ++j) {
        const int64_t col = col0 + tx * kMicro + j;
        if (r < g.m && col < g.n) C[r * g.ldc + col] = acc[i][j];
      }
    }
  }
}

template <typename T>
Status launch(const MatmulArgs& g, const void* a, const void* b, void* c, cudaStream_t s) {
  const int64_t tiles_m = (g.m + kTile - 1) / kTile, tiles_n = (g.n + kTile - 1) / kTile;
  if (tiles_m > 65535) return LB_FAIL("matmul: " + std::to_string(g.m) + " rows need more than 65535 row tiles");
  if (tiles_n > 0x7fffffff) return LB_FAIL("matmul: too many columns: " + std::to_string(g.n));
  const dim3 grid(static_cast<unsigned>(tiles_n), static_cast<unsigned>(tiles_m),
                  static_cast<unsigned>(g.batch < 65535 ? g.batch : 65535));
  LB_LAUNCH(grid, dim3(kSide, kSide), 0, s, matmul_kernel<T>)(g, static_cast<const T*>(a), static_cast<const T*>(b),
                                                              static_cast<T*>(c));
  return LB_CUDA_CHECK(cudaGetLastError(), "matmul_kernel");
}

}  // namespace

Status matmul_cuda(DType type, const MatmulArgs& args, const void* a, const void* b, void* c, void* stream) {
  if (type != DType::F32 && type != DType::F64)
    return LB_FAIL(std::string("matmul needs float32 or float64, got ") + dtype_name(type));
  if (args.batch == 0 || args.m == 0 || args.n == 0) return Status::Ok();
  cudaStream_t s = static_cast<cudaStream_t>(stream);
  return type == DType::F32 ? launch<float>(args, a, b, c, s) : launch<double>(args, a, b, c, s);
}

}  // namespace lb
