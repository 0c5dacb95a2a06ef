// lb::sgemm_indexed (src/kernels/gemm/gemm.h) against lb::dgemm on dense float64 copies of
// its operands: B always indexed by separable offsets b[b_rows[p] + b_cols[j]] (random, some
// repeated, as a convolution's taps repeat; or columns in runs of 1 to 19 values 1 or 2
// apart, as a convolution's rows of outputs at stride 1 or 2, one run ending on the last
// value of B's storage so that reading past a run is an out-of-bounds read), A plain or
// indexed likewise, C plain, as batched columns (planes of 1, 3 and 16 values) or at a table
// of column offsets, with NaN between C's values that must stay untouched; shapes that
// cross the driver's mc / kc / nc blocks and leave ragged tiles, few rows (m < 4), beta 0
// over NaN and beta 1, on 1 and 3 threads; and C given a rows table is refused. Error
// allowed: 1e-5 of sum_p |a_ip| |b_pj|.
// Run: lb_emu_tests gemm_indexed.
#include <cmath>
#include <cstdio>
#include <limits>
#include <random>
#include <stdexcept>

#include "../../src/core/thread_pool.h"
#include "../../src/kernels/gemm/gemm.h"
#include "harness.h"

namespace {

enum class CLayout { plain, batched, table };

struct Case {
  int64_t m, n, k;
  bool a_indexed;
  CLayout c;
  int64_t plane;  // batched columns' plane
  float beta;
  bool b_runs = false;  // B's columns in runs (else random offsets)
};

const Case kCases[] = {
    {1, 1, 1, false, CLayout::plain, 0, 0.0f},       {3, 50, 20, true, CLayout::table, 0, 1.0f},
    {37, 45, 29, false, CLayout::batched, 3, 0.0f},  {70, 450, 400, true, CLayout::batched, 16, 0.0f},
    {64, 97, 147, false, CLayout::batched, 1, 1.0f}, {128, 33, 1030, true, CLayout::plain, 0, 0.0f},
    {9, 1100, 64, false, CLayout::table, 0, 1.0f},   {40, 390, 33, true, CLayout::table, 0, 0.0f},
    {70, 450, 40, false, CLayout::batched, 16, 0.0f, true}, {9, 700, 30, true, CLayout::plain, 0, 1.0f, true},
};

const float kNaN = std::numeric_limits<float>::quiet_NaN();

// Random separable offsets into a pool of `values`: rows in [0, values / 2), columns likewise.
void random_offsets(std::mt19937& rng, int64_t values, std::vector<int64_t>& rows, std::vector<int64_t>& cols) {
  for (auto& r : rows) r = static_cast<int64_t>(rng() % (values / 2));
  for (auto& c : cols) c = static_cast<int64_t>(rng() % (values / 2));
}

// Columns in runs: each of 1 to 19 values, 1 or 2 apart, from a random start in
// [0, values / 2); the first run (step 2, 8 values) ends on values / 2 - 1 and row 0 is
// values / 2, so that it reads the storage's last value.
void run_offsets(std::mt19937& rng, int64_t values, std::vector<int64_t>& rows, std::vector<int64_t>& cols) {
  const int64_t half = values / 2;
  rows[0] = half;
  for (int64_t j = 0; j < static_cast<int64_t>(cols.size());) {
    const int64_t step = j == 0 ? 2 : 1 + static_cast<int64_t>(rng() % 2);
    const int64_t len = j == 0 ? 8 : 1 + static_cast<int64_t>(rng() % 19);
    const int64_t start = j == 0 ? half - 1 - 7 * step : static_cast<int64_t>(rng() % (half - (len - 1) * step));
    for (int64_t t = 0; t < len && j < static_cast<int64_t>(cols.size()); ++t) cols[j++] = start + t * step;
  }
}

void check(const Case& c) {
  char what[120];
  std::snprintf(what, sizeof what, "m%lld n%lld k%lld A %s B %s C %d plane %lld beta %g threads %d", (long long)c.m,
                (long long)c.n, (long long)c.k, c.a_indexed ? "indexed" : "plain", c.b_runs ? "runs" : "random",
                static_cast<int>(c.c), (long long)c.plane, c.beta, lb::num_threads());
  std::mt19937 rng(static_cast<uint32_t>(c.m * 131 + c.n * 7 + c.k));
  const std::vector<float> pool_b = lbt::random_floats(900, 11), pool_a = lbt::random_floats(c.a_indexed ? 900 : c.m * c.k, 12);
  std::vector<int64_t> b_rows(c.k), b_cols(c.n), a_rows(c.a_indexed ? c.m : 0), a_cols(c.a_indexed ? c.k : 0);
  random_offsets(rng, 900, b_rows, b_cols);
  if (c.b_runs) run_offsets(rng, 900, b_rows, b_cols);
  if (c.a_indexed) random_offsets(rng, 900, a_rows, a_cols);
  auto a_at = [&](int64_t i, int64_t p) { return c.a_indexed ? pool_a[a_rows[i] + a_cols[p]] : pool_a[i * c.k + p]; };
  // C's element (i, j): plain at i * n + j; batched at image j / plane, (j / plane) * image +
  // i * plane + j % plane, a gap of NaN after each image's rows; table at i * ld + c_cols[j]
  // with c_cols[j] = 2 j + 1 (NaN between and around).
  const int64_t image = c.m * c.plane + 5, images = c.plane ? (c.n + c.plane - 1) / c.plane : 0;
  const int64_t ld = c.c == CLayout::plain ? c.n : c.c == CLayout::batched ? c.plane : 2 * c.n + 3;
  std::vector<int64_t> c_cols(c.c == CLayout::table ? c.n : 0);
  for (int64_t j = 0; j < static_cast<int64_t>(c_cols.size()); ++j) c_cols[j] = 2 * j + 1;
  auto at = [&](int64_t i, int64_t j) {
    if (c.c == CLayout::batched) return (j / c.plane) * image + i * c.plane + j % c.plane;
    return c.c == CLayout::table ? i * ld + c_cols[j] : i * ld + j;
  };
  std::vector<float> out(c.c == CLayout::batched ? images * image : c.m * ld, kNaN);
  const std::vector<float> c0 = lbt::random_floats(c.m * c.n, 13);
  if (c.beta != 0.0f)
    for (int64_t i = 0; i < c.m; ++i)
      for (int64_t j = 0; j < c.n; ++j) out[at(i, j)] = c0[i * c.n + j];
  const lb::BatchedColumns batched{c.plane, image};
  const lb::IndexedMatrix<const float> a =
      c.a_indexed ? lb::IndexedMatrix<const float>{pool_a.data(), 0, a_rows.data(), a_cols.data()}
                  : lb::IndexedMatrix<const float>{pool_a.data(), c.k};
  lb::sgemm_indexed(c.m, c.n, c.k, 1.0f, a, {pool_b.data(), 0, b_rows.data(), b_cols.data()}, c.beta,
                    {out.data(), ld, nullptr, c.c == CLayout::table ? c_cols.data() : nullptr,
                     c.c == CLayout::batched ? &batched : nullptr});

  std::vector<double> a64(c.m * c.k), b64(c.k * c.n), want(c0.begin(), c0.end()), scale(c.m * c.n);
  for (int64_t i = 0; i < c.m; ++i)
    for (int64_t p = 0; p < c.k; ++p) a64[i * c.k + p] = a_at(i, p);
  for (int64_t p = 0; p < c.k; ++p)
    for (int64_t j = 0; j < c.n; ++j) b64[p * c.n + j] = pool_b[b_rows[p] + b_cols[j]];
  lb::dgemm(false, false, c.m, c.n, c.k, 1.0, a64.data(), c.k, b64.data(), c.n, c.beta, want.data(), c.n);
  std::vector<double> abs_a(a64.size()), abs_b(b64.size());
  for (size_t i = 0; i < a64.size(); ++i) abs_a[i] = std::fabs(a64[i]);
  for (size_t i = 0; i < b64.size(); ++i) abs_b[i] = std::fabs(b64[i]);
  lb::dgemm(false, false, c.m, c.n, c.k, 1.0, abs_a.data(), c.k, abs_b.data(), c.n, 0.0, scale.data(), c.n);
  double worst = 0;
  std::vector<char> written(out.size(), 0);
  for (int64_t i = 0; i < c.m; ++i)
    for (int64_t j = 0; j < c.n; ++j) {
      const double bound = 1e-5 * (scale[i * c.n + j] + std::fabs(c.beta * c0[i * c.n + j])) + 1e-30;
      worst = std::max(worst, std::fabs(out[at(i, j)] - want[i * c.n + j]) / bound);
      written[at(i, j)] = 1;
    }
  LBT_CHECK(worst <= 1.0, std::string(what) + ": error " + std::to_string(worst) + " of the allowed");
  int64_t touched = 0;
  for (size_t e = 0; e < out.size(); ++e) touched += !written[e] && !std::isnan(out[e]);
  LBT_CHECK(touched == 0, std::string(what) + ": " + std::to_string(touched) + " values outside C written");
}

LBT_TEST(gemm_indexed, matches_float64) {
  const int saved = lb::num_threads();
  for (const int threads : {1, 3}) {
    lb::set_num_threads(threads);
    for (const Case& c : kCases) check(c);
  }
  lb::set_num_threads(saved);
}

LBT_TEST(gemm_indexed, refuses_indexed_rows_of_c) {
  float v = 0.0f;
  const int64_t rows[1] = {0};
  bool refused = false;
  try {
    lb::sgemm_indexed(1, 1, 1, 1.0f, {&v, 1}, {&v, 1}, 0.0f, {&v, 1, rows});
  } catch (const std::invalid_argument&) {
    refused = true;
  }
  LBT_CHECK(refused, "C with a rows table");
}

}  // namespace
