// Batch normalisation's CUDA kernels (src/kernels/batch_norm/batch_norm_cuda.cu),
// emulated, against the CPU kernels: training and eval, with and without the fused ReLU,
// with and without weight and bias, float32 and float64, channels of 1 value (running
// variance NaN, as PyTorch), of fewer values than threads and of more, values whose mean
// is far from 0; forward (y, saved mean and invstd, running statistics) then backward (dx,
// dweight, dbias) from the forward's outputs. Under every schedule; agreement to 1e-4
// (float32) or 1e-10 (float64) relative, with a floor of 1e-3. And the CPU kernels alone
// against a float64 reference written out here (two-pass statistics, unfolded backward),
// on shapes that take each of their paths: runs shorter than a vector and with tails,
// several channel groups and image blocks, channels not a multiple of the group, batch 1
// and 3. Run: lb_emu_tests batch_norm.
#include <algorithm>
#include <array>
#include <cmath>

#include "../../src/kernels/batch_norm/batch_norm.h"
#include "harness.h"

namespace {

using lb::BatchNormShape;
using lb::DType;

template <typename T>
std::vector<T> values(size_t n, uint64_t seed, float lo, float hi) {
  const std::vector<float> r = lbt::random_floats(n, seed, lo, hi);
  return std::vector<T>(r.begin(), r.end());
}

template <typename T>
double error(const std::vector<T>& a, const std::vector<T>& b) {
  std::vector<double> x(a.begin(), a.end()), y(b.begin(), b.end());
  for (size_t i = 0; i < x.size(); ++i) {
    if (std::isnan(x[i]) && std::isnan(y[i])) x[i] = y[i] = 0;  // the same NaN (one-value channels)
  }
  return lbt::max_rel_error(x, y);
}

// The tensors of one forward + backward, on the host or (device) on the device.
template <typename T>
struct Tensors {
  std::vector<T> x, weight, bias, rmean, rvar, y, smean, sinv, dy, dx, dw, db;
};

// Every output's error, got against want, by `metric` (relative error against CUDA, scaled
// error against the float64 reference).
template <typename G, typename W, typename Metric>
std::array<std::pair<const char*, double>, 8> field_errors(const Tensors<G>& got, const Tensors<W>& want,
                                                           const Metric& metric) {
  return {{{"y", metric(got.y, want.y)},
           {"save_mean", metric(got.smean, want.smean)},
           {"save_invstd", metric(got.sinv, want.sinv)},
           {"running_mean", metric(got.rmean, want.rmean)},
           {"running_var", metric(got.rvar, want.rvar)},
           {"dx", metric(got.dx, want.dx)},
           {"dweight", metric(got.dw, want.dw)},
           {"dbias", metric(got.db, want.db)}}};
}

template <typename T>
Tensors<T> run(bool cuda, const BatchNormShape& s, const lb::BatchNormOptions& o, bool affine, Tensors<T> h) {
  const DType type = std::is_same_v<T, float> ? DType::F32 : DType::F64;
  if (!cuda) {
    lb::BatchNormForward f{h.x.data(), affine ? h.weight.data() : nullptr, affine ? h.bias.data() : nullptr,
                           h.rmean.data(), h.rvar.data(), h.y.data(), h.smean.data(), h.sinv.data()};
    LBT_CHECK(lb::batch_norm_forward_cpu(type, s, o, f).ok, "batch_norm_forward_cpu");
    lb::BatchNormBackward b{h.dy.data(), h.x.data(), h.y.data(), affine ? h.weight.data() : nullptr, h.smean.data(),
                            h.sinv.data(), h.dx.data(), h.dw.data(), h.db.data()};
    LBT_CHECK(lb::batch_norm_backward_cpu(type, s, o, b).ok, "batch_norm_backward_cpu");
    return h;
  }
  std::vector<std::vector<T>*> all = {&h.x, &h.weight, &h.bias, &h.rmean, &h.rvar, &h.y, &h.smean, &h.sinv, &h.dy, &h.dx, &h.dw, &h.db};
  std::vector<T*> d;
  for (auto* v : all) d.push_back(lbt::to_device(*v));
  lb::BatchNormForward f{d[0], affine ? d[1] : nullptr, affine ? d[2] : nullptr, d[3], d[4], d[5], d[6], d[7]};
  const lb::Status sf = lb::batch_norm_forward_cuda(type, s, o, f, nullptr);
  LBT_CHECK(sf.ok, "batch_norm_forward_cuda: " + sf.message);
  lb::BatchNormBackward b{d[8], d[0], d[5], affine ? d[1] : nullptr, d[6], d[7], d[9], d[10], d[11]};
  const lb::Status sb = lb::batch_norm_backward_cuda(type, s, o, b, nullptr);
  LBT_CHECK(sb.ok, "batch_norm_backward_cuda: " + sb.message);
  for (size_t i = 0; i < all.size(); ++i) {
    *all[i] = lbt::to_host(d[i], all[i]->size());
    cudaFree(d[i]);
  }
  return h;
}

// Calls body(shape, options, affine, inputs, name) for each shape, training and eval, with
// and without the fused ReLU and the affine parameters, on fresh random inputs drawn from
// seeds seed + 1 to seed + 12.
template <typename T, typename Body>
void for_each_case(const std::vector<BatchNormShape>& shapes, uint64_t seed, Body body) {
  for (const BatchNormShape& s : shapes) {
    for (bool training : {true, false}) {
      for (bool relu : {false, true}) {
        for (bool affine : {true, false}) {
          const lb::BatchNormOptions o{training, relu, 1e-5, 0.1};
          const size_t n = static_cast<size_t>(s.n * s.c * s.hw), c = static_cast<size_t>(s.c);
          const Tensors<T> h{values<T>(n, seed + 1, 4, 6),   values<T>(c, seed + 2, 0.5f, 1.5f),
                             values<T>(c, seed + 3, -0.5f, 0.5f), values<T>(c, seed + 4, 4, 6),
                             values<T>(c, seed + 5, 0.1f, 1), values<T>(n, seed + 6, -9, 9),
                             values<T>(c, seed + 7, -9, 9),   values<T>(c, seed + 8, -9, 9),
                             values<T>(n, seed + 9, -1, 1),   values<T>(n, seed + 10, -9, 9),
                             values<T>(c, seed + 11, -9, 9),  values<T>(c, seed + 12, -9, 9)};
          const std::string name = std::string(std::is_same_v<T, float> ? "float32" : "float64") + " [" +
                                   std::to_string(s.n) + "," + std::to_string(s.c) + "," + std::to_string(s.hw) + "]" +
                                   (training ? " training" : " eval") + (relu ? " relu" : "") + (affine ? " affine" : "");
          body(s, o, affine, h, name);
        }
      }
    }
  }
}

template <typename T>
void check(const std::string& schedule) {
  for_each_case<T>({{2, 3, 5}, {1, 4, 1}, {4, 5, 33}, {3, 2, 300}}, 0,
                   [&](const BatchNormShape& s, const lb::BatchNormOptions& o, bool affine, const Tensors<T>& h,
                       const std::string& name) {
    const Tensors<T> want = run(false, s, o, affine, h), got = run(true, s, o, affine, h);
    const double tol = std::is_same_v<T, float> ? 1e-4 : 1e-10;
    const auto errs = field_errors(got, want, [](const auto& a, const auto& b) { return error(a, b); });
    for (const auto& [field, e] : errs)
      LBT_CHECK(e < tol, name + " " + schedule + ": " + field + " relative error " + std::to_string(e));
  });
}

// The float64 reference of one forward + backward on the inputs of h (x, weight, bias,
// running statistics, dy), the backward's ReLU mask read from mask_y as the kernel reads y.
template <typename T>
Tensors<double> reference(const BatchNormShape& s, const lb::BatchNormOptions& o, bool affine, const Tensors<T>& h,
                          const std::vector<T>& mask_y) {
  const auto d = [](const std::vector<T>& v) { return std::vector<double>(v.begin(), v.end()); };
  Tensors<double> r{d(h.x), d(h.weight), d(h.bias), d(h.rmean), d(h.rvar), d(h.y), d(h.smean), d(h.sinv), d(h.dy), d(h.dx),
                    d(h.dw), d(h.db)};
  const double m = static_cast<double>(s.n * s.hw);
  const auto at = [&](int64_t i, int64_t c, int64_t j) { return static_cast<size_t>((i * s.c + c) * s.hw + j); };
  for (int64_t c = 0; c < s.c; ++c) {
    double mean = 0, var = 0;
    if (o.training) {
      for (int64_t i = 0; i < s.n; ++i)
        for (int64_t j = 0; j < s.hw; ++j) mean += r.x[at(i, c, j)];
      mean /= m;
      for (int64_t i = 0; i < s.n; ++i)
        for (int64_t j = 0; j < s.hw; ++j) var += (r.x[at(i, c, j)] - mean) * (r.x[at(i, c, j)] - mean);
      var /= m;
      r.rmean[c] = (1 - o.momentum) * r.rmean[c] + o.momentum * mean;
      r.rvar[c] = (1 - o.momentum) * r.rvar[c] + o.momentum * (m > 1 ? var * m / (m - 1) : NAN);
    } else {
      mean = r.rmean[c];
      var = r.rvar[c];
    }
    const double invstd = 1 / std::sqrt(var + o.eps), w = affine ? r.weight[c] : 1, b = affine ? r.bias[c] : 0;
    r.smean[c] = mean;
    r.sinv[c] = invstd;
    double sum_g = 0, sum_g_xhat = 0;
    for (int64_t i = 0; i < s.n; ++i) {
      for (int64_t j = 0; j < s.hw; ++j) {
        const size_t k = at(i, c, j);
        const double xhat = (r.x[k] - mean) * invstd, y = xhat * w + b;
        r.y[k] = o.relu ? std::max(y, 0.0) : y;
        const double g = !o.relu || mask_y[k] > T(0) ? r.dy[k] : 0;
        sum_g += g;
        sum_g_xhat += g * xhat;
      }
    }
    r.db[c] = sum_g;
    r.dw[c] = sum_g_xhat;
    for (int64_t i = 0; i < s.n; ++i) {
      for (int64_t j = 0; j < s.hw; ++j) {
        const size_t k = at(i, c, j);
        const double g = !o.relu || mask_y[k] > T(0) ? r.dy[k] : 0, xhat = (r.x[k] - mean) * invstd;
        r.dx[k] = o.training ? w * invstd * (g - sum_g / m - xhat * sum_g_xhat / m) : w * invstd * g;
      }
    }
  }
  return r;
}

// max |a - b| / max |b|: float32 rounding of values near 0 is judged against the tensor's scale.
template <typename T>
double scaled_error(const std::vector<T>& a, const std::vector<double>& b) {
  double diff = 0, scale = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    if (std::isnan(b[i]) && std::isnan(static_cast<double>(a[i]))) continue;
    diff = std::max(diff, std::abs(static_cast<double>(a[i]) - b[i]));
    if (std::isnan(static_cast<double>(a[i]))) diff = INFINITY;
    scale = std::max(scale, std::abs(b[i]));
  }
  return scale > 0 ? diff / scale : diff;
}

