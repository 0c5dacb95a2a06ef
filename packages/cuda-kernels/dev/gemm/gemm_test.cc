// Correctness of lb::sgemm against lb::dgemm (float64) on random data: many shapes (1x1x1,
// primes, tile edges of every micro-kernel, k = 0), every trans combination, alpha and beta
// 0 / 1 / other, padded leading dimensions whose padding holds NaN (so reading it shows),
// NaN in C when beta == 0 (which must not be read), and C's padding checked untouched.
// Each shape runs through the public sgemm (the kernel LARGEBATCH_SGEMM_KERNEL selects)
// with the default blocking, and through sgemm_with with tiny blocks so that small shapes
// cross every mc / kc / nc block edge; with 1, 2 and 3 threads. sgemm_batched_columns: each
// of A, B and C stored plain or as batched columns (planes of 1, 4, 5 and 16 values, NaN
// between images), against dgemm on dense copies.
// Run: `make test` (runs this once per LARGEBATCH_SGEMM_KERNEL value).
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "../../src/core/thread_pool.h"
#include "../../src/kernels/gemm/gemm.h"
#include "../../src/kernels/gemm/gemm_microkernel.h"

namespace {

struct Shape {
  int64_t m, n, k;
};

const float kNaN = std::numeric_limits<float>::quiet_NaN();
std::mt19937 rng(12345);

std::vector<float> random_matrix(int64_t rows, int64_t cols, int64_t ld) {
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  std::vector<float> x(static_cast<size_t>(std::max<int64_t>(1, rows * ld)), kNaN);  // padding stays NaN
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c) x[r * ld + c] = u(rng);
  return x;
}

std::vector<double> to_double(const std::vector<float>& x) { return std::vector<double>(x.begin(), x.end()); }

// Runs one case; returns false (after printing it) on a mismatch.
template <typename Gemm>
bool check(const char* label, Gemm gemm, Shape s, bool ta, bool tb, float alpha, float beta, int64_t pad) {
  const int64_t lda = (ta ? s.m : s.k) + pad, ldb = (tb ? s.k : s.n) + pad, ldc = s.n + pad;
  const std::vector<float> a = random_matrix(ta ? s.k : s.m, ta ? s.m : s.k, lda);
  const std::vector<float> b = random_matrix(tb ? s.n : s.k, tb ? s.k : s.n, ldb);
  std::vector<float> c = random_matrix(s.m, s.n, ldc);
  const float sentinel = 12345.0f;
  for (int64_t i = 0; i < s.m; ++i)
    for (int64_t j = s.n; j < ldc; ++j) c[i * ldc + j] = sentinel;
  // The magnitude each entry's rounding error scales with: |alpha| sum |a||b| + |beta c|.
  std::vector<double> ref = to_double(c), mag(ref.size(), 0.0);
  const std::vector<double> da = to_double(a), db = to_double(b);
  std::vector<double> abs_a(da.size()), abs_b(db.size());
  for (size_t i = 0; i < da.size(); ++i) abs_a[i] = std::isnan(da[i]) ? 0 : std::fabs(da[i]);
  for (size_t i = 0; i < db.size(); ++i) abs_b[i] = std::isnan(db[i]) ? 0 : std::fabs(db[i]);
  for (int64_t i = 0; i < s.m; ++i)
    for (int64_t j = 0; j < s.n; ++j) mag[i * ldc + j] = std::fabs(beta * ref[i * ldc + j]);
  lb::dgemm(ta, tb, s.m, s.n, s.k, std::fabs(alpha), abs_a.data(), lda, abs_b.data(), ldb, 1.0, mag.data(), ldc);
  lb::dgemm(ta, tb, s.m, s.n, s.k, alpha, da.data(), lda, db.data(), ldb, beta, ref.data(), ldc);
  if (beta == 0.0f)
    for (int64_t i = 0; i < s.m; ++i)
      for (int64_t j = 0; j < s.n; ++j) c[i * ldc + j] = kNaN;  // must be overwritten unread

  gemm(ta, tb, s.m, s.n, s.k, alpha, a.data(), lda, b.data(), ldb, beta, c.data(), ldc);

  // Rounding errors add up like a random walk: ~7 standard deviations of it.
  const double tol = 2 * std::sqrt(s.k + 1.0) * std::numeric_limits<float>::epsilon();
  for (int64_t i = 0; i < s.m; ++i) {
    for (int64_t j = 0; j < ldc; ++j) {
      const double got = c[i * ldc + j];
      const bool bad = j < s.n ? !(std::fabs(got - ref[i * ldc + j]) <= tol * mag[i * ldc + j] + 1e-30)
                               : got != sentinel;
      if (bad) {
        std::printf("FAIL %s m=%lld n=%lld k=%lld ta=%d tb=%d alpha=%g beta=%g pad=%lld threads=%d: C[%lld,%lld] = %.9g, want %.9g\n",
                    label, (long long)s.m, (long long)s.n, (long long)s.k, ta, tb, alpha, beta, (long long)pad,
                    lb::num_threads(), (long long)i, (long long)j, got, j < s.n ? ref[i * ldc + j] : sentinel);
        return false;
      }
    }
  }
  return true;
}

