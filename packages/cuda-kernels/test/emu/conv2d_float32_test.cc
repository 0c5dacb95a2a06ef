// The float32 CPU convolutions' own paths (src/kernels/conv2d), through conv2d_forward_cpu,
// conv2d_backward_data_cpu and conv2d_backward_weight_cpu, against the float64 CPU kernel
// (im2col + plain double GEMM) on the same random values. Outputs start as random values, so
// overwriting is checked.
// - strided: 1x1 kernels on the subsampled input, larger kernels unfolded or on shifted
//   windows of phase planes, backward weight's per-tap GEMMs transposed with 16 channels in
//   and 32 out, the C = 3 stems and 1x1 kernels with few weights (backward weight by dot
//   products): odd planes, batch 1 and 3, strides 2 and 3 (and 2 by 1), padding 0 to 3,
//   with and without bias, a 1x1 output plane, channels no multiple of the micro-kernel's tile;
//   and stride 1 on shifted windows with 16 channels in (per-tap backward weight products in
//   the micro-kernel that pads them least).
// - dense: windows that cover the whole plane (conv2d_dense_applies: one GEMM over the batch
//   with the kernel read as a dense matrix): 3x3 on 2x2 and 1x1 planes at strides 1 and 2,
//   5x5 on 3x3, a 3x5 kernel on a 2x3 plane, two groups, and matrices that cross the GEMM's
//   blocks (400 x 400), on 1 and 3 threads; each case checked to take that path.
// - indirect: strided kernels above 1x1 on the indirect GEMM (kIndirectCases), and backward
//   weights over few channels in with the taps as the tiles' rows (kStemCases), on 1 and 3
//   threads, each checked to take that path.
// Error allowed: max |got - want| / max |want| below 2e-5. Run: lb_emu_tests conv2d_float32.
#include <algorithm>
#include <cmath>
#include <cstdio>

#include "../../src/core/thread_pool.h"
#include "../../src/kernels/conv2d/conv2d.h"
#include "harness.h"

