// lb::sgemm_separable_b (src/kernels/gemm/gemm.h), op(B)'s element (p, j) at
// b[b_rows[p] + b_cols[j]], against lb::dgemm on a dense float64 copy of op(B): random
// offsets (some repeated, as a convolution's padding taps repeat), shapes that cross the
// driver's mc / kc / nc blocks and leave ragged tiles, few rows (m < 4, which the plain
// sgemm computes without packing), C plain or as batched columns (planes of 1, 3 and 16
// values, NaN between images, which must stay untouched), beta 0 over NaN and beta 1, on 1
// and 3 threads. Error allowed: 1e-5 of sum_p |a_ip| |b_pj|. Run: lb_emu_tests gemm_separable.
#include <cmath>
#include <cstdio>
#include <limits>
#include <random>

#include "../../src/core/thread_pool.h"
#include "../../src/kernels/gemm/gemm.h"
#include "harness.h"

namespace {

struct Case {
  int64_t m, n, k, plane;  // plane 0: C plain
  float beta;
};

const Case kCases[] = {
    {1, 1, 1, 0, 0.0f},    {3, 50, 20, 0, 1.0f},    {37, 45, 29, 3, 0.0f}, {70, 450, 400, 16, 0.0f},
    {64, 97, 147, 1, 1.0f}, {128, 33, 1030, 0, 0.0f}, {9, 1100, 64, 16, 1.0f},
};

void check(const Case& c) {
  char what[120];
  std::snprintf(what, sizeof what, "m%lld n%lld k%lld plane %lld beta %g threads %d", (long long)c.m, (long long)c.n,
                (long long)c.k, (long long)c.plane, c.beta, lb::num_threads());
  std::mt19937 rng(static_cast<uint32_t>(c.m * 131 + c.n * 7 + c.k));
  // B's storage and offsets: b_rows in [0, 400), b_cols in [0, 300), so values repeat.
  const std::vector<float> b = lbt::random_floats(700, 11), a = lbt::random_floats(c.m * c.k, 12);
  std::vector<int64_t> rows(c.k), cols(c.n);
  for (auto& r : rows) r = static_cast<int64_t>(rng() % 400);
  for (auto& q : cols) q = static_cast<int64_t>(rng() % 300);
  // C: row i of column j at i * ld + j (plain, ld = n) or, batched, image j / plane at
  // (j / plane) * image + i * plane + j % plane with a gap of NaN after each image's rows.
  const int64_t ld = c.plane ? c.plane : c.n, image = c.m * c.plane + 5;
  const int64_t images = c.plane ? (c.n + c.plane - 1) / c.plane : 0;
  const float nan = std::numeric_limits<float>::quiet_NaN();
  std::vector<float> out(c.plane ? images * image : c.m * c.n, nan);
  auto at = [&](int64_t i, int64_t j) { return c.plane ? (j / c.plane) * image + i * c.plane + j % c.plane : i * ld + j; };
  const std::vector<float> c0 = lbt::random_floats(c.m * c.n, 13);
  if (c.beta != 0.0f)
    for (int64_t i = 0; i < c.m; ++i)
      for (int64_t j = 0; j < c.n; ++j) out[at(i, j)] = c0[i * c.n + j];
  const lb::BatchedColumns batched{c.plane, image};
  lb::sgemm_separable_b(c.m, c.n, c.k, 1.0f, a.data(), c.k, nullptr, b.data(), rows.data(), cols.data(), c.beta, out.data(),
                        ld, c.plane ? &batched : nullptr);

  std::vector<double> a64(a.begin(), a.end()), b64(c.k * c.n), want(c.m * c.n), scale(c.m * c.n);
  for (int64_t p = 0; p < c.k; ++p)
    for (int64_t j = 0; j < c.n; ++j) b64[p * c.n + j] = b[rows[p] + cols[j]];
  for (int64_t i = 0; i < c.m * c.n; ++i) want[i] = c0[i];
  lb::dgemm(false, false, c.m, c.n, c.k, 1.0, a64.data(), c.k, b64.data(), c.n, c.beta, want.data(), c.n);
  std::vector<double> abs_a(a64.size()), abs_b(b64.size());
  for (size_t i = 0; i < a64.size(); ++i) abs_a[i] = std::fabs(a64[i]);
  for (size_t i = 0; i < b64.size(); ++i) abs_b[i] = std::fabs(b64[i]);
  lb::dgemm(false, false, c.m, c.n, c.k, 1.0, abs_a.data(), c.k, abs_b.data(), c.n, 0.0, scale.data(), c.n);
  double worst = 0;
  for (int64_t i = 0; i < c.m; ++i)
    for (int64_t j = 0; j < c.n; ++j) {
      const double bound = 1e-5 * (scale[i * c.n + j] + std::fabs(c.beta * c0[i * c.n + j])) + 1e-30;
      worst = std::max(worst, std::fabs(out[at(i, j)] - want[i * c.n + j]) / bound);
    }
  LBT_CHECK(worst <= 1.0, std::string(what) + ": error " + std::to_string(worst) + " of the allowed");
  if (c.plane) {
    int64_t touched = 0;
    for (int64_t img = 0; img < images; ++img)
      for (int64_t g = c.m * c.plane; g < image; ++g) touched += !std::isnan(out[img * image + g]);
    LBT_CHECK(touched == 0, std::string(what) + ": " + std::to_string(touched) + " values between images written");
  }
}

LBT_TEST(gemm_separable, matches_float64) {
  const int saved = lb::num_threads();
  for (const int threads : {1, 3}) {
    lb::set_num_threads(threads);
    for (const Case& c : kCases) check(c);
  }
  lb::set_num_threads(saved);
}

}  // namespace