// A rows x cols matrix stored plain (ld = cols + 3) or as batched columns (images of
// rows x plane values, 5 NaN floats apart), with random values and NaN everywhere else.
struct Stored {
  int64_t rows, cols, ld;
  bool batched;
  lb::BatchedColumns bc;
  std::vector<float> data;
  int64_t offset(int64_t r, int64_t c) const {
    return batched ? c / bc.plane * bc.image + r * bc.plane + c % bc.plane : r * ld + c;
  }
  std::vector<double> dense() const {
    std::vector<double> d(static_cast<size_t>(rows * cols));
    for (int64_t r = 0; r < rows; ++r)
      for (int64_t c = 0; c < cols; ++c) d[r * cols + c] = data[offset(r, c)];
    return d;
  }
};

Stored stored(int64_t rows, int64_t cols, bool batched, int64_t plane) {
  Stored x{rows, cols, batched ? plane : cols + 3, batched, {plane, rows * plane + 5}, {}};
  const int64_t size = batched ? (cols + plane - 1) / plane * x.bc.image : rows * x.ld;
  x.data.assign(static_cast<size_t>(std::max<int64_t>(1, size)), kNaN);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  for (int64_t r = 0; r < rows; ++r)
    for (int64_t c = 0; c < cols; ++c) x.data[x.offset(r, c)] = u(rng);
  return x;
}

// One sgemm_batched_columns case, which (bits 0, 1, 2 of `which`) of A, B, C batched.
bool check_batched(const lb::SgemmMicroKernel& kern, const lb::SgemmBlocking& blk, Shape s, bool ta, bool tb,
                   int which, int64_t plane, float alpha, float beta) {
  const Stored a = stored(ta ? s.k : s.m, ta ? s.m : s.k, which & 1, plane);
  const Stored b = stored(tb ? s.n : s.k, tb ? s.k : s.n, which & 2, plane);
  Stored c = stored(s.m, s.n, which & 4, plane);
  std::vector<double> ref = c.dense(), mag(ref.size());
  for (size_t i = 0; i < ref.size(); ++i) mag[i] = std::fabs(beta * ref[i]);
  std::vector<double> da = a.dense(), db = b.dense(), abs_a(da.size()), abs_b(db.size());
  for (size_t i = 0; i < da.size(); ++i) abs_a[i] = std::fabs(da[i]);
  for (size_t i = 0; i < db.size(); ++i) abs_b[i] = std::fabs(db[i]);
  lb::dgemm(ta, tb, s.m, s.n, s.k, std::fabs(alpha), abs_a.data(), a.cols, abs_b.data(), b.cols, 1.0, mag.data(), s.n);
  lb::dgemm(ta, tb, s.m, s.n, s.k, alpha, da.data(), a.cols, db.data(), b.cols, beta, ref.data(), s.n);
  std::vector<bool> in_c(c.data.size(), false);
  for (int64_t i = 0; i < s.m; ++i)
    for (int64_t j = 0; j < s.n; ++j) {
      in_c[c.offset(i, j)] = true;
      if (beta == 0.0f) c.data[c.offset(i, j)] = kNaN;  // must be overwritten unread
    }
  lb::sgemm_batched_columns(kern, blk, ta, tb, s.m, s.n, s.k, alpha, a.data.data(), a.ld, a.batched ? &a.bc : nullptr,
                            b.data.data(), b.ld, b.batched ? &b.bc : nullptr, beta, c.data.data(), c.ld,
                            c.batched ? &c.bc : nullptr);
  const double tol = 2 * std::sqrt(s.k + 1.0) * std::numeric_limits<float>::epsilon();
  for (size_t e = 0; e < c.data.size(); ++e)
    if (!in_c[e] && !std::isnan(c.data[e])) {
      std::printf("FAIL batched: wrote outside C at %zu\n", e);
      return false;
    }
  for (int64_t i = 0; i < s.m; ++i)
    for (int64_t j = 0; j < s.n; ++j) {
      const double got = c.data[c.offset(i, j)], want = ref[i * s.n + j];
      if (!(std::fabs(got - want) <= tol * mag[i * s.n + j] + 1e-30)) {
        std::printf("FAIL batched m=%lld n=%lld k=%lld ta=%d tb=%d which=%d plane=%lld alpha=%g beta=%g threads=%d: C[%lld,%lld] = %.9g, want %.9g\n",
                    (long long)s.m, (long long)s.n, (long long)s.k, ta, tb, which, (long long)plane, alpha, beta,
                    lb::num_threads(), (long long)i, (long long)j, got, want);
        return false;
      }
    }
  return true;
}

