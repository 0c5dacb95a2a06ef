// Elementwise CPU kernels (see elementwise.h). Each op is a scalar function applied by one
// templated loop: a contiguous fast path the compiler vectorises, else a strided loop.
// Bench: bench/elementwise.
#include <cmath>
#include <string>

#include "elementwise.h"
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

// NaN-propagating max/min, as torch.maximum / torch.minimum.
template <typename T>
T nan_max(T a, T b) {
  if constexpr (std::is_floating_point_v<T>) {
    if (std::isnan(a) || std::isnan(b)) return std::numeric_limits<T>::quiet_NaN();
  }
  return a > b ? a : b;
}
template <typename T>
T nan_min(T a, T b) {
  if constexpr (std::is_floating_point_v<T>) {
    if (std::isnan(a) || std::isnan(b)) return std::numeric_limits<T>::quiet_NaN();
  }
  return a < b ? a : b;
}

template <typename T>
T int_pow(T base, T exp) {
  if (exp < 0) return base == 1 ? 1 : (base == T(-1) ? ((exp % 2) ? T(-1) : T(1)) : 0);
  T r = 1;
  while (exp) {
    if (exp & 1) r = static_cast<T>(r * base);
    base = static_cast<T>(base * base);
    exp >>= 1;
  }
  return r;
}

template <typename T>
Status unary_same(UnaryOp op, const Iteration& it, const Operand& out, const Operand& in, double p0, double p1) {
  using C = std::conditional_t<std::is_floating_point_v<T>, T, double>;  // compute type for transcendental ops
  switch (op) {
    case UnaryOp::Neg: map1<T, T>(it, out, in, [](T x) { return static_cast<T>(-x); }); break;
    case UnaryOp::Exp: map1<T, T>(it, out, in, [](T x) { return static_cast<T>(std::exp(C(x))); }); break;
    case UnaryOp::Log: map1<T, T>(it, out, in, [](T x) { return static_cast<T>(std::log(C(x))); }); break;
    case UnaryOp::Sqrt: map1<T, T>(it, out, in, [](T x) { return static_cast<T>(std::sqrt(C(x))); }); break;
    case UnaryOp::Abs: map1<T, T>(it, out, in, [](T x) { return x < T(0) ? static_cast<T>(-x) : x; }); break;
    case UnaryOp::Sign:
      map1<T, T>(it, out, in, [](T x) { return static_cast<T>((T(0) < x) - (x < T(0))); });
      break;
    case UnaryOp::Pow: {
      const C p = static_cast<C>(p0);
      if (p == C(2)) {
        map1<T, T>(it, out, in, [](T x) { return static_cast<T>(x * x); });
      } else {
        map1<T, T>(it, out, in, [p](T x) { return static_cast<T>(std::pow(C(x), p)); });
      }
      break;
    }
    case UnaryOp::Clamp: {
      const T lo = static_cast<T>(p0), hi = static_cast<T>(p1);
      map1<T, T>(it, out, in, [lo, hi](T x) {
        if constexpr (std::is_floating_point_v<T>) {
          if (std::isnan(x)) return x;
        }
        return x < lo ? lo : (x > hi ? hi : x);
      });
      break;
    }
    case UnaryOp::Fill: {
      const T v = static_cast<T>(p0);
      map1<T, T>(it, out, out, [v](T) { return v; });
      break;
    }
    default: return LB_FAIL("unknown unary op code " + std::to_string(static_cast<int>(op)));
  }
  return Status::Ok();
}

template <typename T>
Status binary_typed(BinaryOp op, const Iteration& it, const Operand& out, const Operand& a, const Operand& b) {
  switch (op) {
    case BinaryOp::Add: map2<T, T>(it, out, a, b, [](T x, T y) { return static_cast<T>(x + y); }); break;
    case BinaryOp::Sub: map2<T, T>(it, out, a, b, [](T x, T y) { return static_cast<T>(x - y); }); break;
    case BinaryOp::Mul: map2<T, T>(it, out, a, b, [](T x, T y) { return static_cast<T>(x * y); }); break;
    case BinaryOp::Div:
      if constexpr (std::is_floating_point_v<T>) {
        map2<T, T>(it, out, a, b, [](T x, T y) { return x / y; });
      } else {
        // Integer division by zero is undefined in C++; TypeScript promotes integer div to float.
        return LB_FAIL("integer division is done in floating point; got an integer div kernel call");
      }
      break;
    case BinaryOp::Pow:
      if constexpr (std::is_floating_point_v<T>) {
        map2<T, T>(it, out, a, b, [](T x, T y) { return static_cast<T>(std::pow(x, y)); });
      } else {
        map2<T, T>(it, out, a, b, [](T x, T y) { return int_pow<T>(x, y); });
      }
      break;
    case BinaryOp::Maximum: map2<T, T>(it, out, a, b, nan_max<T>); break;
    case BinaryOp::Minimum: map2<T, T>(it, out, a, b, nan_min<T>); break;
    case BinaryOp::Eq: map2<uint8_t, T>(it, out, a, b, [](T x, T y) { return uint8_t(x == y); }); break;
    case BinaryOp::Ne: map2<uint8_t, T>(it, out, a, b, [](T x, T y) { return uint8_t(x != y); }); break;
    case BinaryOp::Lt: map2<uint8_t, T>(it, out, a, b, [](T x, T y) { return uint8_t(x < y); }); break;
    case BinaryOp::Le: map2<uint8_t, T>(it, out, a, b, [](T x, T y) { return uint8_t(x <= y); }); break;
    case BinaryOp::Gt: map2<uint8_t, T>(it, out, a, b, [](T x, T y) { return uint8_t(x > y); }); break;
    case BinaryOp::Ge: map2<uint8_t, T>(it, out, a, b, [](T x, T y) { return uint8_t(x >= y); }); break;
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