template <typename T>
void check_reference() {
  // (n, c, hw) with their paths on 2 threads (batch_norm_cpu.cc): hw 9 and 21, runs shorter
  // than a vector, channels in groups of 32, the last short, blocks dealt out; batch 1;
  // 129 channels of 64 in 9 groups of 16, whole groups per thread; hw 67, a tail of 3 per
  // run; 130 images in 2 blocks; 40 channels of 33x33 alone; 33 channels of 23x23 in
  // groups of 2, 2 blocks each; odd small planes. (A few values per channel would leave
  // float32 at the mercy of an invstd in the hundreds.)
  for_each_case<T>({{3, 67, 9}, {5, 200, 21}, {1, 13, 45}, {3, 129, 64}, {3, 70, 67},
                    {130, 3, 35}, {2, 40, 1089}, {9, 33, 529}, {3, 5, 63}, {1, 11, 91}}, 20,
                   [&](const BatchNormShape& s, const lb::BatchNormOptions& o, bool affine, const Tensors<T>& h,
                       const std::string& name) {
    const Tensors<T> got = run(false, s, o, affine, h);
    const Tensors<double> want = reference(s, o, affine, h, got.y);
    const double tol = std::is_same_v<T, float> ? 5e-6 : 1e-12;
    const auto errs = field_errors(got, want, [](const auto& a, const auto& b) { return scaled_error(a, b); });
    for (const auto& [field, e] : errs) {
      char text[32];
      std::snprintf(text, sizeof text, "%.3g", e);
      LBT_CHECK(e < tol, name + ": " + field + " error " + text + " of the largest value");
    }
  });
}

