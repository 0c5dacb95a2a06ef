// Reduction CPU kernels (see reduce.h). Parallel over outer x inner; a row of `size`
// values is read with stride `inner`, so inner == 1 is a contiguous scan.
#include <cmath>
#include <limits>
#include <string>
#include <algorithm>
#include <type_traits>
#include <vector>

#include "../../core/thread_pool.h"
#include "reduce.h"

namespace lb {
namespace {

template <typename T>
using SumType = std::conditional_t<std::is_floating_point_v<T>, double, int64_t>;

template <typename T>
bool is_nan(T v) {
  if constexpr (std::is_floating_point_v<T>) return std::isnan(v);
  return false;
}

// Index of the extreme value along one row; `better(a, b)` says a beats b.
template <typename T, typename Better>
int64_t arg_extreme(const T* p, int64_t size, int64_t stride, Better better) {
  int64_t best = 0;
  T bv = p[0];
  if (is_nan(bv)) return 0;
  for (int64_t r = 1; r < size; ++r) {
    T v = p[r * stride];
    if (is_nan(v)) return r;
    if (better(v, bv)) {
      bv = v;
      best = r;
    }
  }
  return best;
}

// Sum of a contiguous run in double; `omp simd` (with -fopenmp-simd, no OpenMP runtime)
// lets the compiler vectorise the reduction by reassociating it in double precision.
template <typename T>
double sum_contiguous(const T* p, int64_t size) {
  double acc = 0;
#pragma omp simd reduction(+ : acc)
  for (int64_t r = 0; r < size; ++r) acc += static_cast<double>(p[r]);
  return acc;
}

// Few long rows (a full reduction, say): split each row over the pool, then add the parts.
template <typename T>
void sum_long_rows(int64_t outer, int64_t size, const T* in, T* out) {
  const int64_t parts = std::max<int64_t>(1, std::min<int64_t>(num_threads() * 4, size / 65536));
  std::vector<double> partial(static_cast<size_t>(outer * parts));
  const int64_t step = (size + parts - 1) / parts;
  parallel_tasks(outer * parts, [&](int64_t t) {
    const int64_t o = t / parts, part = t % parts;
    const int64_t begin = part * step, end = std::min(size, begin + step);
    partial[t] = begin < end ? sum_contiguous(in + o * size + begin, end - begin) : 0.0;
  });
  for (int64_t o = 0; o < outer; ++o) {
    double acc = 0;
    for (int64_t part = 0; part < parts; ++part) acc += partial[o * parts + part];
    out[o] = static_cast<T>(acc);
  }
}

template <typename T>
Status reduce_typed(ReduceOp op, int64_t outer, int64_t size, int64_t inner, const T* in, void* out) {
  const int64_t n = outer * inner;
  if constexpr (std::is_floating_point_v<T>) {
    if (op == ReduceOp::Sum && inner == 1 && outer < num_threads() && size >= 131072) {
      sum_long_rows(outer, size, in, static_cast<T*>(out));
      return Status::Ok();
    }
  }
  const int64_t grain = std::max<int64_t>(1, 65536 / std::max<int64_t>(1, size));
  parallel_for(n, grain, [&](int64_t begin, int64_t end) {
    for (int64_t j = begin; j < end; ++j) {
      const int64_t o = j / inner, i = j % inner;
      const T* p = in + o * size * inner + i;
      switch (op) {
        case ReduceOp::Sum: {
          SumType<T> acc = 0;
          if constexpr (std::is_floating_point_v<T>) {
            if (inner == 1) acc = sum_contiguous(p, size);
            else for (int64_t r = 0; r < size; ++r) acc += static_cast<double>(p[r * inner]);
          } else {
            for (int64_t r = 0; r < size; ++r) acc += static_cast<SumType<T>>(p[r * inner]);
          }
          if constexpr (std::is_floating_point_v<T>) {
            static_cast<T*>(out)[j] = static_cast<T>(acc);
          } else {
            static_cast<int32_t*>(out)[j] = static_cast<int32_t>(acc);
          }
          break;
        }
        case ReduceOp::Max:
        case ReduceOp::ArgMax: {
          int64_t k = arg_extreme(p, size, inner, [](T a, T b) { return a > b; });
          if (op == ReduceOp::Max) static_cast<T*>(out)[j] = p[k * inner];
          else static_cast<int32_t*>(out)[j] = static_cast<int32_t>(k);
          break;
        }
        case ReduceOp::Min:
        case ReduceOp::ArgMin: {
          int64_t k = arg_extreme(p, size, inner, [](T a, T b) { return a < b; });
          if (op == ReduceOp::Min) static_cast<T*>(out)[j] = p[k * inner];
          else static_cast<int32_t*>(out)[j] = static_cast<int32_t>(k);
          break;
        }
      }
    }
  });
  return Status::Ok();
}

}  // namespace

Status reduce_cpu(ReduceOp op, DType type, int64_t outer, int64_t size, int64_t inner, const void* in, void* out) {
  if (static_cast<int>(op) < 0 || static_cast<int>(op) > 4)
    return LB_FAIL("unknown reduce op code " + std::to_string(static_cast<int>(op)));
  if (size == 0 && op != ReduceOp::Sum) return LB_FAIL("max/min/argmax/argmin of an empty dimension");
  return dispatch_dtype(type, [&](auto t) {
    using T = decltype(t);
    return reduce_typed<T>(op, outer, size, inner, static_cast<const T*>(in), out);
  });
}

}  // namespace lb
