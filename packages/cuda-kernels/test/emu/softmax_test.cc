// The fused log-softmax + cross-entropy kernels (src/kernels/softmax): the CPU kernel
// against a long-double reference of the composite (log-softmax, then the smoothed NLL),
// and the emulated CUDA kernel (a warp per row) against the CPU kernel: loss and dlogits,
// float32 and float64, 1 to 70 rows (more than a block's 8), 1 to 1000 classes (fewer and
// more than a warp's 32, none a multiple of 32 but 32 itself), label smoothing 0, 0.1 and
// 1, logits far from 0 (the max shift matters), a NaN logit (its row's loss and gradient
// NaN in both). Relative error with a floor of 1e-3 (1e-2 for float32 dlogits) below 1e-6
// (float32) or 1e-12 (float64). Bad labels: the CPU names the first, CUDA reports its position through the
// device int32 and writes nothing. Under every schedule. Run: lb_emu_tests softmax.
#include <cmath>

#include "../../src/kernels/softmax/softmax.h"
#include "harness.h"

namespace {

using lb::CrossEntropyShape;
using lb::DType;

template <typename T>
double error(const std::vector<T>& a, const std::vector<T>& b, double floor = 1e-3) {
  std::vector<double> x(a.begin(), a.end()), y(b.begin(), b.end());
  for (size_t i = 0; i < x.size(); ++i) {
    if (std::isnan(x[i]) && std::isnan(y[i])) x[i] = y[i] = 0;  // the same NaN row
  }
  return lbt::max_rel_error(x, y, floor);
}

// loss_i = -(1 - eps) log p[i, y_i] - eps mean_j log p[i, j], in long double.
template <typename T>
std::vector<T> reference_loss(const CrossEntropyShape& s, const std::vector<T>& z, const std::vector<int32_t>& y) {
  std::vector<T> loss(static_cast<size_t>(s.rows));
  for (int64_t i = 0; i < s.rows; ++i) {
    const T* row = z.data() + i * s.classes;
    long double m = row[0], sum = 0, mean_logp = 0;
    for (int64_t j = 0; j < s.classes; ++j) m = std::fmax(m, static_cast<long double>(row[j]));
    for (int64_t j = 0; j < s.classes; ++j) sum += std::exp(row[j] - m);
    const long double lse = m + std::log(sum);
    for (int64_t j = 0; j < s.classes; ++j) mean_logp += (row[j] - lse) / s.classes;
    loss[i] = static_cast<T>(-(1 - s.label_smoothing) * (row[y[i]] - lse) - s.label_smoothing * mean_logp);
  }
  return loss;
}

struct Case {
  int64_t rows, classes;
  double eps;
  bool nan;
};

const Case kCases[] = {{1, 1, 0, false},    {3, 10, 0.1, false},  {7, 31, 0, false},  {9, 32, 1, false},
                       {70, 33, 0.1, true}, {2, 1000, 0, false},  {5, 100, 0.1, true}};

template <typename T>
void check(const Case& c, const std::string& schedule) {
  const DType type = std::is_same_v<T, float> ? DType::F32 : DType::F64;
  const CrossEntropyShape s{c.rows, c.classes, c.eps};
  const size_t n = static_cast<size_t>(c.rows * c.classes), rows = static_cast<size_t>(c.rows);
  const std::vector<float> r = lbt::random_floats(n, 1, 45, 55), g = lbt::random_floats(rows, 2, 0.5f, 1.5f);
  std::vector<T> z(r.begin(), r.end());
  if (c.nan) z[c.classes + 3 % c.classes] = T(NAN);
  const std::vector<T> dloss(g.begin(), g.end());
  std::vector<int32_t> labels(rows);
  for (size_t i = 0; i < rows; ++i) labels[i] = static_cast<int32_t>((i * 7 + 3) % static_cast<size_t>(c.classes));

  const std::vector<float> start = lbt::random_floats(n, 3);
  std::vector<T> loss(rows, T(7)), dz(start.begin(), start.end());
  const std::vector<T> dz0 = dz;
  LBT_CHECK(lb::cross_entropy_forward_cpu(type, s, z.data(), labels.data(), loss.data()).ok, "cross_entropy_forward_cpu");
  LBT_CHECK(lb::cross_entropy_backward_cpu(type, s, z.data(), labels.data(), dloss.data(), dz.data()).ok,
            "cross_entropy_backward_cpu");

  T *d_z = lbt::to_device(z), *d_dloss = lbt::to_device(dloss), *d_loss = lbt::to_device(std::vector<T>(rows, T(7)));
  T* d_dz = lbt::to_device(dz0);
  int32_t *d_labels = lbt::to_device(labels), *bad = lbt::to_device(std::vector<int32_t>{7});
  const lb::Status f = lb::cross_entropy_forward_cuda(type, s, d_z, d_labels, d_loss, bad, nullptr);
  LBT_CHECK(f.ok, "cross_entropy_forward_cuda: " + f.message);
  const lb::Status b = lb::cross_entropy_backward_cuda(type, s, d_z, d_labels, d_dloss, d_dz, bad, nullptr);
  LBT_CHECK(b.ok, "cross_entropy_backward_cuda: " + b.message);
  const std::vector<T> got_loss = lbt::to_host(d_loss, rows), got_dz = lbt::to_host(d_dz, n);
  const int32_t got_bad = lbt::to_host(bad, 1)[0];
  for (void* p : {static_cast<void*>(d_z), static_cast<void*>(d_dloss), static_cast<void*>(d_loss),
                  static_cast<void*>(d_dz), static_cast<void*>(d_labels), static_cast<void*>(bad)})
    cudaFree(p);

  const double tol = std::is_same_v<T, float> ? 1e-6 : 1e-12;
  const std::string what = std::string(lb::dtype_name(type)) + " " + std::to_string(c.rows) + " x " +
                           std::to_string(c.classes) + " eps " + std::to_string(c.eps) + (c.nan ? " NaN" : "") + " " + schedule;
  // The float32 CPU kernel takes p from a float32 e^x (exp_float, within 1 ulp), CUDA from a
  // double exp: dz = p - target keeps an error relative to p where it cancels (smoothing 1
  // on 32 classes: p and the target near 1/32, dz near 1e-3), hence the floor of 1e-2.
  const double dz_floor = std::is_same_v<T, float> ? 1e-2 : 1e-3;
  const double e_ref = error(loss, reference_loss(s, z, labels)), e_loss = error(got_loss, loss);
  const double e_dz = error(got_dz, dz, dz_floor);
  LBT_CHECK(e_ref < tol, what + ": CPU loss vs the reference, relative error " + std::to_string(e_ref));
  LBT_CHECK(e_loss < tol, what + ": CUDA loss vs the CPU, relative error " + std::to_string(e_loss));
  LBT_CHECK(e_dz < tol, what + ": CUDA dlogits vs the CPU, relative error " + std::to_string(e_dz));
  LBT_CHECK(got_bad == -1, what + ": bad_position " + std::to_string(got_bad) + " for good labels");
  if (c.nan) LBT_CHECK(std::isnan(static_cast<double>(got_loss[1])), what + ": a NaN logit left its row's loss a number");
}

LBT_TEST(softmax, cross_entropy_matches_cpu_every_schedule) {
  lbt::for_each_schedule([](const std::string& schedule) {
    for (const Case& c : kCases) {
      check<float>(c, schedule);
      check<double>(c, schedule);
    }
  });
}

LBT_TEST(softmax, bad_labels) {
  const CrossEntropyShape s{5, 4, 0};
  const std::vector<float> z = lbt::random_floats(20, 1), dloss(5, 1.0f);
  const std::vector<int32_t> labels = {0, 3, 4, 1, -1};
  std::vector<float> loss(5, 7.0f);
  const lb::Status c = lb::cross_entropy_forward_cpu(DType::F32, s, z.data(), labels.data(), loss.data());
  LBT_CHECK(!c.ok && c.message.find("label 4 at position 2") != std::string::npos, "the CPU names the first bad label");
  float *d_z = lbt::to_device(z), *d_dloss = lbt::to_device(dloss), *d_loss = lbt::to_device(loss), *d_dz = lbt::to_device(z);
  int32_t *d_labels = lbt::to_device(labels), *bad = lbt::to_device(std::vector<int32_t>{7});
  LBT_CHECK(lb::cross_entropy_forward_cuda(DType::F32, s, d_z, d_labels, d_loss, bad, nullptr).ok, "forward queued");
  LBT_CHECK(lbt::to_host(bad, 1)[0] == 2, "forward: bad_position is not 2");
  LBT_CHECK(lbt::to_host(d_loss, 5) == loss, "forward wrote the loss despite a bad label");
  LBT_CHECK(lb::cross_entropy_backward_cuda(DType::F32, s, d_z, d_labels, d_dloss, d_dz, bad, nullptr).ok, "backward queued");
  LBT_CHECK(lbt::to_host(bad, 1)[0] == 2, "backward: bad_position is not 2");
  LBT_CHECK(lbt::to_host(d_dz, 20) == z, "backward wrote dlogits despite a bad label");
  for (void* p : {static_cast<void*>(d_z), static_cast<void*>(d_dloss), static_cast<void*>(d_loss),
                  static_cast<void*>(d_dz), static_cast<void*>(d_labels), static_cast<void*>(bad)})
    cudaFree(p);
  const lb::Status e = lb::cross_entropy_forward_cuda(DType::F32, {5, 4, 1.5}, nullptr, nullptr, nullptr, nullptr, nullptr);
  LBT_CHECK(!e.ok && e.message.find("label smoothing") != std::string::npos, "label smoothing 1.5");
  const lb::Status t = lb::cross_entropy_backward_cuda(DType::I32, s, nullptr, nullptr, nullptr, nullptr, nullptr, nullptr);
  LBT_CHECK(!t.ok && t.message.find("float32 or float64") != std::string::npos, "int32 logits");
}

}  // namespace
