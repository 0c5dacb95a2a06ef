// Elementwise CPU kernels (see elementwise.h). Each op is a scalar function
// (elementwise_ops.h, shared with the CUDA kernels) applied by one templated loop: a
// contiguous fast path the compiler vectorises, else a strided loop.
// Bench: bench/elementwise.
#include <cmath>
#include <string>
#include <type_traits>

#include "../../core/exp_float.h"
#include "../../core/simd_clones.h"
#include "elementwise.h"
#include "elementwise_ops.h"
#include "strided_loop.h"

namespace lb {
namespace {

template <typename Out, typename In, typename F>
void map1(const Iteration& it, const Operand& out, const Operand& in, F f) {
  Out* o = static_cast<Out*>(out.data);
  const In* x = static_cast<const In*>(in.data);
  strided_for_each<2>(it, {&out, &in}, [&](const std::array<int64_t, 2>& base, int64_t n, const std::array<int64_t, 2>& s) {
    Out* op = o + base[0];
    const In* xp = x + base[1];
    if (s[0] == 1 && s[1] == 1) {
      for (int64_t i = 0; i < n; ++i) op[i] = f(xp[i]);
    } else {
      for (int64_t i = 0; i < n; ++i) op[i * s[0]] = f(xp[i * s[1]]);
    }
  });
}

template <typename Out, typename T, typename F>
void map2(const Iteration& it, const Operand& out, const Operand& a, const Operand& b, F f) {
  Out* o = static_cast<Out*>(out.data);
  const T* x = static_cast<const T*>(a.data);
  const T* y = static_cast<const T*>(b.data);
  strided_for_each<3>(it, {&out, &a, &b},
                      [&](const std::array<int64_t, 3>& base, int64_t n, const std::array<int64_t, 3>& s) {
                        Out* op = o + base[0];
                        const T* xp = x + base[1];
                        const T* yp = y + base[2];
                        if (s[0] == 1 && s[1] == 1 && s[2] == 1) {
                          for (int64_t i = 0; i < n; ++i) op[i] = f(xp[i], yp[i]);
                        } else if (s[0] == 1 && s[1] == 1 && s[2] == 0) {
                          const T yv = *yp;
                          for (int64_t i = 0; i < n; ++i) op[i] = f(xp[i], yv);
                        } else {
                          for (int64_t i = 0; i < n; ++i) op[i * s[0]] = f(xp[i * s[1]], yp[i * s[2]]);
                        }
                      });
}

// e^x over a contiguous run of float32, compiled for AVX2 and AVX-512 too: exp_float's
// polynomial, not memory, bounds it on the baseline build's 4-wide vectors.
LB_SIMD_CLONES void exp_run(const float* x, int64_t n, float* y) {
  for (int64_t i = 0; i < n; ++i) y[i] = exp_float(x[i]);
}

void exp_float32(const Iteration& it, const Operand& out, const Operand& in) {
  float* o = static_cast<float*>(out.data);
  const float* x = static_cast<const float*>(in.data);
  strided_for_each<2>(it, {&out, &in}, [&](const std::array<int64_t, 2>& base, int64_t n, const std::array<int64_t, 2>& s) {
    if (s[0] == 1 && s[1] == 1) return exp_run(x + base[1], n, o + base[0]);
    for (int64_t i = 0; i < n; ++i) o[base[0] + i * s[0]] = exp_float(x[base[1] + i * s[1]]);
  });
}

template <UnaryOp kOp, typename T>
void unary_op(const Iteration& it, const Operand& out, const Operand& in, const UnaryArgs<T>& args) {
  map1<T, T>(it, out, in, [args](T x) { return unary_fn<kOp>(x, args); });
}

template <typename T>
Status unary_same(UnaryOp op, const Iteration& it, const Operand& out, const Operand& in, double p0, double p1) {
  const UnaryArgs<T> args = unary_args<T>(p0, p1);
  switch (op) {
    case UnaryOp::Neg: unary_op<UnaryOp::Neg>(it, out, in, args); break;
    case UnaryOp::Exp:
      // exp_float vectorises (CUDA keeps expf); libm's expf is a call per value.
      if constexpr (std::is_same_v<T, float>) exp_float32(it, out, in);
      else unary_op<UnaryOp::Exp>(it, out, in, args);
      break;
    case UnaryOp::Log: unary_op<UnaryOp::Log>(it, out, in, args); break;
    case UnaryOp::Sqrt: unary_op<UnaryOp::Sqrt>(it, out, in, args); break;
    case UnaryOp::Abs: unary_op<UnaryOp::Abs>(it, out, in, args); break;
    case UnaryOp::Sign: unary_op<UnaryOp::Sign>(it, out, in, args); break;
    case UnaryOp::Pow:
      // x·x is what pow(x, 2) rounds to, and it vectorises.
      if (args.p == ComputeType<T>(2)) map1<T, T>(it, out, in, [](T x) { return static_cast<T>(x * x); });
      else unary_op<UnaryOp::Pow>(it, out, in, args);
      break;
    case UnaryOp::Clamp: unary_op<UnaryOp::Clamp>(it, out, in, args); break;
    case UnaryOp::Fill: unary_op<UnaryOp::Fill>(it, out, out, args); break;
    default: return LB_FAIL("unknown unary op code " + std::to_string(static_cast<int>(op)));
  }
  return Status::Ok();
}

template <BinaryOp kOp, typename T>
void binary_op(const Iteration& it, const Operand& out, const Operand& a, const Operand& b) {
  using Out = decltype(binary_fn<kOp>(T{}, T{}));
  map2<Out, T>(it, out, a, b, [](T x, T y) { return binary_fn<kOp>(x, y); });
}

template <typename T>
Status binary_typed(BinaryOp op, const Iteration& it, const Operand& out, const Operand& a, const Operand& b) {
  switch (op) {
    case BinaryOp::Add: binary_op<BinaryOp::Add, T>(it, out, a, b); break;
    case BinaryOp::Sub: binary_op<BinaryOp::Sub, T>(it, out, a, b); break;
    case BinaryOp::Mul: binary_op<BinaryOp::Mul, T>(it, out, a, b); break;
    case BinaryOp::Div:
      // Integer division by zero is undefined in C++; TypeScript promotes integer div to float.
      if constexpr (!std::is_floating_point_v<T>) return LB_FAIL("integer division is done in floating point; got an integer div kernel call");
      else binary_op<BinaryOp::Div, T>(it, out, a, b);
      break;
    case BinaryOp::Pow: binary_op<BinaryOp::Pow, T>(it, out, a, b); break;
    case BinaryOp::Maximum: binary_op<BinaryOp::Maximum, T>(it, out, a, b); break;
    case BinaryOp::Minimum: binary_op<BinaryOp::Minimum, T>(it, out, a, b); break;
    case BinaryOp::Eq: binary_op<BinaryOp::Eq, T>(it, out, a, b); break;
    case BinaryOp::Ne: binary_op<BinaryOp::Ne, T>(it, out, a, b); break;
    case BinaryOp::Lt: binary_op<BinaryOp::Lt, T>(it, out, a, b); break;
    case BinaryOp::Le: binary_op<BinaryOp::Le, T>(it, out, a, b); break;
    case BinaryOp::Gt: binary_op<BinaryOp::Gt, T>(it, out, a, b); break;
    case BinaryOp::Ge: binary_op<BinaryOp::Ge, T>(it, out, a, b); break;
    default: return LB_FAIL("unknown binary op code " + std::to_string(static_cast<int>(op)));
  }
  return Status::Ok();
}

}  // namespace

Status unary_cpu(UnaryOp op, DType in_type, DType out_type, const Iteration& it, const Operand& out, const Operand& in,
                 double p0, double p1) {
  if (op == UnaryOp::Copy) {
    return dispatch_dtype(out_type, [&](auto o) {
      using Out = decltype(o);
      return dispatch_dtype(in_type, [&](auto i) {
        using In = decltype(i);
        map1<Out, In>(it, out, in, [](In x) { return static_cast<Out>(x); });
        return Status::Ok();
      });
    });
  }
  if (in_type != out_type) return LB_FAIL("unary op needs equal input and output dtypes");
  return dispatch_dtype(in_type, [&](auto t) { return unary_same<decltype(t)>(op, it, out, in, p0, p1); });
}

Status binary_cpu(BinaryOp op, DType type, const Iteration& it, const Operand& out, const Operand& a, const Operand& b) {
  return dispatch_dtype(type, [&](auto t) { return binary_typed<decltype(t)>(op, it, out, a, b); });
}

Status where_cpu(DType type, const Iteration& it, const Operand& out, const Operand& cond, const Operand& a,
                 const Operand& b) {
  return dispatch_dtype(type, [&](auto t) {
    using T = decltype(t);
    T* o = static_cast<T*>(out.data);
    const uint8_t* c = static_cast<const uint8_t*>(cond.data);
    const T* x = static_cast<const T*>(a.data);
    const T* y = static_cast<const T*>(b.data);
    strided_for_each<4>(it, {&out, &cond, &a, &b},
                        [&](const std::array<int64_t, 4>& base, int64_t n, const std::array<int64_t, 4>& s) {
                          for (int64_t i = 0; i < n; ++i)
                            o[base[0] + i * s[0]] =
                                c[base[1] + i * s[1]] ? x[base[2] + i * s[2]] : y[base[3] + i * s[3]];
                        });
    return Status::Ok();
  });
}

}  // namespace lb
