// The Winograd F(2x2, 3x3) and F(4x4, 3x3) CPU convolutions
// (src/kernels/conv2d/conv2d_winograd_cpu.cc) against the float64 CPU kernel (im2col +
// plain double GEMM) on the same random values: planes 1x1 to 17x17 (partial edge tiles),
// batch 1 and 3, channels no multiple of 8 (nor of the micro-kernel's tile), padding 0, 1
// and 2, with and without bias, on 1, 2 and 3 threads (blocks of several images, a short
// last block). Then the dispatch: float32 forward and backward data (the adjoint's
// forward) where conv2d_winograd_tile sends them to Winograd (both tiles), against
// float64; and the F(2x2) backward weight on the same cases and through the dispatch.
// Outputs start as random values, so overwriting is checked.
// Error allowed: max |got - want| / max |want| below 2e-6 for F(2x2) and 2e-5 for F(4x4)
// (the backward weight: 2e-5, its sums as long as the direct gradient's).
// The transforms add and scale values before and after the multiply, so float32 rounding
// runs above the direct convolution's: on these cases up to 3e-7 for F(2x2) and 4.3e-6 for
// F(4x4) (its transforms scale by up to 8), while scaling one term of a transform by
// 1.0001 shows up as 6e-5 or more. Run: lb_emu_tests conv2d_winograd.
#include <algorithm>
#include <cmath>
#include <cstdio>

#include "../../src/core/thread_pool.h"
#include "../../src/kernels/conv2d/conv2d.h"
#include "harness.h"

