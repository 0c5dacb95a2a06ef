// Reductions over the middle axis of a contiguous [outer, size, inner] array on the GPU
// (see reduce.h for the results). Two layouts:
//  - inner == 1 (rows are contiguous): one block of 256 threads per output, threads
//    striding the row, then a warp-shuffle block reduction;
//  - inner > 1: a block of 32 x 8 threads per (outer, 32 consecutive inner) tile; x runs
//    along inner (coalesced), y splits the row 8 ways; the 8 partials meet in shared memory.
// Max/min/argmax/argmin reduce (value, index) pairs ordered so that NaN beats numbers and
// ties go to the lower index: an order on pairs, so any reduction tree returns the CPU's
// answer (the first extreme, or the first NaN). Sums accumulate in float64 (floats) or
// int64 (integers, written as int32 as on the CPU).
// Test: test/emu/reduce_test.cc (emulated, against reduce_cpu). Bench: bench/gpu.
#include <limits>
#include <string>
#include <type_traits>

#include "../../cuda_emu/cuda.h"
#include "block_reduce.cuh"
#include "reduce.h"

namespace lb {
namespace {

constexpr int kRowThreads = 256;
constexpr int kTileX = 32, kTileY = 8;
constexpr int64_t kNoIndex = std::numeric_limits<int64_t>::max();  // an empty partial

template <typename T>
__device__ bool is_nan(T v) {
  if constexpr (std::is_floating_point_v<T>) return v != v;
  return false;
}

// A partial max/min: the best value seen and its index (kNoIndex: none yet).
template <typename T>
struct Extreme {
  T value;
  int64_t index;
};

template <typename T>
__device__ __forceinline__ Extreme<T> shuffle_xor(Extreme<T> v, int lane_mask) {
  return Extreme<T>{lb::shuffle_xor(v.value, lane_mask), lb::shuffle_xor(v.index, lane_mask)};
}

template <typename T, bool kMax>
struct ExtremeOp {
  using Acc = Extreme<T>;
  __device__ Acc identity() const { return Acc{T(0), kNoIndex}; }
  __device__ Acc load(T x, int64_t r) const { return Acc{x, r}; }
  __device__ Acc operator()(Acc a, Acc b) const {
    if (a.index == kNoIndex) return b;
    if (b.index == kNoIndex) return a;
    const bool an = is_nan(a.value), bn = is_nan(b.value);
    if (an != bn) return an ? a : b;
    if (an || a.value == b.value) return a.index < b.index ? a : b;
    return (kMax ? a.value > b.value : a.value < b.value) ? a : b;
  }
  __device__ void store(void* out, int64_t j, Acc acc, bool arg) const {
    if (arg) static_cast<int32_t*>(out)[j] = static_cast<int32_t>(acc.index);
    else static_cast<T*>(out)[j] = acc.value;
  }
};

template <typename T>
struct SumReduceOp {
  using Acc = std::conditional_t<std::is_floating_point_v<T>, double, int64_t>;
  using Out = std::conditional_t<std::is_floating_point_v<T>, T, int32_t>;
  __device__ Acc identity() const { return Acc(0); }
  __device__ Acc load(T x, int64_t) const { return static_cast<Acc>(x); }
  __device__ Acc operator()(Acc a, Acc b) const { return a + b; }
  __device__ void store(void* out, int64_t j, Acc acc, bool) const { static_cast<Out*>(out)[j] = static_cast<Out>(acc); }
};

template <typename T, typename Op>
__global__ void __launch_bounds__(kRowThreads) reduce_rows(const T* in, int64_t size, void* out, bool arg) {
  const Op op;
  const int64_t o = blockIdx.x;
  const T* row = in + o * size;
  typename Op::Acc acc = op.identity();
  for (int64_t r = threadIdx.x; r < size; r += kRowThreads) acc = op(acc, op.load(row[r], r));
  acc = block_reduce(acc, op, op.identity());
  if (threadIdx.x == 0) op.store(out, o, acc, arg);
}

template <typename T, typename Op>
__global__ void __launch_bounds__(kTileX * kTileY)
    reduce_columns(const T* in, int64_t size, int64_t inner, int64_t tiles, void* out, bool arg) {
  LB_SHARED(typename Op::Acc, parts, [kTileY][kTileX]);
  const Op op;
  const int64_t o = blockIdx.x / tiles, i = (blockIdx.x % tiles) * kTileX + threadIdx.x;
  typename Op::Acc acc = op.identity();
  if (i < inner) {
    const T* col = in + o * size * inner + i;
    for (int64_t r = threadIdx.y; r < size; r += kTileY) acc = op(acc, op.load(col[r * inner], r));
  }
  parts[threadIdx.y][threadIdx.x] = acc;
  __syncthreads();
  if (threadIdx.y == 0 && i < inner) {
    for (int y = 1; y < kTileY; ++y) acc = op(acc, parts[y][threadIdx.x]);
    op.store(out, o * inner + i, acc, arg);
  }
}

template <typename T, typename Op>
Status launch(int64_t outer, int64_t size, int64_t inner, const T* in, void* out, bool arg, cudaStream_t stream) {
  const int64_t blocks = inner == 1 ? outer : outer * ((inner + kTileX - 1) / kTileX);
  if (blocks > 0x7fffffff) return LB_FAIL("reduction over " + std::to_string(blocks) + " blocks: more than 2^31 - 1");
  if (inner == 1) {
    LB_LAUNCH(static_cast<unsigned>(blocks), kRowThreads, 0, stream, reduce_rows<T, Op>)(in, size, out, arg);
    return LB_CUDA_CHECK(cudaGetLastError(), "reduce_rows");
  }
  LB_LAUNCH(static_cast<unsigned>(blocks), dim3(kTileX, kTileY), 0, stream, reduce_columns<T, Op>)(
      in, size, inner, (inner + kTileX - 1) / kTileX, out, arg);
  return LB_CUDA_CHECK(cudaGetLastError(), "reduce_columns");
}

template <typename T>
Status reduce_typed(ReduceOp op, int64_t outer, int64_t size, int64_t inner, const T* in, void* out, cudaStream_t s) {
  switch (op) {
    case ReduceOp::Sum: return launch<T, SumReduceOp<T>>(outer, size, inner, in, out, false, s);
    case ReduceOp::Max: return launch<T, ExtremeOp<T, true>>(outer, size, inner, in, out, false, s);
    case ReduceOp::ArgMax: return launch<T, ExtremeOp<T, true>>(outer, size, inner, in, out, true, s);
    case ReduceOp::Min: return launch<T, ExtremeOp<T, false>>(outer, size, inner, in, out, false, s);
    case ReduceOp::ArgMin: return launch<T, ExtremeOp<T, false>>(outer, size, inner, in, out, true, s);
  }
  return LB_FAIL("unknown reduce op code " + std::to_string(static_cast<int>(op)));
}

}  // namespace

Status reduce_cuda(ReduceOp op, DType type, int64_t outer, int64_t size, int64_t inner, const void* in, void* out,
                   void* stream) {
  if (static_cast<int>(op) < 0 || static_cast<int>(op) > 4)
    return LB_FAIL("unknown reduce op code " + std::to_string(static_cast<int>(op)));
  if (size == 0 && op != ReduceOp::Sum) return LB_FAIL("max/min/argmax/argmin of an empty dimension");
  if (outer == 0 || inner == 0) return Status::Ok();
  cudaStream_t s = static_cast<cudaStream_t>(stream);
  switch (type) {
    case DType::F32: return reduce_typed(op, outer, size, inner, static_cast<const float*>(in), out, s);
    case DType::F64: return reduce_typed(op, outer, size, inner, static_cast<const double*>(in), out, s);
    case DType::I32: return reduce_typed(op, outer, size, inner, static_cast<const int32_t*>(in), out, s);
    case DType::U8: return reduce_typed(op, outer, size, inner, static_cast<const uint8_t*>(in), out, s);
  }
  return LB_FAIL("unknown dtype code " + std::to_string(static_cast<int>(type)));
}

}  // namespace lb