std::vector<Shape> shapes(const lb::SgemmMicroKernel& kern) {
  std::vector<Shape> out = {{1, 1, 1}, {1, 1, 17}, {1, 37, 1}, {29, 1, 5}, {2, 3, 4},   {7, 13, 17},
                            {13, 31, 29}, {31, 7, 61}, {1, 300, 200}, {300, 1, 200}, {61, 67, 0}, {97, 257, 131},
                            {64, 130, 27}, {300, 200, 150}, {3, 700, 400}, {2, 8200, 3}};
  for (int64_t dm = -1; dm <= 1; ++dm)
    for (int64_t dn = -1; dn <= 1; ++dn) out.push_back({kern.mr + dm, kern.nr + dn, 9});
  out.push_back({2 * kern.mr + 1, 3 * kern.nr - 1, 33});
  return out;
}

}  // namespace

int main() {
  const char* want = std::getenv("LARGEBATCH_SGEMM_KERNEL");
  const lb::SgemmMicroKernel& kern = lb::sgemm_selected_kernel();
  if (want && std::string(want) != kern.name) {
    std::printf("SKIP %s: this CPU cannot run it (selected %s)\n", want, kern.name);
    return 0;
  }
  const lb::SgemmBlocking tiny{2 * kern.mr, 7, 2 * kern.nr};
  auto with_tiny_blocks = [&](bool ta, bool tb, int64_t m, int64_t n, int64_t k, float alpha, const float* a,
                              int64_t lda, const float* b, int64_t ldb, float beta, float* c, int64_t ldc) {
    lb::sgemm_with(kern, tiny, ta, tb, m, n, k, alpha, a, lda, b, ldb, beta, c, ldc);
  };
  const float alphas[] = {1.0f, 0.7f, 0.0f};
  const float betas[] = {0.0f, 1.0f, -0.5f};
  int cases = 0, failures = 0;
  for (int threads : {1, 2, 3}) {
    lb::set_num_threads(threads);
    for (const Shape& s : shapes(kern))
      for (int t = 0; t < 4; ++t)
        for (float alpha : alphas)
          for (float beta : betas) {
            const bool ta = t & 1, tb = t & 2;
            const int64_t pad = (cases % 3 == 0) ? 0 : 5;
            failures += !check("sgemm", lb::sgemm, s, ta, tb, alpha, beta, pad);
            failures += !check("tiny-blocks", with_tiny_blocks, s, ta, tb, alpha, beta, pad);
            cases += 2;
            if (failures > 10) return 1;
          }
  }
  const Shape batched_shapes[] = {{13, 37, 29}, {2, 40, 17}, {70, 100, 45}, {1, 1, 1}, {8, 64, 0}};
  for (int threads : {1, 2, 3}) {
    lb::set_num_threads(threads);
    for (const Shape& s : batched_shapes)
      for (int64_t plane : {1, 4, 5, 16})
        for (int t = 0; t < 4; ++t)
          for (int which = 1; which < 8; ++which)
            for (const lb::SgemmBlocking& blk : {lb::sgemm_default_blocking(), tiny}) {
              failures += !check_batched(kern, blk, s, t & 1, t & 2, which, plane, 1.0f, 0.0f);
              failures += !check_batched(kern, blk, s, t & 1, t & 2, which, plane, 0.7f, -0.5f);
              cases += 2;
              if (failures > 10) return 1;
            }
  }
  std::printf("%s: %d cases, %d failures\n", kern.name, cases, failures);
  return failures == 0 ? 0 : 1;
}