namespace {

using lb::Conv2dShape;
using lb::DType;

constexpr double kTolerance[2] = {2e-6, 2e-5};  // F(2x2), F(4x4)

struct Case {
  int64_t n, c, h, w, k, pad;
};

Conv2dShape shape_of(const Case& c) {
  return {c.n, c.c, c.h, c.w, c.k, 3, 3, c.h + 2 * c.pad - 2, c.w + 2 * c.pad - 2, 1, 1, c.pad, c.pad, 1, 1, 1};
}

std::string name_of(const Case& c, bool bias, int threads) {
  char what[160];
  std::snprintf(what, sizeof what, "n%lld c%lld %lldx%lld k%lld pad %lld%s, %d threads", (long long)c.n,
                (long long)c.c, (long long)c.h, (long long)c.w, (long long)c.k, (long long)c.pad, bias ? " bias" : "",
                threads);
  return what;
}

std::vector<double> forward_f64(const Conv2dShape& s, const std::vector<float>& x, const std::vector<float>& w,
                                const std::vector<float>* bias) {
  const std::vector<double> xd = lbt::widened(x), wd = lbt::widened(w), bd = bias ? lbt::widened(*bias) : std::vector<double>();
  std::vector<double> y(static_cast<size_t>(s.n * s.k * s.p * s.q));
  LBT_CHECK(lb::conv2d_forward_cpu(DType::F64, s, xd.data(), wd.data(), bias ? bd.data() : nullptr, y.data()).ok,
            "conv2d_forward_cpu float64");
  return y;
}

// Every plane from 1x1 to 17x17 that padding 0, 1 or 2 leaves an output for, in pairs of
// sides, over a few channel counts.
std::vector<Case> cases() {
  const int64_t sides[][2] = {{1, 1}, {1, 2}, {2, 2}, {3, 3}, {3, 4}, {4, 4}, {5, 7}, {6, 6}, {8, 8}, {9, 5}, {16, 16}, {17, 17}, {17, 11}};
  const int64_t channels[][2] = {{1, 1}, {3, 5}, {13, 7}, {19, 37}};
  std::vector<Case> out;
  int which = 0;
  for (const auto& hw : sides)
    for (int64_t pad = 0; pad <= 2; ++pad) {
      if (hw[0] + 2 * pad < 3 || hw[1] + 2 * pad < 3) continue;
      const auto& ck = channels[which++ % 4];
      out.push_back({which % 2 ? 3 : 1, ck[0], hw[0], hw[1], ck[1], pad});
    }
  return out;
}

LBT_TEST(conv2d_winograd, matches_float64) {
  const int saved = lb::num_threads();
  int count = 0;
  for (int tile : {2, 4})
    for (int threads : {1, 2, 3}) {
      lb::set_num_threads(threads);
      for (const Case& c : cases()) {
        const bool with_bias = ++count % 2 == 0;
        const Conv2dShape s = shape_of(c);
        const std::vector<float> x = lbt::random_floats(s.n * s.c * s.h * s.w, 1), w = lbt::random_floats(s.k * s.c * 9, 2);
        const std::vector<float> bias = lbt::random_floats(s.k, 3);
        std::vector<float> y = lbt::random_floats(s.n * s.k * s.p * s.q, 4);
        const std::string what = "F(" + std::to_string(tile) + "x" + std::to_string(tile) + ") " + name_of(c, with_bias, threads);
        const lb::Status st = lb::conv2d_winograd_forward(s, tile, x.data(), w.data(), false, with_bias ? bias.data() : nullptr, y.data());
        LBT_CHECK(st.ok, what + ": " + st.message);
        const double e = lbt::max_scaled_error(y, forward_f64(s, x, w, with_bias ? &bias : nullptr));
        LBT_CHECK(e < kTolerance[tile / 4], what + ": y error " + std::to_string(e));
      }
    }
  lb::set_num_threads(saved);
}

// Through conv2d_forward_cpu and conv2d_backward_data_cpu, on shapes the dispatch sends to
// each tile (checked here, so a changed rule cannot silently test the other paths).
LBT_TEST(conv2d_winograd, dispatched_forward_and_backward_data) {
  const struct {
    Case c;
    int tile;
  } shapes[] = {{{3, 32, 8, 8, 40, 1}, 2}, {{2, 37, 4, 6, 33, 1}, 2}, {{1, 48, 2, 2, 35, 1}, 2}, {{2, 33, 16, 20, 41, 1}, 4}};
  for (const auto& [c, tile] : shapes) {
    const Conv2dShape s = shape_of(c);
    const Conv2dShape adjoint{s.n, s.k, s.p, s.q, s.c, 3, 3, s.h, s.w, 1, 1, 2 - s.pad_h, 2 - s.pad_w, 1, 1, 1};
    const std::string what = name_of(c, true, lb::num_threads());
    LBT_CHECK(lb::conv2d_winograd_tile(s) == tile && lb::conv2d_winograd_tile(adjoint) == tile,
              what + ": not sent to F(" + std::to_string(tile) + "x" + std::to_string(tile) + ")");
    const std::vector<float> x = lbt::random_floats(s.n * s.c * s.h * s.w, 5), w = lbt::random_floats(s.k * s.c * 9, 6);
    const std::vector<float> bias = lbt::random_floats(s.k, 7), dy = lbt::random_floats(s.n * s.k * s.p * s.q, 8);
    std::vector<float> y = lbt::random_floats(dy.size(), 9), dx = lbt::random_floats(x.size(), 10);
    LBT_CHECK(lb::conv2d_forward_cpu(DType::F32, s, x.data(), w.data(), bias.data(), y.data()).ok, "conv2d_forward_cpu");
    LBT_CHECK(lb::conv2d_backward_data_cpu(DType::F32, s, dy.data(), w.data(), dx.data()).ok, "conv2d_backward_data_cpu");
    const std::vector<double> dyd = lbt::widened(dy), wd = lbt::widened(w);
    std::vector<double> dx_want(x.size());
    LBT_CHECK(lb::conv2d_backward_data_cpu(DType::F64, s, dyd.data(), wd.data(), dx_want.data()).ok,
              "conv2d_backward_data_cpu float64");
    const double ey = lbt::max_scaled_error(y, forward_f64(s, x, w, &bias)), edx = lbt::max_scaled_error(dx, dx_want);
    LBT_CHECK(ey < kTolerance[tile / 4], what + ": y error " + std::to_string(ey));
    LBT_CHECK(edx < kTolerance[tile / 4], what + ": dx error " + std::to_string(edx));
  }
}

// The backward weight (F(2x2) adjoints and 16 GEMMs over the tiles) on every case above, then
// through conv2d_backward_weight_cpu on shapes its rule sends there. Its depth is the batch's
// tiles, so float32 sums run as long as the direct gradient's: 2e-5, as conv2d_float32.
LBT_TEST(conv2d_winograd, backward_weight_matches_float64) {
  const int saved = lb::num_threads();
  for (int threads : {1, 2, 3}) {
    lb::set_num_threads(threads);
    for (const Case& c : cases()) {
      const Conv2dShape s = shape_of(c);
      const std::vector<float> x = lbt::random_floats(s.n * s.c * s.h * s.w, 11), dy = lbt::random_floats(s.n * s.k * s.p * s.q, 12);
      std::vector<float> dw = lbt::random_floats(s.k * s.c * 9, 13);
      const std::string what = "backward weight " + name_of(c, false, threads);
      const lb::Status st = lb::conv2d_winograd_backward_weight(s, x.data(), dy.data(), dw.data());
      LBT_CHECK(st.ok, what + ": " + st.message);
      const std::vector<double> xd = lbt::widened(x), dyd = lbt::widened(dy);
      std::vector<double> want(dw.size());
      LBT_CHECK(lb::conv2d_backward_weight_cpu(DType::F64, s, xd.data(), dyd.data(), want.data(), nullptr).ok, "float64 backward weight");
      const double e = lbt::max_scaled_error(dw, want);
      LBT_CHECK(e < 2e-5, what + ": dw error " + std::to_string(e));
    }
  }
  lb::set_num_threads(saved);
  for (const Case& c : {Case{3, 32, 8, 8, 40, 1}, Case{2, 37, 4, 6, 33, 1}, Case{1, 64, 7, 5, 32, 1}}) {
    const Conv2dShape s = shape_of(c);
    const std::string what = "dispatched backward weight " + name_of(c, false, lb::num_threads());
    LBT_CHECK(lb::conv2d_winograd_backward_weight_applies(s), what + ": not sent to Winograd");
    const std::vector<float> x = lbt::random_floats(s.n * s.c * s.h * s.w, 14), dy = lbt::random_floats(s.n * s.k * s.p * s.q, 15);
    std::vector<float> dw = lbt::random_floats(s.k * s.c * 9, 16);
    LBT_CHECK(lb::conv2d_backward_weight_cpu(DType::F32, s, x.data(), dy.data(), dw.data(), nullptr).ok, what);
    const std::vector<double> xd = lbt::widened(x), dyd = lbt::widened(dy);
    std::vector<double> want(dw.size());
    LBT_CHECK(lb::conv2d_backward_weight_cpu(DType::F64, s, xd.data(), dyd.data(), want.data(), nullptr).ok, "float64 backward weight");
    const double e = lbt::max_scaled_error(dw, want);
    LBT_CHECK(e < 2e-5, what + ": dw error " + std::to_string(e));
  }
}

LBT_TEST(conv2d_winograd, refuses_other_kernels) {
  Conv2dShape s = shape_of({1, 3, 5, 5, 4, 1});
  s.stride_h = s.stride_w = 2;
  s.p = s.q = 3;
  const lb::Status st = lb::conv2d_winograd_forward(s, 2, nullptr, nullptr, false, nullptr, nullptr);
  LBT_CHECK(!st.ok && st.message.find("stride 1") != std::string::npos, "a stride-2 convolution: " + st.message);
  const lb::Status t = lb::conv2d_winograd_forward(shape_of({1, 3, 5, 5, 4, 1}), 3, nullptr, nullptr, false, nullptr, nullptr);
  LBT_CHECK(!t.ok && t.message.find("tile 3") != std::string::npos, "F(3x3): " + t.message);
}

}  // namespace
