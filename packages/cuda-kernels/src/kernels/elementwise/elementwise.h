// Elementwise kernels over strided views: out[i] = f(in[i]) / f(a[i], b[i]) /
// where(cond[i], a[i], b[i]) for every multi-index i of `shape`. Every operand carries its
// own element offset and strides (0 for a broadcast dimension, negative allowed), so
// broadcasting, views and writes into a slice of the output need no copies. TypeScript
// merges dimensions before the call, so the common case is one contiguous run.
// CUDA (elementwise_cuda.cu): the same ops on device memory, the same scalar functions
// (elementwise_ops.h).
#pragma once
#include <cstdint>

#include "../../core/dtype.h"
#include "../../core/status.h"

namespace lb {

constexpr int kMaxDims = 8;

// Codes shared with packages/tensor/src/ops/elementwise (keep in step).
enum class UnaryOp : int { Copy = 0, Neg, Exp, Log, Sqrt, Abs, Pow, Clamp, Sign, Fill };
enum class BinaryOp : int { Add = 0, Sub, Mul, Div, Pow, Maximum, Minimum, Eq, Ne, Lt, Le, Gt, Ge };

struct Operand {
  void* data;
  int64_t offset;                 // in elements
  int64_t strides[kMaxDims];      // in elements
};

struct Iteration {
  int ndim;
  int64_t shape[kMaxDims];
};

// Copy converts in_type to out_type; the other ops keep the type (out_type == in_type).
// Pow uses p0 as exponent, Clamp uses [p0, p1], Fill writes p0 and ignores `in`.
Status unary_cpu(UnaryOp op, DType in_type, DType out_type, const Iteration& it, const Operand& out, const Operand& in,
                 double p0, double p1);

// a and b share `type`; comparisons write uint8 (0/1), the others write `type`.
Status binary_cpu(BinaryOp op, DType type, const Iteration& it, const Operand& out, const Operand& a, const Operand& b);

// cond is uint8; a, b and out share `type`.
Status where_cpu(DType type, const Iteration& it, const Operand& out, const Operand& cond, const Operand& a,
                 const Operand& b);

// The CUDA kernels: operands' data are device memory; stream is a cudaStream_t (null:
// the default stream).
Status unary_cuda(UnaryOp op, DType in_type, DType out_type, const Iteration& it, const Operand& out, const Operand& in,
                  double p0, double p1, void* stream);
Status binary_cuda(BinaryOp op, DType type, const Iteration& it, const Operand& out, const Operand& a, const Operand& b,
                   void* stream);
Status where_cuda(DType type, const Iteration& it, const Operand& out, const Operand& cond, const Operand& a,
                  const Operand& b, void* stream);

}  // namespace lb