LBT_TEST(batch_norm, matches_cpu_every_schedule) {
  lbt::for_each_schedule([](const std::string& s) {
    check<float>(s);
    check<double>(s);
  });
}

LBT_TEST(batch_norm, cpu_matches_float64_reference) {
  check_reference<float>();
  check_reference<double>();
}

LBT_TEST(batch_norm, bad_arguments) {
  const BatchNormShape s{2, 3, 4};
  const lb::BatchNormForward f{};
  const lb::Status e = lb::batch_norm_forward_cuda(DType::F32, s, {false, false, 1e-5, 0.1}, f, nullptr);
  LBT_CHECK(!e.ok && e.message.find("running statistics") != std::string::npos, "eval without running statistics");
  const lb::Status t = lb::batch_norm_forward_cuda(DType::I32, s, {true, false, 1e-5, 0.1}, f, nullptr);
  LBT_CHECK(!t.ok && t.message.find("float32 or float64") != std::string::npos, "an int32 batch norm");
  const lb::BatchNormBackward b{};
  const lb::Status r = lb::batch_norm_backward_cuda(DType::F32, s, {true, true, 1e-5, 0.1}, b, nullptr);
  LBT_CHECK(!r.ok && r.message.find("needs y") != std::string::npos, "a fused-ReLU backward without y");
}

}  // namespace
