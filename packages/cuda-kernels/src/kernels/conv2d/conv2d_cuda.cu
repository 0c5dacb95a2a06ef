// 2-d convolution on the GPU (conv2d.h): all three passes as one implicit GEMM per group,
// no im2col buffer, no cuBLAS/cuDNN. Per group g (gridDim.z):
//   forward:         y  [Kg, N*P*Q]   = W [Kg, Cg*R*S]      . xcol [Cg*R*S, N*P*Q]
//   backward data:   dx [Cg, N*H*W]   = W^T [Cg, Kg*R*S]    . dycol [Kg*R*S, N*H*W]
//   backward weight: dw [Kg, Cg*R*S]  = dy [Kg, N*P*Q]      . xcol^T [N*P*Q, Cg*R*S]
// where xcol and dycol are never stored: a "map" (ForwardMap, DataMap, WeightMap) gathers
// each operand element from x, w or dy by index arithmetic (zero where the window reads
// padding or, for backward data, where no output position maps onto the input pixel) and
// scatters the result into its NCHW place. One tiled GEMM serves all three, as in
// matmul_cuda.cu: a block of 16 x 16 threads computes a 64 x 64 tile of the result, each
// thread 4 x 4 in registers, the depth staged 16 at a time in shared memory (zeros past
// the edges). Every result is written once by one thread, summed in a fixed order, so all
// passes are deterministic and need no atomics. Backward weight's GEMM is small and deep
// (Kg x Cg*R*S over N*P*Q: 9 tiles for a 64-channel 3x3 layer), so where its tiles would
// leave a big GPU idle the depth is split (split_of: a function of the shape alone): each
// split's tile goes to a workspace the caller allocates (so the device's memory counter sees
// it) and sum_splits adds them in split order, so the result still does not depend on
// scheduling. dbias: one block per channel, a
// double-precision block reduction (block_reduce.cuh), as the CPU sums it in double.
// Accumulates in the element type, as the CPU GEMMs do. The GEMM's launch bounds name one
// block per multiprocessor as the minimum: with the maximum alone, ptxas spilled in the
// float instances once split-K came in (seen with -Xptxas=-v); with both, nothing spills.
// Never run on a GPU yet: compiled by nvcc, tested under the emulation.
// Test: test/emu/conv2d_test.cc (emulated, against the CPU kernels). Bench: bench/gpu.
#include <string>

#include "../../core/host_device.h"
#include "../../cuda_emu/cuda.h"
#include "../reduce/block_reduce.cuh"
#include "conv2d.h"

