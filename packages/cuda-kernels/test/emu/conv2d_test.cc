// The implicit-GEMM CUDA convolution (src/kernels/conv2d/conv2d_cuda.cu), emulated, against
// the CPU kernels: forward (with and without bias), backward data, backward weight (with
// and without dbias), float32 and float64, on shapes that are no multiple of the 64 x 64 x 16
// tiles: batch 0, 1, 2 and 3, odd planes, size-1 planes, 1x1, 3x3 and 7x7 kernels, strides
// 1 and 2, padding 0 to 3, dilation 2, groups 2 to 4, kernel taps that read only padding,
// more than 64 output channels, backward weight deep enough to be split (split-K). Outputs
// start as random values, so overwriting is checked.
// Error allowed: max |got - want| / max |want| below 2e-5 (float32) or 1e-12 (float64).
// Under every schedule. Run: lb_emu_tests conv2d.
#include <algorithm>
#include <cmath>

#include "../../src/kernels/conv2d/conv2d.h"
#include "harness.h"

namespace {

using lb::Conv2dShape;
using lb::DType;

struct Case {
  int64_t n, c, h, w, k, r, s, stride, pad, dil, groups;
};

const Case kCases[] = {
    {1, 3, 7, 9, 5, 3, 3, 1, 1, 1, 1},    {3, 5, 11, 6, 7, 7, 7, 2, 3, 1, 1},   {2, 6, 5, 5, 9, 1, 1, 2, 0, 1, 3},
    {1, 4, 9, 7, 4, 3, 3, 1, 2, 2, 2},    {3, 1, 1, 1, 1, 1, 1, 1, 0, 1, 1},    {2, 10, 13, 13, 70, 3, 3, 2, 1, 1, 1},
    {1, 8, 3, 3, 6, 7, 7, 1, 3, 1, 2},    {0, 3, 5, 5, 4, 3, 3, 1, 1, 1, 1},    {3, 12, 1, 1, 20, 3, 3, 1, 1, 1, 4},
    // Backward weight split over its depth N*P*Q (3 splits each, the second grouped).
    {3, 2, 33, 33, 3, 3, 3, 1, 1, 1, 1},  {2, 4, 40, 40, 4, 1, 1, 1, 0, 1, 2},
};

Conv2dShape shape_of(const Case& c) {
  const int64_t p = (c.h + 2 * c.pad - c.dil * (c.r - 1) - 1) / c.stride + 1;
  const int64_t q = (c.w + 2 * c.pad - c.dil * (c.s - 1) - 1) / c.stride + 1;
  return {c.n, c.c, c.h, c.w, c.k, c.r, c.s, p, q, c.stride, c.stride, c.pad, c.pad, c.dil, c.dil, c.groups};
}

template <typename T>
std::vector<T> values(int64_t n, uint64_t seed) {
  const std::vector<float> r = lbt::random_floats(static_cast<size_t>(n), seed);
  return std::vector<T>(r.begin(), r.end());
}

// The five results of one case; `cuda` runs them on the emulated device.
template <typename T>
struct Results {
  std::vector<T> y, dx, dw, dbias;
};

template <typename T>
Results<T> run(bool cuda, const Conv2dShape& s, bool with_bias, const std::vector<T>& x, const std::vector<T>& w,
               const std::vector<T>& bias, const std::vector<T>& dy, Results<T> out) {
  const DType type = std::is_same_v<T, float> ? DType::F32 : DType::F64;
  if (!cuda) {
    LBT_CHECK(lb::conv2d_forward_cpu(type, s, x.data(), w.data(), with_bias ? bias.data() : nullptr, out.y.data()).ok,
              "conv2d_forward_cpu");
    LBT_CHECK(lb::conv2d_backward_data_cpu(type, s, dy.data(), w.data(), out.dx.data()).ok, "conv2d_backward_data_cpu");
    LBT_CHECK(lb::conv2d_backward_weight_cpu(type, s, x.data(), dy.data(), out.dw.data(),
                                             with_bias ? out.dbias.data() : nullptr).ok,
              "conv2d_backward_weight_cpu");
    return out;
  }
  T *dx_in = lbt::to_device(x), *dw_in = lbt::to_device(w), *dbias_in = lbt::to_device(bias), *ddy = lbt::to_device(dy);
  T *y = lbt::to_device(out.y), *dx = lbt::to_device(out.dx), *dw = lbt::to_device(out.dw), *db = lbt::to_device(out.dbias);
  const lb::Status f = lb::conv2d_forward_cuda(type, s, dx_in, dw_in, with_bias ? dbias_in : nullptr, y, nullptr);
  LBT_CHECK(f.ok, "conv2d_forward_cuda: " + f.message);
  const lb::Status d = lb::conv2d_backward_data_cuda(type, s, ddy, dw_in, dx, nullptr);
  LBT_CHECK(d.ok, "conv2d_backward_data_cuda: " + d.message);
  // Emulated device memory starts as NaN, so a split's partial sum read before it was
  // written would show.
  void* workspace = nullptr;
  const size_t workspace_bytes = lb::conv2d_backward_weight_cuda_workspace(type, s);
  if (workspace_bytes > 0) cudaMalloc(&workspace, workspace_bytes);
  const lb::Status g = lb::conv2d_backward_weight_cuda(type, s, dx_in, ddy, dw, with_bias ? db : nullptr, workspace, nullptr);
  LBT_CHECK(g.ok, "conv2d_backward_weight_cuda: " + g.message);
  cudaFree(workspace);
  out = {lbt::to_host(y, out.y.size()), lbt::to_host(dx, out.dx.size()), lbt::to_host(dw, out.dw.size()),
         lbt::to_host(db, out.dbias.size())};
  for (T* p : {dx_in, dw_in, dbias_in, ddy, y, dx, dw, db}) cudaFree(p);
  return out;
}

template <typename T>
void check(const Case& c, bool with_bias, const std::string& schedule) {
  const Conv2dShape s = shape_of(c);
  const int64_t nx = s.n * s.c * s.h * s.w, nw = s.k * (s.c / s.groups) * s.r * s.s, ny = s.n * s.k * s.p * s.q;
  const std::vector<T> x = values<T>(nx, 1), w = values<T>(nw, 2), bias = values<T>(s.k, 3), dy = values<T>(ny, 4);
  const Results<T> start{values<T>(ny, 5), values<T>(nx, 6), values<T>(nw, 7), values<T>(s.k, 8)};
  const Results<T> want = run(false, s, with_bias, x, w, bias, dy, start);
  const Results<T> got = run(true, s, with_bias, x, w, bias, dy, start);
  const double tol = std::is_same_v<T, float> ? 2e-5 : 1e-12;
  char what[200];
  std::snprintf(what, sizeof what, "%s n%lld c%lld %lldx%lld k%lld %lldx%lld stride %lld pad %lld dil %lld groups %lld%s %s",
                std::is_same_v<T, float> ? "float32" : "float64", (long long)c.n, (long long)c.c, (long long)c.h,
                (long long)c.w, (long long)c.k, (long long)c.r, (long long)c.s, (long long)c.stride, (long long)c.pad,
                (long long)c.dil, (long long)c.groups, with_bias ? " bias" : "", schedule.c_str());
  const std::pair<const char*, double> errs[] = {{"y", lbt::max_scaled_error(got.y, want.y)},
                                                 {"dx", lbt::max_scaled_error(got.dx, want.dx)},
                                                 {"dw", lbt::max_scaled_error(got.dw, want.dw)},
                                                 {"dbias", lbt::max_scaled_error(got.dbias, want.dbias)}};
  for (const auto& [name, e] : errs) LBT_CHECK(e < tol, std::string(what) + ": " + name + " error " + std::to_string(e));
}

LBT_TEST(conv2d, matches_cpu_every_schedule) {
  lbt::for_each_schedule([](const std::string& schedule) {
    bool with_bias = true;
    for (const Case& c : kCases) {
      check<float>(c, with_bias, schedule);
      check<double>(c, !with_bias, schedule);
      with_bias = !with_bias;
    }
  });
}

LBT_TEST(conv2d, bad_arguments) {
  const Conv2dShape s = shape_of({1, 3, 5, 5, 4, 3, 3, 1, 1, 1, 1});
  const lb::Status t = lb::conv2d_forward_cuda(DType::I32, s, nullptr, nullptr, nullptr, nullptr, nullptr);
  LBT_CHECK(!t.ok && t.message.find("float32 or float64") != std::string::npos, "an int32 convolution");
  Conv2dShape wrong = s;
  wrong.p = 4;
  const lb::Status o = lb::conv2d_backward_data_cuda(DType::F32, wrong, nullptr, nullptr, nullptr, nullptr);
  LBT_CHECK(!o.ok && o.message.find("does not match") != std::string::npos, "a wrong output size");
  Conv2dShape grouped = s;
  grouped.groups = 2;
  const lb::Status g = lb::conv2d_backward_weight_cuda(DType::F64, grouped, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr);
  LBT_CHECK(!g.ok && g.message.find("must divide") != std::string::npos, "groups not dividing the channels");
  LBT_CHECK(lb::conv2d_backward_weight_cuda_workspace(DType::F64, grouped) == 0, "no workspace for a refused shape");
}

// The split-K workspace: its size (3 splits of dw [3, 2*3*3]) and its absence refused.
LBT_TEST(conv2d, split_k_workspace) {
  const Conv2dShape split = shape_of(kCases[9]);
  LBT_CHECK(lb::conv2d_backward_weight_cuda_workspace(DType::F32, split) == 3 * 3 * 18 * sizeof(float),
            "float32 workspace of 3 splits");
  LBT_CHECK(lb::conv2d_backward_weight_cuda_workspace(DType::F64, split) == 3 * 3 * 18 * sizeof(double),
            "float64 workspace of 3 splits");
  LBT_CHECK(lb::conv2d_backward_weight_cuda_workspace(DType::F32, shape_of(kCases[0])) == 0, "no split, no workspace");
  float* dw = nullptr;
  cudaMalloc(&dw, 3 * 18 * sizeof(float));
  const lb::Status st = lb::conv2d_backward_weight_cuda(DType::F32, split, nullptr, nullptr, dw, nullptr, nullptr, nullptr);
  LBT_CHECK(!st.ok && st.message.find("needs a workspace of 648 bytes") != std::string::npos,
            "a split shape without its workspace: " + st.message);
  cudaFree(dw);
}

}  // namespace
