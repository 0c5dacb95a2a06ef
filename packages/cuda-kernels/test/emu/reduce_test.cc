// The reduction CUDA kernels (src/kernels/reduce/reduce_cuda.cu), emulated, against
// reduce_cpu: sum, max, min, argmax, argmin over float32, float64, int32 and uint8, for
// contiguous rows (inner 1) and strided columns, sizes 1, odd, long (several threads per
// element), an empty axis (sum), values with ties and rows holding NaN, under every
// schedule. Integer results and max/min/arg results must be identical; float sums agree
// to 1e-6 (float32) or 1e-12 (float64) of the sum of the magnitudes they add (the scale
// of rounding in a sum that cancels). Run: lb_emu_tests reduce.
#include <cmath>
#include <cstring>

#include "../../src/kernels/reduce/reduce.h"
#include "harness.h"

namespace {

using lb::DType;
using lb::ReduceOp;

struct Shape {
  int64_t outer, size, inner;
};
const Shape kShapes[] = {{1, 1, 1}, {3, 1000, 1}, {1, 70001, 1}, {5, 37, 1}, {2, 7, 33},
                         {4, 300, 65}, {1, 1, 5}, {7, 5, 1}, {3, 0, 4}, {2, 0, 1}};

// Values with ties (quarters of small integers), and a NaN in some rows for floats.
template <typename T>
std::vector<T> make_input(size_t n, uint64_t seed) {
  const std::vector<float> r = lbt::random_floats(n, seed, -1, 1);
  std::vector<T> v(n);
  for (size_t i = 0; i < n; ++i) {
    if constexpr (std::is_same_v<T, uint8_t>) v[i] = static_cast<uint8_t>((r[i] + 1) * 127.5f);
    else if constexpr (std::is_same_v<T, int32_t>) v[i] = static_cast<int32_t>(r[i] * 50);
    else v[i] = static_cast<T>(std::round(r[i] * 8) / 4 + (i % 3 == 0 ? r[i] * 1e-3 : 0));
  }
  if constexpr (std::is_floating_point_v<T>) {
    if (n > 40) v[n / 3] = NAN, v[n / 3 + 1] = NAN;
  }
  return v;
}

const char* op_name(ReduceOp op) {
  switch (op) {
    case ReduceOp::Sum: return "sum";
    case ReduceOp::Max: return "max";
    case ReduceOp::Min: return "min";
    case ReduceOp::ArgMax: return "argmax";
    case ReduceOp::ArgMin: return "argmin";
  }
  return "?";
}

template <typename T>
void check_type(DType type, const std::string& schedule) {
  for (const Shape& sh : kShapes) {
    for (ReduceOp op : {ReduceOp::Sum, ReduceOp::Max, ReduceOp::Min, ReduceOp::ArgMax, ReduceOp::ArgMin}) {
      if (sh.size == 0 && op != ReduceOp::Sum) continue;
      const std::string what = std::string(op_name(op)) + " " + lb::dtype_name(type) + " [" + std::to_string(sh.outer) +
                               "," + std::to_string(sh.size) + "," + std::to_string(sh.inner) + "] " + schedule;
      const std::vector<T> in = make_input<T>(static_cast<size_t>(sh.outer * sh.size * sh.inner), 17);
      const bool int_out = op == ReduceOp::ArgMax || op == ReduceOp::ArgMin ||
                           (op == ReduceOp::Sum && !std::is_floating_point_v<T>);
      const size_t n_out = static_cast<size_t>(sh.outer * sh.inner), out_bytes = n_out * (int_out ? 4 : sizeof(T));
      std::vector<char> want(out_bytes), got(out_bytes);
      const lb::Status sc = lb::reduce_cpu(op, type, sh.outer, sh.size, sh.inner, in.data(), want.data());
      LBT_CHECK(sc.ok, what + ": reduce_cpu: " + sc.message);
      T* din = lbt::to_device(in);
      char* dout = lbt::to_device(std::vector<char>(out_bytes));
      const lb::Status sg = lb::reduce_cuda(op, type, sh.outer, sh.size, sh.inner, din, dout, nullptr);
      LBT_CHECK(sg.ok, what + ": reduce_cuda: " + sg.message);
      got = lbt::to_host(dout, out_bytes);
      cudaFree(din);
      cudaFree(dout);
      if (int_out || op != ReduceOp::Sum) {
        // Identical, NaN included (the same NaN element is returned).
        LBT_CHECK(std::memcmp(got.data(), want.data(), out_bytes) == 0, what + ": differs from the CPU");
      } else {
        const T* g = reinterpret_cast<const T*>(got.data());
        const T* w = reinterpret_cast<const T*>(want.data());
        const double tol = std::is_same_v<T, float> ? 1e-6 : 1e-12;
        for (size_t j = 0; j < n_out; ++j) {
          const int64_t o = static_cast<int64_t>(j) / sh.inner, i = static_cast<int64_t>(j) % sh.inner;
          double magnitude = 1e-30;
          for (int64_t r = 0; r < sh.size; ++r) magnitude += std::fabs(static_cast<double>(in[(o * sh.size + r) * sh.inner + i]));
          const bool same_nan = std::isnan(g[j]) && std::isnan(w[j]);
          const double err = std::fabs(static_cast<double>(g[j]) - w[j]) / magnitude;
          if (!same_nan && !(err < tol)) {
            lbt::fail(what + ": output " + std::to_string(j) + " " + std::to_string(g[j]) + " vs " + std::to_string(w[j]));
            break;
          }
        }
      }
    }
  }
}

LBT_TEST(reduce, matches_cpu_every_schedule) {
  lbt::for_each_schedule([](const std::string& s) {
    check_type<float>(DType::F32, s);
    check_type<double>(DType::F64, s);
    check_type<int32_t>(DType::I32, s);
    check_type<uint8_t>(DType::U8, s);
  });
}

LBT_TEST(reduce, bad_arguments) {
  const lb::Status s = lb::reduce_cuda(ReduceOp::Max, DType::F32, 2, 0, 1, nullptr, nullptr, nullptr);
  LBT_CHECK(!s.ok && s.message.find("empty dimension") != std::string::npos, "max over an empty axis was accepted");
  const lb::Status t = lb::reduce_cuda(static_cast<ReduceOp>(9), DType::F32, 1, 1, 1, nullptr, nullptr, nullptr);
  LBT_CHECK(!t.ok && t.message.find("unknown reduce op") != std::string::npos, "an unknown op was accepted");
}

}  // namespace
