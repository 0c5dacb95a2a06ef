// Elementwise kernels on the GPU (see elementwise.h): one thread per element of the
// iteration space, threads striding over the rest; each thread turns its flat index into
// a multi-index (last dimension fastest) and each operand's element offset from its own
// strides (0: broadcast, negative allowed). The op is a switch inside the kernel, uniform
// across the launch, so one kernel per type (per type pair for copies) serves every op;
// the scalar functions are elementwise_ops.h, shared with the CPU kernels.
// Test: test/emu/elementwise_test.cc (emulated, against the CPU kernels). Bench: bench/gpu.
#include <string>

#include "../../cuda_emu/cuda.h"
#include "elementwise.h"
#include "elementwise_ops.h"

namespace lb {
namespace {

constexpr int kThreads = 256;

int64_t element_count(const Iteration& it) {
  int64_t n = 1;
  for (int d = 0; d < it.ndim; ++d) n *= it.shape[d];
  return n;
}

// The iteration and its operands, one kernel parameter. The kernels index it in place:
// taking an operand's address would copy the parameters to local memory.
template <int N>
struct Views {
  Iteration it;
  Operand op[N];
};

// Element offsets of the N operands at flat index `linear` (last dimension fastest).
template <int N>
__device__ __forceinline__ void offsets(const Views<N>& v, int64_t linear, int64_t (&off)[N]) {
  LB_UNROLL
  for (int o = 0; o < N; ++o) off[o] = v.op[o].offset;
  for (int d = v.it.ndim - 1; d >= 0; --d) {
    const int64_t idx = linear % v.it.shape[d];
    linear /= v.it.shape[d];
    LB_UNROLL
    for (int o = 0; o < N; ++o) off[o] += idx * v.op[o].strides[d];
  }
}

template <typename T>
__device__ T apply_unary(UnaryOp op, T x, const UnaryArgs<T>& a) {
  switch (op) {
    case UnaryOp::Neg: return unary_fn<UnaryOp::Neg>(x, a);
    case UnaryOp::Exp: return unary_fn<UnaryOp::Exp>(x, a);
    case UnaryOp::Log: return unary_fn<UnaryOp::Log>(x, a);
    case UnaryOp::Sqrt: return unary_fn<UnaryOp::Sqrt>(x, a);
    case UnaryOp::Abs: return unary_fn<UnaryOp::Abs>(x, a);
    case UnaryOp::Sign: return unary_fn<UnaryOp::Sign>(x, a);
    case UnaryOp::Pow: return unary_fn<UnaryOp::Pow>(x, a);
    case UnaryOp::Clamp: return unary_fn<UnaryOp::Clamp>(x, a);
    default: return unary_fn<UnaryOp::Fill>(x, a);
  }
}

// Views<2>: out, in.
template <typename T>
__global__ void __launch_bounds__(kThreads) unary_kernel(UnaryOp op, Views<2> v, UnaryArgs<T> args, int64_t n) {
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * kThreads + threadIdx.x; i < n;
       i += static_cast<int64_t>(gridDim.x) * kThreads) {
    int64_t off[2];
    offsets(v, i, off);
    const T x = op == UnaryOp::Fill ? T(0) : static_cast<const T*>(v.op[1].data)[off[1]];
    static_cast<T*>(v.op[0].data)[off[0]] = apply_unary(op, x, args);
  }
}

// Views<2>: out, in.
template <typename Out, typename In>
__global__ void __launch_bounds__(kThreads) copy_kernel(Views<2> v, int64_t n) {
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * kThreads + threadIdx.x; i < n;
       i += static_cast<int64_t>(gridDim.x) * kThreads) {
    int64_t off[2];
    offsets(v, i, off);
    static_cast<Out*>(v.op[0].data)[off[0]] = static_cast<Out>(static_cast<const In*>(v.op[1].data)[off[1]]);
  }
}

template <BinaryOp kOp, typename T>
__device__ __forceinline__ void store_binary(const Operand& out, int64_t off, T x, T y) {
  using Out = decltype(binary_fn<kOp>(x, y));
  static_cast<Out*>(out.data)[off] = binary_fn<kOp>(x, y);
}

