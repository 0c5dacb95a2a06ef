// The CUDA pooling kernels (src/kernels/pool/pool_cuda.cu), emulated, against the CPU
// kernels: max (with ties, so the first maximum must win, and NaNs, so the last NaN must),
// average with and without padding counted, adaptive average (windows smaller and larger
// than the input), forward and backward, float32 and float64; odd planes, size-1 planes,
// planes not a multiple of anything, 0 planes, kernels 1x1 to 7x7, strides 1 and 2, padding
// 0 to 3. The kernels walk the CPU's windows in the CPU's order, so y, the indices and dx
// must equal the CPU's exactly; dx starts as random values, so overwriting is checked.
// Max pooling's backward must report the lowest bad index through its device int32 and
// then write nothing. Under every schedule. The CPU max pooling itself is checked against
// a plain transcription of PyTorch's loop (odd sizes, kernels 2 and 3, strides 1 and 2,
// padding 0 and 1, batches 1 and 3, ties, NaNs, -infinity), as is its bad-index refusal.
// Run: lb_emu_tests pool.
#include <algorithm>
#include <cmath>

#include "../../src/kernels/pool/pool.h"
#include "harness.h"

namespace {

using lb::DType;
using lb::Pool2dShape;
using lb::PoolMode;

// planes, h, w, kernel, stride, pad; the adaptive cases use kernel and stride as P and Q.
struct Case {
  int64_t planes, h, w, kernel, stride, pad;
};

const Case kFixed[] = {{1, 1, 1, 1, 1, 0},  {3, 7, 9, 3, 2, 1}, {15, 11, 6, 7, 2, 3}, {2, 5, 5, 3, 1, 1},
                       {4, 8, 9, 2, 2, 0},  {3, 9, 7, 7, 1, 3}, {1, 13, 13, 1, 2, 0}, {0, 5, 5, 3, 2, 1}};
const Case kAdaptive[] = {{3, 7, 9, 3, 4, 0}, {2, 1, 1, 1, 1, 0}, {5, 5, 5, 7, 7, 0}, {1, 13, 6, 1, 1, 0}, {6, 4, 11, 3, 5, 0}};

Pool2dShape shape_of(PoolMode mode, const Case& c) {
  if (mode == PoolMode::AdaptiveAvg) return {c.planes, c.h, c.w, c.kernel, c.stride, 0, 0, 0, 0, 0, 0};
  const int64_t p = (c.h + 2 * c.pad - c.kernel) / c.stride + 1, q = (c.w + 2 * c.pad - c.kernel) / c.stride + 1;
  return {c.planes, c.h, c.w, p, q, c.kernel, c.kernel, c.stride, c.stride, c.pad, c.pad};
}

// Random values on a grid of quarters (so windows hold ties), with a NaN every 13th value
// when `nans`.
template <typename T>
std::vector<T> values(int64_t n, uint64_t seed, bool nans) {
  const std::vector<float> r = lbt::random_floats(static_cast<size_t>(n), seed, -2, 2);
  std::vector<T> v(r.size());
  for (size_t i = 0; i < v.size(); ++i) v[i] = nans && i % 13 == 5 ? T(NAN) : std::round(T(r[i]) * 4) / 4;
  return v;
}

// Positions where a and b differ (a NaN equals a NaN).
template <typename T>
int64_t differences(const std::vector<T>& a, const std::vector<T>& b) {
  int64_t n = 0;
  for (size_t i = 0; i < a.size(); ++i) n += !(a[i] == b[i] || (a[i] != a[i] && b[i] != b[i]));
  return n;
}

const char* mode_name(PoolMode mode) {
  switch (mode) {
    case PoolMode::Max: return "max";
    case PoolMode::Avg: return "avg";
    case PoolMode::AvgExcludePad: return "avg_exclude_pad";
    case PoolMode::AdaptiveAvg: return "adaptive_avg";
  }
  return "?";
}

template <typename T>
void check(PoolMode mode, const Case& c, const std::string& schedule) {
  const DType type = std::is_same_v<T, float> ? DType::F32 : DType::F64;
  const Pool2dShape s = shape_of(mode, c);
  const int64_t nx = s.planes * s.h * s.w, ny = s.planes * s.p * s.q;
  const std::vector<T> x = values<T>(nx, 1, mode == PoolMode::Max), dy = values<T>(ny, 2, false), dx0 = values<T>(nx, 3, false);
  std::vector<T> want_y(ny), want_dx = dx0;
  std::vector<int32_t> want_idx(std::max<int64_t>(ny, 1), 0);  // never empty: a null buffer is refused
  LBT_CHECK(lb::pool2d_forward_cpu(type, mode, s, x.data(), want_y.data(), want_idx.data()).ok, "pool2d_forward_cpu");
  LBT_CHECK(lb::pool2d_backward_cpu(type, mode, s, dy.data(), want_idx.data(), want_dx.data()).ok, "pool2d_backward_cpu");

  T *dx_in = lbt::to_device(x), *dy_d = lbt::to_device(dy), *y = lbt::to_device(std::vector<T>(ny, T(7)));
  T* dx = lbt::to_device(dx0);
  int32_t *idx = lbt::to_device(std::vector<int32_t>(want_idx.size(), 7)), *bad = lbt::to_device(std::vector<int32_t>{7});
  const lb::Status f = lb::pool2d_forward_cuda(type, mode, s, dx_in, y, idx, nullptr);
  LBT_CHECK(f.ok, "pool2d_forward_cuda: " + f.message);
  const lb::Status b = lb::pool2d_backward_cuda(type, mode, s, dy_d, idx, dx, bad, nullptr);
  LBT_CHECK(b.ok, "pool2d_backward_cuda: " + b.message);
  const std::vector<T> got_y = lbt::to_host(y, ny), got_dx = lbt::to_host(dx, nx);
  const std::vector<int32_t> got_idx = lbt::to_host(idx, want_idx.size()), got_bad = lbt::to_host(bad, 1);
  for (void* p : {static_cast<void*>(dx_in), static_cast<void*>(dy_d), static_cast<void*>(y), static_cast<void*>(dx),
                  static_cast<void*>(idx), static_cast<void*>(bad)})
    cudaFree(p);

  const std::string what = std::string(mode_name(mode)) + " " + lb::dtype_name(type) + " planes " + std::to_string(c.planes) +
                           " " + std::to_string(c.h) + "x" + std::to_string(c.w) + " -> " + std::to_string(s.p) + "x" +
                           std::to_string(s.q) + " kernel " + std::to_string(s.kernel_h) + " stride " +
                           std::to_string(s.stride_h) + " pad " + std::to_string(s.pad_h) + " " + schedule;
  LBT_CHECK(differences(got_y, want_y) == 0, what + ": y differs at " + std::to_string(differences(got_y, want_y)));
  LBT_CHECK(differences(got_dx, want_dx) == 0, what + ": dx differs at " + std::to_string(differences(got_dx, want_dx)));
  if (mode == PoolMode::Max) {
    LBT_CHECK(std::equal(got_idx.begin(), got_idx.begin() + ny, want_idx.begin()), what + ": the indices differ");
    LBT_CHECK(got_bad[0] == -1, what + ": bad_position " + std::to_string(got_bad[0]) + " for good indices");
  } else {
    LBT_CHECK(got_bad[0] == 7, what + ": bad_position written outside max pooling");
  }
}

LBT_TEST(pool, matches_cpu_every_schedule) {
  lbt::for_each_schedule([](const std::string& schedule) {
    for (PoolMode mode : {PoolMode::Max, PoolMode::Avg, PoolMode::AvgExcludePad})
      for (const Case& c : kFixed) {
        check<float>(mode, c, schedule);
        check<double>(mode, c, schedule);
      }
    for (const Case& c : kAdaptive) {
      check<float>(PoolMode::AdaptiveAvg, c, schedule);
      check<double>(PoolMode::AdaptiveAvg, c, schedule);
    }
  });
}

// A max pooling forward on `planes` random 7x9 planes (3x3 windows, stride 2, padding 1)
// and the rest of a backward's inputs: dy, and dx's starting values dx0.
struct MaxBackwardCase {
  Pool2dShape s;
  int64_t nx;
  std::vector<float> dy, dx0;
  std::vector<int32_t> idx;
};

MaxBackwardCase max_backward_case(int64_t planes) {
  const Pool2dShape s = shape_of(PoolMode::Max, {planes, 7, 9, 3, 2, 1});
  const int64_t nx = s.planes * s.h * s.w, ny = s.planes * s.p * s.q;
  const std::vector<float> x = values<float>(nx, 1, false);
  std::vector<float> y(ny);
  std::vector<int32_t> idx(ny);
  LBT_CHECK(lb::pool2d_forward_cpu(DType::F32, PoolMode::Max, s, x.data(), y.data(), idx.data()).ok, "pool2d_forward_cpu");
  return {s, nx, values<float>(ny, 2, false), values<float>(nx, 3, false), idx};
}

// Corrupts the forward's indices at `at` and expects max pooling's backward to report
// `expected` and leave dx alone.
void check_bad_index(const std::vector<std::pair<size_t, int32_t>>& corrupt, int32_t expected) {
  auto [s, nx, dy, dx0, idx] = max_backward_case(3);
  for (const auto& [at, value] : corrupt) idx[at] = value;
  float *dy_d = lbt::to_device(dy), *dx = lbt::to_device(dx0);
  int32_t *idx_d = lbt::to_device(idx), *bad = lbt::to_device(std::vector<int32_t>{7});
  const lb::Status st = lb::pool2d_backward_cuda(DType::F32, PoolMode::Max, s, dy_d, idx_d, dx, bad, nullptr);
  LBT_CHECK(st.ok, "pool2d_backward_cuda: " + st.message);
  const int32_t got = lbt::to_host(bad, 1)[0];
  LBT_CHECK(got == expected, "bad_position " + std::to_string(got) + ", expected " + std::to_string(expected));
  LBT_CHECK(lbt::to_host(dx, nx) == dx0, "dx was written although an index was bad");
  for (void* p : {static_cast<void*>(dy_d), static_cast<void*>(dx), static_cast<void*>(idx_d), static_cast<void*>(bad)})
    cudaFree(p);
}

LBT_TEST(pool, max_backward_reports_bad_index) {
  lbt::for_each_schedule([](const std::string&) {
    check_bad_index({{9, -1}, {5, 63}}, 5);    // 63 = 7 * 9: just past the plane, as -1 is before it
    check_bad_index({{30, 1 << 30}}, 30);     // far outside
    check_bad_index({{20, 62}, {40, 0}}, 20);  // 62: in the plane, outside the window of output 20
  });
}

// Max pooling as PyTorch's CPU loop writes it (max_pool2d_with_indices, channels first):
// the first in-input position starts, then a value wins if greater or NaN. The backward
// adds dy at each index in output order, as the CPU kernel does, so dx must match exactly.
template <typename T>
void reference_max_pool(const Pool2dShape& s, const std::vector<T>& x, const std::vector<T>& dy, std::vector<T>& y,
                        std::vector<int32_t>& idx, std::vector<T>& dx) {
  std::fill(dx.begin(), dx.end(), T(0));
  for (int64_t n = 0; n < s.planes; ++n)
    for (int64_t p = 0; p < s.p; ++p)
      for (int64_t q = 0; q < s.q; ++q) {
        const int64_t hs = p * s.stride_h - s.pad_h, ws = q * s.stride_w - s.pad_w;
        const int64_t h0 = std::max<int64_t>(hs, 0), w0 = std::max<int64_t>(ws, 0);
        const int64_t h1 = std::min(hs + s.kernel_h, s.h), w1 = std::min(ws + s.kernel_w, s.w);
        T best = -INFINITY;
        int64_t at = h0 * s.w + w0;
        for (int64_t ih = h0; ih < h1; ++ih)
          for (int64_t iw = w0; iw < w1; ++iw) {
            const T v = x[n * s.h * s.w + ih * s.w + iw];
            if (v > best || std::isnan(v)) {
              best = v;
              at = ih * s.w + iw;
            }
          }
        const int64_t o = (n * s.p + p) * s.q + q;
        y[o] = best;
        idx[o] = static_cast<int32_t>(at);
        dx[n * s.h * s.w + at] += dy[o];
      }
}

template <typename T>
void check_max_against_reference(int64_t planes, int64_t h, int64_t w, int64_t kernel, int64_t stride, int64_t pad) {
  const DType type = std::is_same_v<T, float> ? DType::F32 : DType::F64;
  if (h + 2 * pad < kernel || w + 2 * pad < kernel) return;  // no output
  const Pool2dShape s = shape_of(PoolMode::Max, {planes, h, w, kernel, stride, pad});
  const int64_t nx = s.planes * s.h * s.w, ny = s.planes * s.p * s.q;
  std::vector<T> x = values<T>(nx, 4 + h, true);
  for (int64_t i = 7; i < nx; i += 17) x[i] = -INFINITY;  // and windows of -infinity only, at 1x1
  const std::vector<T> dy = values<T>(ny, 5, false);
  std::vector<T> want_y(ny), want_dx(nx), y(ny, T(7)), dx = values<T>(nx, 6, false);
  std::vector<int32_t> want_idx(ny), idx(ny, 7);
  reference_max_pool(s, x, dy, want_y, want_idx, want_dx);
  LBT_CHECK(lb::pool2d_forward_cpu(type, PoolMode::Max, s, x.data(), y.data(), idx.data()).ok, "pool2d_forward_cpu");
  LBT_CHECK(lb::pool2d_backward_cpu(type, PoolMode::Max, s, dy.data(), idx.data(), dx.data()).ok, "pool2d_backward_cpu");
  const std::string what = std::string("cpu max ") + lb::dtype_name(type) + " planes " + std::to_string(planes) + " " +
                           std::to_string(h) + "x" + std::to_string(w) + " kernel " + std::to_string(kernel) + " stride " +
                           std::to_string(stride) + " pad " + std::to_string(pad);
  LBT_CHECK(differences(y, want_y) == 0, what + ": y differs at " + std::to_string(differences(y, want_y)));
  LBT_CHECK(idx == want_idx, what + ": the indices differ");
  LBT_CHECK(differences(dx, want_dx) == 0, what + ": dx differs at " + std::to_string(differences(dx, want_dx)));
}

LBT_TEST(pool, cpu_max_matches_reference) {
  const int64_t sizes[][3] = {{1, 7, 9}, {3, 5, 5}, {6, 9, 7}, {15, 11, 13}, {9, 1, 1}, {1, 2, 3}, {384, 16, 16}};
  for (const auto& [planes, h, w] : sizes)
    for (int64_t kernel : {2, 3})
      for (int64_t stride : {1, 2})
        for (int64_t pad : {0, 1}) {
          check_max_against_reference<float>(planes, h, w, kernel, stride, pad);
          check_max_against_reference<double>(planes, h, w, kernel, stride, pad);
        }
}

// The CPU backward refuses the lowest index outside its plane and writes nothing; enough
// outputs (2000 planes of 20) for the check to split over threads and blocks.
LBT_TEST(pool, cpu_max_backward_refuses_bad_index) {
  const auto [s, nx, dy, dx0, idx] = max_backward_case(2000);
  const std::pair<std::vector<std::pair<int64_t, int32_t>>, int64_t> cases[] = {
      {{{37000, -5}, {20001, 63}}, 20001}, {{{37000, 1 << 30}}, 37000}, {{{39999, -1}, {5, 63}}, 5}};
  for (const auto& [corrupt, expected] : cases) {
    std::vector<int32_t> bad = idx;
    for (const auto& [at, value] : corrupt) bad[at] = value;
    std::vector<float> dx = dx0;
    const lb::Status st = lb::pool2d_backward_cpu(DType::F32, PoolMode::Max, s, dy.data(), bad.data(), dx.data());
    LBT_CHECK(!st.ok && st.message.find("at position " + std::to_string(expected) + " ") != std::string::npos,
              "expected the bad index at " + std::to_string(expected) + ", got: " + st.message);
    LBT_CHECK(dx == dx0, "dx was written although an index was bad");
  }
}

LBT_TEST(pool, bad_arguments) {
  const Pool2dShape s = shape_of(PoolMode::Max, {3, 7, 9, 3, 2, 1});
  const lb::Status t = lb::pool2d_forward_cuda(DType::I32, PoolMode::Avg, s, nullptr, nullptr, nullptr, nullptr);
  LBT_CHECK(!t.ok && t.message.find("float32 or float64") != std::string::npos, "an int32 pooling");
  const lb::Status i = lb::pool2d_forward_cuda(DType::F32, PoolMode::Max, s, nullptr, nullptr, nullptr, nullptr);
  LBT_CHECK(!i.ok && i.message.find("indices") != std::string::npos, "max pooling without indices");
  const lb::Status b = lb::pool2d_backward_cuda(DType::F32, PoolMode::Max, s, nullptr, nullptr, nullptr, nullptr, nullptr);
  LBT_CHECK(!b.ok && b.message.find("bad_position") != std::string::npos, "max backward without bad_position");
  Pool2dShape wrong = s;
  wrong.q = 9;
  const lb::Status o = lb::pool2d_backward_cuda(DType::F32, PoolMode::Avg, wrong, nullptr, nullptr, nullptr, nullptr, nullptr);
  LBT_CHECK(!o.ok && o.message.find("does not match") != std::string::npos, "a wrong output size");
}

}  // namespace