namespace {

using lb::Conv2dShape;
using lb::DType;

struct Case {
  int64_t n, c, h, w, k, r, s, stride_h, stride_w, pad, groups = 1, dil = 1;
};

const Case kStridedCases[] = {
    // 1x1: subsampled (stride 3 too, 2 by 1), and a 1x1 output, which keeps unfolding.
    {3, 5, 9, 7, 6, 1, 1, 2, 2, 0},      {1, 16, 8, 8, 32, 1, 1, 2, 2, 0},   {2, 3, 11, 10, 4, 1, 1, 3, 3, 0},
    {3, 7, 6, 5, 9, 1, 1, 2, 1, 0},      {3, 4, 2, 2, 5, 1, 1, 2, 2, 0},
    // 1x1 backward weight by dot products (planes of 64 or more values, few weights).
    {2, 16, 17, 18, 32, 1, 1, 2, 2, 0},  {3, 5, 9, 8, 7, 1, 1, 1, 1, 0},
    // 3x3 and 7x7 with stride, padding 0 to 3.
    {3, 5, 9, 11, 7, 3, 3, 2, 2, 1},     {1, 16, 13, 13, 32, 3, 3, 2, 2, 1}, {2, 6, 10, 8, 9, 3, 3, 2, 2, 0},
    {3, 4, 7, 7, 5, 3, 3, 2, 2, 2},      {2, 9, 12, 9, 19, 3, 3, 2, 1, 1},   {3, 3, 15, 13, 10, 7, 7, 2, 2, 3},
    {1, 3, 9, 9, 8, 7, 7, 2, 2, 3},      {2, 10, 8, 8, 4, 5, 5, 3, 3, 2},   {3, 8, 11, 12, 6, 7, 7, 2, 2, 3},
    // 2x2 taps at stride 3 (input pixels no tap reads), and planes smaller than the kernel.
    {2, 8, 10, 11, 5, 2, 2, 3, 3, 1},    {3, 12, 2, 3, 7, 3, 3, 2, 2, 1},    {1, 9, 1, 1, 4, 3, 3, 2, 2, 1},
    // The C = 3 stem at stride 1.
    {3, 3, 11, 9, 16, 3, 3, 1, 1, 1},
    // Stride 1 on shifted windows, backward weight's per-tap products with 16 channels in and
    // 16 or 24 out (on AVX-512 machines in AVX2's 6 x 16 tiles, which pad them least).
    {2, 16, 12, 12, 16, 3, 3, 1, 1, 1},  {1, 16, 11, 13, 24, 3, 3, 1, 1, 1},
};

const Case kDenseCases[] = {
    {3, 5, 2, 2, 7, 3, 3, 1, 1, 1},  {2, 9, 2, 2, 11, 3, 3, 2, 2, 1},  {3, 12, 1, 1, 20, 3, 3, 1, 1, 1},
    {3, 6, 3, 3, 5, 5, 5, 1, 1, 2},  {2, 5, 2, 3, 4, 3, 5, 1, 1, 1},   {3, 8, 2, 2, 6, 3, 3, 1, 1, 1, 2},
    {5, 100, 2, 2, 100, 3, 3, 1, 1, 1},
};

// Kernels above 1x1 on the indirect GEMM (conv2d_indirect_*_applies: strided, or on planes of
// 16 values or fewer; backward data with 16 channels in and out or more, backward weight
// when strided with 16 in or more on planes up to 16x16): planes of 16 values or fewer (a
// channels-last copy) and larger (NCHW read in place), output channels no multiple of a
// tile (17, 20, 40), strides 2, 3 and 3 by 2, padding 0 to 3, a 3x5 kernel, dilation 2, 2x2 taps at stride 3 (input pixels no tap
// reaches: backward data writes them 0), output pixels whose window lies in the padding
// (forward: the bias alone), fewer than 16 channels in (the forward's gather tile), results
// of 64 Ki values per image, which go in chunks of 2 images (3 chunks for 5), and stride 1
// on planes of 16 values or fewer (backward weight elsewhere).
const Case kIndirectCases[] = {
    {3, 33, 9, 11, 17, 3, 3, 2, 2, 1}, {2, 32, 4, 4, 40, 3, 3, 2, 2, 1},     {1, 40, 3, 5, 24, 3, 3, 2, 2, 0},
    {3, 32, 10, 9, 16, 3, 5, 3, 2, 2}, {2, 32, 7, 7, 20, 2, 2, 3, 3, 1},     {1, 36, 2, 2, 16, 3, 3, 2, 2, 3},
    {2, 32, 9, 9, 16, 3, 3, 2, 2, 2, 1, 2}, {2, 16, 13, 13, 32, 3, 3, 2, 2, 1}, {1, 32, 17, 16, 16, 3, 3, 2, 2, 1},
    {3, 3, 15, 13, 10, 7, 7, 2, 2, 3},     {2, 5, 11, 9, 40, 3, 3, 2, 2, 1, 1, 2}, {2, 36, 9, 9, 8, 3, 3, 2, 2, 1},
    {5, 16, 63, 63, 64, 3, 3, 2, 2, 1},    {3, 20, 4, 4, 24, 3, 3, 1, 1, 1},       {2, 16, 3, 5, 17, 3, 3, 1, 1, 0},
};

// Backward weight over fewer than 16 channels in (conv2d_indirect_stem_backward_weight_applies):
// the 7x7/2 stem on odd planes, 3x3 stride 1 with 16 out (AVX2's tiles on AVX-512 machines),
// 40 out (no multiple of a tile), a 5x3 kernel at stride 2 by 1, dilation 2.
const Case kStemCases[] = {
    {3, 3, 15, 13, 10, 7, 7, 2, 2, 3}, {2, 3, 11, 9, 16, 3, 3, 1, 1, 1}, {1, 5, 12, 10, 40, 3, 3, 2, 2, 1},
    {3, 7, 9, 8, 24, 5, 3, 2, 1, 2},   {2, 4, 10, 10, 33, 3, 3, 1, 1, 2, 1, 2},
};

Conv2dShape shape_of(const Case& c) {
  const int64_t p = (c.h + 2 * c.pad - c.dil * (c.r - 1) - 1) / c.stride_h + 1;
  const int64_t q = (c.w + 2 * c.pad - c.dil * (c.s - 1) - 1) / c.stride_w + 1;
  return {c.n, c.c, c.h, c.w, c.k, c.r, c.s, p, q, c.stride_h, c.stride_w, c.pad, c.pad, c.dil, c.dil, c.groups};
}

std::string name_of(const Case& c, bool with_bias) {
  char what[180];
  std::snprintf(what, sizeof what,
                "n%lld c%lld %lldx%lld k%lld %lldx%lld stride %lldx%lld pad %lld groups %lld dil %lld%s threads %d",
                (long long)c.n, (long long)c.c, (long long)c.h, (long long)c.w, (long long)c.k, (long long)c.r,
                (long long)c.s, (long long)c.stride_h, (long long)c.stride_w, (long long)c.pad, (long long)c.groups,
                (long long)c.dil, with_bias ? " bias" : "", lb::num_threads());
  return what;
}

// The three passes in float32 against float64 on the same values.
void check_against_float64(const Case& c, bool with_bias) {
  const Conv2dShape s = shape_of(c);
  const std::string what = name_of(c, with_bias);
  const int64_t nx = s.n * s.c * s.h * s.w, nw = s.k * (s.c / s.groups) * s.r * s.s, ny = s.n * s.k * s.p * s.q;
  const std::vector<float> x = lbt::random_floats(nx, 1), w = lbt::random_floats(nw, 2), bias = lbt::random_floats(s.k, 3);
  const std::vector<float> dy = lbt::random_floats(ny, 4);
  std::vector<float> y = lbt::random_floats(ny, 5), dx = lbt::random_floats(nx, 6), dw = lbt::random_floats(nw, 7),
                     dbias = lbt::random_floats(s.k, 8);
  LBT_CHECK(lb::conv2d_forward_cpu(DType::F32, s, x.data(), w.data(), with_bias ? bias.data() : nullptr, y.data()).ok,
            what + ": forward");
  LBT_CHECK(lb::conv2d_backward_data_cpu(DType::F32, s, dy.data(), w.data(), dx.data()).ok, what + ": backward data");
  LBT_CHECK(lb::conv2d_backward_weight_cpu(DType::F32, s, x.data(), dy.data(), dw.data(), with_bias ? dbias.data() : nullptr).ok,
            what + ": backward weight");
  const std::vector<double> xd = lbt::widened(x), wd = lbt::widened(w), bd = lbt::widened(bias), dyd = lbt::widened(dy);
  std::vector<double> y64(ny), dx64(nx), dw64(nw), dbias64(s.k);
  LBT_CHECK(lb::conv2d_forward_cpu(DType::F64, s, xd.data(), wd.data(), with_bias ? bd.data() : nullptr, y64.data()).ok, "float64 forward");
  LBT_CHECK(lb::conv2d_backward_data_cpu(DType::F64, s, dyd.data(), wd.data(), dx64.data()).ok, "float64 backward data");
  LBT_CHECK(lb::conv2d_backward_weight_cpu(DType::F64, s, xd.data(), dyd.data(), dw64.data(), dbias64.data()).ok,
            "float64 backward weight");
  std::vector<std::pair<const char*, double>> errs = {
      {"y", lbt::max_scaled_error(y, y64)}, {"dx", lbt::max_scaled_error(dx, dx64)}, {"dw", lbt::max_scaled_error(dw, dw64)}};
  if (with_bias) errs.push_back({"dbias", lbt::max_scaled_error(dbias, dbias64)});
  for (const auto& [name, e] : errs) LBT_CHECK(e < 2e-5, what + ": " + name + " error " + std::to_string(e));
}

LBT_TEST(conv2d_float32, strided_matches_float64) {
  bool with_bias = false;
  for (const Case& c : kStridedCases) {
    with_bias = !with_bias;
    check_against_float64(c, with_bias);
  }
}

// Each case on 1 and 3 threads, with and without bias in turn, after takes_path(case, name)
// has checked that it runs the path under test.
template <size_t N, typename Check>
void check_cases_on_threads(const Case (&cases)[N], const Check& takes_path) {
  const int saved = lb::num_threads();
  for (const int threads : {1, 3}) {
    lb::set_num_threads(threads);
    bool with_bias = false;
    for (const Case& c : cases) {
      with_bias = !with_bias;
      takes_path(c, name_of(c, with_bias));
      check_against_float64(c, with_bias);
    }
  }
  lb::set_num_threads(saved);
}

LBT_TEST(conv2d_float32, dense_matches_float64) {
  check_cases_on_threads(kDenseCases, [](const Case& c, const std::string& name) {
    LBT_CHECK(lb::conv2d_dense_applies(shape_of(c)) && lb::conv2d_dense_backward_weight_applies(shape_of(c)),
              name + ": takes the dense path");
  });
}

LBT_TEST(conv2d_float32, indirect_matches_float64) {
  check_cases_on_threads(kIndirectCases, [](const Case& c, const std::string& name) {
    const Conv2dShape s = shape_of(c);
    LBT_CHECK(lb::conv2d_check(s).ok, name + ": valid");
    LBT_CHECK(lb::conv2d_indirect_forward_applies(s), name + ": forward takes the indirect GEMM");
    LBT_CHECK(lb::conv2d_indirect_backward_data_applies(s) == (c.c >= 16 && c.k >= 16),
              name + ": backward data takes the indirect GEMM from 16 channels in and out");
    const bool strided = c.stride_h > 1 || c.stride_w > 1;
    LBT_CHECK(lb::conv2d_indirect_backward_weight_applies(s) == (strided && c.h * c.w <= 256 && c.c >= 16),
              name + ": backward weight takes the indirect GEMM at stride on planes up to 16x16");
  });
}

LBT_TEST(conv2d_float32, stem_backward_weight_matches_float64) {
  check_cases_on_threads(kStemCases, [](const Case& c, const std::string& name) {
    LBT_CHECK(lb::conv2d_indirect_stem_backward_weight_applies(shape_of(c)), name + ": backward weight takes the gathered taps");
  });
}

// Where some output pixel misses some input pixel the dense matrix would hold zeros, and
// 1x1 kernels stay pointwise: none of these take the dense path.
LBT_TEST(conv2d_float32, dense_only_where_the_window_covers_the_plane) {
  const Case not_dense[] = {
      {1, 4, 3, 3, 4, 3, 3, 1, 1, 1},  // 3x3 padding 1 on 3x3: corners miss each other
      {1, 4, 3, 3, 4, 2, 2, 1, 1, 0},  // 2x2 unpadded on 3x3: each output pixel reads 4 of 9
      {1, 4, 4, 4, 4, 3, 3, 2, 2, 1},  // stride 2 on 4x4
      {1, 4, 1, 1, 4, 1, 1, 1, 1, 0},  // 1x1 kernel on 1x1 planes
  };
  for (const Case& c : not_dense) {
    LBT_CHECK(lb::conv2d_check(shape_of(c)).ok, name_of(c, false) + ": valid");
    LBT_CHECK(!lb::conv2d_dense_applies(shape_of(c)), name_of(c, false) + ": not dense");
  }
  Conv2dShape dilated = shape_of({1, 4, 2, 2, 4, 3, 3, 1, 1, 2});  // 3x3 dilation 2, padding 2 on 2x2
  dilated.dil_h = dilated.dil_w = 2;
  dilated.p = dilated.q = 2;
  LBT_CHECK(lb::conv2d_check(dilated).ok, "the dilated shape is valid");
  LBT_CHECK(!lb::conv2d_dense_applies(dilated), "dilation 2: not dense");
}

}  // namespace