// Views<3>: out, a, b.
template <typename T>
__global__ void __launch_bounds__(kThreads) binary_kernel(BinaryOp op, Views<3> v, int64_t n) {
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * kThreads + threadIdx.x; i < n;
       i += static_cast<int64_t>(gridDim.x) * kThreads) {
    int64_t off[3];
    offsets(v, i, off);
    const Operand& out = v.op[0];
    const T x = static_cast<const T*>(v.op[1].data)[off[1]], y = static_cast<const T*>(v.op[2].data)[off[2]];
    switch (op) {
      case BinaryOp::Add: store_binary<BinaryOp::Add>(out, off[0], x, y); break;
      case BinaryOp::Sub: store_binary<BinaryOp::Sub>(out, off[0], x, y); break;
      case BinaryOp::Mul: store_binary<BinaryOp::Mul>(out, off[0], x, y); break;
      case BinaryOp::Div: store_binary<BinaryOp::Div>(out, off[0], x, y); break;
      case BinaryOp::Pow: store_binary<BinaryOp::Pow>(out, off[0], x, y); break;
      case BinaryOp::Maximum: store_binary<BinaryOp::Maximum>(out, off[0], x, y); break;
      case BinaryOp::Minimum: store_binary<BinaryOp::Minimum>(out, off[0], x, y); break;
      case BinaryOp::Eq: store_binary<BinaryOp::Eq>(out, off[0], x, y); break;
      case BinaryOp::Ne: store_binary<BinaryOp::Ne>(out, off[0], x, y); break;
      case BinaryOp::Lt: store_binary<BinaryOp::Lt>(out, off[0], x, y); break;
      case BinaryOp::Le: store_binary<BinaryOp::Le>(out, off[0], x, y); break;
      case BinaryOp::Gt: store_binary<BinaryOp::Gt>(out, off[0], x, y); break;
      default: store_binary<BinaryOp::Ge>(out, off[0], x, y); break;
    }
  }
}

// Views<4>: out, cond, a, b.
template <typename T>
__global__ void __launch_bounds__(kThreads) where_kernel(Views<4> v, int64_t n) {
  for (int64_t i = static_cast<int64_t>(blockIdx.x) * kThreads + threadIdx.x; i < n;
       i += static_cast<int64_t>(gridDim.x) * kThreads) {
    int64_t off[4];
    offsets(v, i, off);
    static_cast<T*>(v.op[0].data)[off[0]] = static_cast<const uint8_t*>(v.op[1].data)[off[1]]
                                                ? static_cast<const T*>(v.op[2].data)[off[2]]
                                                : static_cast<const T*>(v.op[3].data)[off[3]];
  }
}

}  // namespace

Status unary_cuda(UnaryOp op, DType in_type, DType out_type, const Iteration& it, const Operand& out, const Operand& in,
                  double p0, double p1, void* stream) {
  const int64_t n = element_count(it);
  if (n == 0) return Status::Ok();
  cudaStream_t s = static_cast<cudaStream_t>(stream);
  if (op == UnaryOp::Copy) {
    return dispatch_dtype(out_type, [&](auto o) {
      using Out = decltype(o);
      return dispatch_dtype(in_type, [&](auto i) {
        using In = decltype(i);
        LB_LAUNCH(strided_grid(n, kThreads), kThreads, 0, s, copy_kernel<Out, In>)(Views<2>{it, {out, in}}, n);
        return LB_CUDA_CHECK(cudaGetLastError(), "copy_kernel");
      });
    });
  }
  if (in_type != out_type) return LB_FAIL("unary op needs equal input and output dtypes");
  if (static_cast<int>(op) < 1 || static_cast<int>(op) > static_cast<int>(UnaryOp::Fill))
    return LB_FAIL("unknown unary op code " + std::to_string(static_cast<int>(op)));
  return dispatch_dtype(in_type, [&](auto t) {
    using T = decltype(t);
    LB_LAUNCH(strided_grid(n, kThreads), kThreads, 0, s, unary_kernel<T>)(op, Views<2>{it, {out, in}}, unary_args<T>(p0, p1), n);
    return LB_CUDA_CHECK(cudaGetLastError(), "unary_kernel");
  });
}

Status binary_cuda(BinaryOp op, DType type, const Iteration& it, const Operand& out, const Operand& a, const Operand& b,
                   void* stream) {
  if (static_cast<int>(op) < 0 || static_cast<int>(op) > static_cast<int>(BinaryOp::Ge))
    return LB_FAIL("unknown binary op code " + std::to_string(static_cast<int>(op)));
  if (op == BinaryOp::Div && type != DType::F32 && type != DType::F64)
    return LB_FAIL("integer division is done in floating point; got an integer div kernel call");
  const int64_t n = element_count(it);
  if (n == 0) return Status::Ok();
  cudaStream_t s = static_cast<cudaStream_t>(stream);
  return dispatch_dtype(type, [&](auto t) {
    using T = decltype(t);
    LB_LAUNCH(strided_grid(n, kThreads), kThreads, 0, s, binary_kernel<T>)(op, Views<3>{it, {out, a, b}}, n);
    return LB_CUDA_CHECK(cudaGetLastError(), "binary_kernel");
  });
}

Status where_cuda(DType type, const Iteration& it, const Operand& out, const Operand& cond, const Operand& a,
                  const Operand& b, void* stream) {
  const int64_t n = element_count(it);
  if (n == 0) return Status::Ok();
  cudaStream_t s = static_cast<cudaStream_t>(stream);
  return dispatch_dtype(type, [&](auto t) {
    using T = decltype(t);
    LB_LAUNCH(strided_grid(n, kThreads), kThreads, 0, s, where_kernel<T>)(Views<4>{it, {out, cond, a, b}}, n);
    return LB_CUDA_CHECK(cudaGetLastError(), "where_kernel");
  });
}

}  // namespace lb
