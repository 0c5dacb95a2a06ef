// The scalar functions of the elementwise ops, shared by elementwise_cpu.cc and
// elementwise_cuda.cu so both compute the same thing: unary_fn<op>(x, args),
// binary_fn<op>(x, y). Transcendental ops on integers compute in double; max/min
// propagate NaN as torch.maximum/minimum; integer pow is exact (negative exponents give
// 0 unless the base is ±1); comparisons give uint8 0/1.
#pragma once
#include <math.h>

#include <cstdint>
#include <type_traits>

#include "../../core/host_device.h"
#include "elementwise.h"

namespace lb {

template <typename T>
using ComputeType = std::conditional_t<std::is_floating_point_v<T>, T, double>;

template <typename T>
LB_HOST_DEVICE LB_FORCE_INLINE bool is_nan_value(T v) {
  if constexpr (std::is_floating_point_v<T>) return v != v;
  return false;
}

template <typename T>
LB_HOST_DEVICE LB_FORCE_INLINE T nan_max(T a, T b) {
  if (is_nan_value(a)) return a;
  if (is_nan_value(b)) return b;
  return a > b ? a : b;
}

template <typename T>
LB_HOST_DEVICE LB_FORCE_INLINE T nan_min(T a, T b) {
  if (is_nan_value(a)) return a;
  if (is_nan_value(b)) return b;
  return a < b ? a : b;
}

template <typename T>
LB_HOST_DEVICE inline T int_pow(T base, T exp) {
  if constexpr (std::is_signed_v<T>) {
    if (exp < 0) return base == 1 ? 1 : (base == T(-1) ? ((exp % 2) ? T(-1) : T(1)) : 0);
  }
  T r = 1;
  while (exp) {
    if (exp & 1) r = static_cast<T>(r * base);
    base = static_cast<T>(base * base);
    exp >>= 1;
  }
  return r;
}

// The parameters of the unary ops: Pow's exponent p; Clamp's [lo, hi]; Fill's value lo.
template <typename T>
struct UnaryArgs {
  ComputeType<T> p;
  T lo, hi;
};

template <typename T>
UnaryArgs<T> unary_args(double p0, double p1) {
  return UnaryArgs<T>{static_cast<ComputeType<T>>(p0), static_cast<T>(p0), static_cast<T>(p1)};
}

// Copy is handled apart (it converts between types).
template <UnaryOp kOp, typename T>
LB_HOST_DEVICE LB_FORCE_INLINE T unary_fn(T x, const UnaryArgs<T>& a) {
  using C = ComputeType<T>;
  if constexpr (kOp == UnaryOp::Neg) return static_cast<T>(-x);
  else if constexpr (kOp == UnaryOp::Exp) return static_cast<T>(exp(C(x)));
  else if constexpr (kOp == UnaryOp::Log) return static_cast<T>(log(C(x)));
  else if constexpr (kOp == UnaryOp::Sqrt) return static_cast<T>(sqrt(C(x)));
  else if constexpr (kOp == UnaryOp::Abs) {
    if constexpr (std::is_signed_v<T>) return x < T(0) ? static_cast<T>(-x) : x;
    else return x;
  } else if constexpr (kOp == UnaryOp::Sign) {
    if constexpr (std::is_signed_v<T>) return static_cast<T>((T(0) < x) - (x < T(0)));
    else return static_cast<T>(T(0) < x);
  }
  else if constexpr (kOp == UnaryOp::Pow) return static_cast<T>(pow(C(x), a.p));
  else if constexpr (kOp == UnaryOp::Clamp) return is_nan_value(x) ? x : (x < a.lo ? a.lo : (x > a.hi ? a.hi : x));
  else return a.lo;  // Fill
}

// Div is floating point only (TypeScript promotes integer division).
template <BinaryOp kOp, typename T>
LB_HOST_DEVICE LB_FORCE_INLINE auto binary_fn(T x, T y) {
  if constexpr (kOp == BinaryOp::Add) return static_cast<T>(x + y);
  else if constexpr (kOp == BinaryOp::Sub) return static_cast<T>(x - y);
  else if constexpr (kOp == BinaryOp::Mul) return static_cast<T>(x * y);
  else if constexpr (kOp == BinaryOp::Div) return x / y;
  else if constexpr (kOp == BinaryOp::Pow) {
    if constexpr (std::is_floating_point_v<T>) return static_cast<T>(pow(x, y));
    else return int_pow<T>(x, y);
  }
  else if constexpr (kOp == BinaryOp::Maximum) return nan_max(x, y);
  else if constexpr (kOp == BinaryOp::Minimum) return nan_min(x, y);
  else if constexpr (kOp == BinaryOp::Eq) return uint8_t(x == y);
  else if constexpr (kOp == BinaryOp::Ne) return uint8_t(x != y);
  else if constexpr (kOp == BinaryOp::Lt) return uint8_t(x < y);
  else if constexpr (kOp == BinaryOp::Le) return uint8_t(x <= y);
  else if constexpr (kOp == BinaryOp::Gt) return uint8_t(x > y);
  else return uint8_t(x >= y);  // Ge
}

}  // namespace lb