namespace lb {
namespace {

constexpr int kTile = 64, kDepth = 16, kSide = 16, kMicro = 4;  // kSide * kMicro == kTile
constexpr int kThreads = kSide * kSide;
constexpr int kBiasThreads = 256;
// Split-K of backward weight: splits until the grid has kTargetBlocks blocks (two waves of
// a 132-multiprocessor H200), each at least kMinSplitDepth deep, at most kMaxSplits.
constexpr int64_t kTargetBlocks = 264, kMinSplitDepth = 1024, kMaxSplits = 64;

// The shape with the sizes every map derives from it.
struct ConvDims {
  Conv2dShape s;
  int64_t cg, kg, rs, crs, hw, pq;
};

ConvDims dims_of(const Conv2dShape& s) {
  return {s, s.c / s.groups, s.k / s.groups, s.r * s.s, (s.c / s.groups) * s.r * s.s, s.h * s.w, s.p * s.q};
}

// xcol[crs, npq] of group g: x at the input pixel that kernel tap (r, s) of channel c reads
// for output (n, p, q), or 0 in the padding.
template <typename T>
__device__ __forceinline__ T x_col(const ConvDims& d, const T* x, int64_t g, int64_t crs, int64_t npq) {
  const Conv2dShape& s = d.s;
  const int64_t c = crs / d.rs, tap = crs % d.rs, n = npq / d.pq, pq = npq % d.pq;
  const int64_t h = (pq / s.q) * s.stride_h - s.pad_h + (tap / s.s) * s.dil_h;
  const int64_t w = (pq % s.q) * s.stride_w - s.pad_w + (tap % s.s) * s.dil_w;
  if (h < 0 || h >= s.h || w < 0 || w >= s.w) return T(0);
  return x[((n * s.c + g * d.cg + c) * s.h + h) * s.w + w];
}

// The GEMM of one pass, for group g: rows(), cols(), depth(); a(g, i, kk) and b(g, kk, j)
// for in-range indices; store(g, i, j, v). kAlongDepthA/B say which index of the operand
// runs along contiguous memory, so that consecutive threads load consecutive addresses.
template <typename T>
struct ForwardMap {
  static constexpr bool kAlongDepthA = true, kAlongDepthB = false;
  ConvDims d;
  const T *x, *w, *bias;
  T* y;
  __device__ int64_t rows() const { return d.kg; }
  __device__ int64_t cols() const { return d.s.n * d.pq; }
  __device__ int64_t depth() const { return d.crs; }
  __device__ T a(int64_t g, int64_t k, int64_t crs) const { return w[(g * d.kg + k) * d.crs + crs]; }
  __device__ T b(int64_t g, int64_t crs, int64_t npq) const { return x_col(d, x, g, crs, npq); }
  __device__ void store(int64_t g, int64_t k, int64_t npq, T v) const {
    const int64_t channel = g * d.kg + k;
    y[((npq / d.pq) * d.s.k + channel) * d.pq + npq % d.pq] = bias ? v + bias[channel] : v;
  }
};

template <typename T>
struct DataMap {
  static constexpr bool kAlongDepthA = true, kAlongDepthB = false;
  ConvDims d;
  const T *dy, *w;
  T* dx;
  __device__ int64_t rows() const { return d.cg; }
  __device__ int64_t cols() const { return d.s.n * d.hw; }
  __device__ int64_t depth() const { return d.kg * d.rs; }
  __device__ T a(int64_t g, int64_t c, int64_t krs) const {
    return w[((g * d.kg + krs / d.rs) * d.cg + c) * d.rs + krs % d.rs];
  }
  // dy at the output (p, q) whose tap (r, s) reads input pixel (h, w), if there is one.
  __device__ T b(int64_t g, int64_t krs, int64_t nhw) const {
    const Conv2dShape& s = d.s;
    const int64_t k = krs / d.rs, tap = krs % d.rs, n = nhw / d.hw, hw = nhw % d.hw;
    const int64_t ph = hw / s.w + s.pad_h - (tap / s.s) * s.dil_h, qw = hw % s.w + s.pad_w - (tap % s.s) * s.dil_w;
    if (ph < 0 || qw < 0 || ph % s.stride_h != 0 || qw % s.stride_w != 0) return T(0);
    const int64_t p = ph / s.stride_h, q = qw / s.stride_w;
    if (p >= s.p || q >= s.q) return T(0);
    return dy[((n * s.k + g * d.kg + k) * s.p + p) * s.q + q];
  }
  __device__ void store(int64_t g, int64_t c, int64_t nhw, T v) const {
    dx[((nhw / d.hw) * d.s.c + g * d.cg + c) * d.hw + nhw % d.hw] = v;
  }
};

template <typename T>
struct WeightMap {
  static constexpr bool kAlongDepthA = true, kAlongDepthB = true;
  ConvDims d;
  const T *x, *dy;
  T* dw;
  __device__ int64_t rows() const { return d.kg; }
  __device__ int64_t cols() const { return d.crs; }
  __device__ int64_t depth() const { return d.s.n * d.pq; }
  __device__ T a(int64_t g, int64_t k, int64_t npq) const {
    return dy[((npq / d.pq) * d.s.k + g * d.kg + k) * d.pq + npq % d.pq];
  }
  __device__ T b(int64_t g, int64_t npq, int64_t crs) const { return x_col(d, x, g, crs, npq); }
  __device__ void store(int64_t g, int64_t k, int64_t crs, T v) const { dw[(g * d.kg + k) * d.crs + crs] = v; }
};

// How the GEMM's depth is cut: `count` splits of `chunk` (a multiple of kDepth), their
// partial results in `partial` [count, groups, rows, cols] when count > 1.
template <typename T>
struct Split {
  int64_t count, chunk;
  T* partial;
};

// Tile (blockIdx.y, blockIdx.x) of group blockIdx.z / split.count of the map's GEMM, over
// the depth of split blockIdx.z % split.count.
template <typename T, typename Map>
__global__ void __launch_bounds__(kThreads, 1) conv_gemm(Map map, Split<T> split) {
  LB_SHARED(T, as, [kDepth][kTile]);  // as[p][i] = A[row0 + i][k0 + p]
  LB_SHARED(T, bs, [kDepth][kTile]);  // bs[p][j] = B[k0 + p][col0 + j]
  const int tx = threadIdx.x, ty = threadIdx.y, tid = ty * kSide + tx;
  const int64_t groups = gridDim.z / split.count, g = blockIdx.z / split.count, part = blockIdx.z % split.count;
  const int64_t m = map.rows(), n = map.cols();
  const int64_t depth = map.depth(), begin = part * split.chunk, end = begin + split.chunk < depth ? begin + split.chunk : depth;
  const int64_t row0 = static_cast<int64_t>(blockIdx.y) * kTile, col0 = static_cast<int64_t>(blockIdx.x) * kTile;
  T acc[kMicro][kMicro];
  LB_UNROLL
  for (int i = 0; i < kMicro; ++i) {
    LB_UNROLL
    for (int j = 0; j < kMicro; ++j) acc[i][j] = T(0);
  }
  for (int64_t k0 = begin; k0 < end; k0 += kDepth) {
    for (int e = tid; e < kDepth * kTile; e += kThreads) {
      const int p = Map::kAlongDepthA ? e % kDepth : e / kTile, i = Map::kAlongDepthA ? e / kDepth : e % kTile;
      const int64_t r = row0 + i, kk = k0 + p;
      as[p][i] = r < m && kk < end ? map.a(g, r, kk) : T(0);
    }
    for (int e = tid; e < kDepth * kTile; e += kThreads) {
      const int p = Map::kAlongDepthB ? e % kDepth : e / kTile, j = Map::kAlongDepthB ? e / kDepth : e % kTile;
      const int64_t col = col0 + j, kk = k0 + p;
      bs[p][j] = kk < end && col < n ? map.b(g, kk, col) : T(0);
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
      if (r >= m || col >= n) continue;
      if (split.count == 1) map.store(g, r, col, acc[i][j]);
      else split.partial[((part * groups + g) * m + r) * n + col] = acc[i][j];
    }
  }
}

// The splits' partial results summed in split order and stored through the map.
template <typename T, typename Map>
__global__ void __launch_bounds__(kThreads) sum_splits(Map map, Split<T> split, int64_t groups) {
  const int64_t per_group = map.rows() * map.cols(), count = groups * per_group;
  for (int64_t e = static_cast<int64_t>(blockIdx.x) * kThreads + threadIdx.x; e < count;
       e += static_cast<int64_t>(gridDim.x) * kThreads) {
    T sum = split.partial[e];
    for (int64_t part = 1; part < split.count; ++part) sum += split.partial[part * count + e];
    const int64_t g = e / per_group, rc = e % per_group;
    map.store(g, rc / map.cols(), rc % map.cols(), sum);
  }
}

// dbias[k] = the sum of dy over channel k's N*P*Q values, one block per channel.
template <typename T>
__global__ void __launch_bounds__(kBiasThreads) bias_grad(Conv2dShape s, const T* dy, T* dbias) {
  const int64_t k = blockIdx.x, pq = s.p * s.q;
  double sum = 0;
  for (int64_t e = threadIdx.x; e < s.n * pq; e += kBiasThreads) sum += dy[((e / pq) * s.k + k) * pq + e % pq];
  sum = block_sum(sum);
  if (threadIdx.x == 0) dbias[k] = static_cast<T>(sum);
}

int64_t tiles(int64_t size) { return (size + kTile - 1) / kTile; }

// The number of depth splits for a GEMM of `blocks` tiles over `depth`.
int64_t split_of(int64_t blocks, int64_t depth) {
  int64_t count = (kTargetBlocks + blocks - 1) / blocks;
  if (count > depth / kMinSplitDepth) count = depth / kMinSplitDepth;
  if (count > kMaxSplits) count = kMaxSplits;
  return count > 1 ? count : 1;
}

// The map's GEMM in `splits` depth splits (1: straight into the output; more: the partial
// sums go to `partial`, splits * groups * rows * cols values).
template <typename T, typename Map>
Status launch_gemm(const char* name, int64_t groups, int64_t rows, int64_t cols, int64_t depth, int64_t splits,
                   T* partial, const Map& map, cudaStream_t st) {
  if (tiles(rows) > 65535 || groups * splits > 65535 || tiles(cols) > 0x7fffffff)
    return LB_FAIL(std::string(name) + ": a GEMM of " + std::to_string(rows) + " x " + std::to_string(cols) + " in " +
                   std::to_string(groups) + " groups exceeds the grid");
  const int64_t chunk = ((depth + splits - 1) / splits + kDepth - 1) / kDepth * kDepth;
  Split<T> split{splits, splits > 1 ? chunk : depth, partial};
  const dim3 grid(static_cast<unsigned>(tiles(cols)), static_cast<unsigned>(tiles(rows)),
                  static_cast<unsigned>(groups * splits));
  LB_LAUNCH(grid, dim3(kSide, kSide), 0, st, conv_gemm<T, Map>)(map, split);
  LB_RETURN_IF_FAILED(LB_CUDA_CHECK(cudaGetLastError(), name));
  if (splits == 1) return Status::Ok();
  const int64_t outputs = groups * rows * cols;
  LB_LAUNCH(strided_grid(outputs, kThreads), kThreads, 0, st, sum_splits<T, Map>)(map, split, groups);
  return LB_CUDA_CHECK(cudaGetLastError(), "conv2d sum_splits");
}

// Backward weight's GEMM: dw [Kg, Cg*R*S] over the depth N*P*Q, and its depth splits.
struct WeightGemm {
  int64_t rows, cols, depth, splits;
};

WeightGemm weight_gemm_of(const Conv2dShape& s) {
  const ConvDims d = dims_of(s);
  const int64_t depth = s.n * d.pq;
  return {d.kg, d.crs, depth, split_of(tiles(d.kg) * tiles(d.crs) * s.groups, depth)};
}

// Checks the shape and the dtype, then calls f(T{}) with the element type.
template <typename F>
Status dispatch_float(DType type, const Conv2dShape& s, F&& f) {
  LB_RETURN_IF_FAILED(conv2d_check(s));
  if (type == DType::F32) return f(float{});
  if (type == DType::F64) return f(double{});
  return LB_FAIL(std::string("conv2d needs float32 or float64, got ") + dtype_name(type));
}

}  // namespace

Status conv2d_forward_cuda(DType type, const Conv2dShape& s, const void* x, const void* w, const void* bias, void* y,
                           void* stream) {
  return dispatch_float(type, s, [&](auto t) {
    using T = decltype(t);
    if (s.n == 0) return Status::Ok();
    const ForwardMap<T> map{dims_of(s), static_cast<const T*>(x), static_cast<const T*>(w), static_cast<const T*>(bias),
                            static_cast<T*>(y)};
    return launch_gemm<T>("conv2d_forward", s.groups, map.d.kg, s.n * map.d.pq, map.d.crs, 1, nullptr, map,
                          static_cast<cudaStream_t>(stream));
  });
}

Status conv2d_backward_data_cuda(DType type, const Conv2dShape& s, const void* dy, const void* w, void* dx,
                                 void* stream) {
  return dispatch_float(type, s, [&](auto t) {
    using T = decltype(t);
    if (s.n == 0) return Status::Ok();
    const DataMap<T> map{dims_of(s), static_cast<const T*>(dy), static_cast<const T*>(w), static_cast<T*>(dx)};
    return launch_gemm<T>("conv2d_backward_data", s.groups, map.d.cg, s.n * map.d.hw, map.d.kg * map.d.rs, 1, nullptr, map,
                          static_cast<cudaStream_t>(stream));
  });
}

size_t conv2d_backward_weight_cuda_workspace(DType type, const Conv2dShape& s) {
  if (!conv2d_check(s).ok) return 0;
  const WeightGemm gemm = weight_gemm_of(s);
  if (gemm.splits == 1) return 0;
  return static_cast<size_t>(gemm.splits * s.groups * gemm.rows * gemm.cols) * (type == DType::F64 ? 8 : 4);
}

Status conv2d_backward_weight_cuda(DType type, const Conv2dShape& s, const void* x, const void* dy, void* dw,
                                   void* dbias, void* workspace, void* stream) {
  return dispatch_float(type, s, [&](auto t) {
    using T = decltype(t);
    cudaStream_t st = static_cast<cudaStream_t>(stream);
    if (dw) {
      // With n == 0 the depth is 0 and the GEMM writes zeros, as the CPU does.
      const WeightGemm gemm = weight_gemm_of(s);
      if (gemm.splits > 1 && !workspace)
        return LB_FAIL("conv2d_backward_weight: this shape needs a workspace of " +
                       std::to_string(conv2d_backward_weight_cuda_workspace(type, s)) + " bytes, got none");
      const WeightMap<T> map{dims_of(s), static_cast<const T*>(x), static_cast<const T*>(dy), static_cast<T*>(dw)};
      LB_RETURN_IF_FAILED(launch_gemm<T>("conv2d_backward_weight", s.groups, gemm.rows, gemm.cols, gemm.depth,
                                         gemm.splits, static_cast<T*>(workspace), map, st));
    }
    if (!dbias) return Status::Ok();
    LB_LAUNCH(static_cast<unsigned>(s.k), kBiasThreads, 0, st, bias_grad<T>)(s, static_cast<const T*>(dy),
                                                                             static_cast<T*>(dbias));
    return LB_CUDA_CHECK(cudaGetLastError(), "conv2d_bias_grad");
  });
}

}  // namespace lb
