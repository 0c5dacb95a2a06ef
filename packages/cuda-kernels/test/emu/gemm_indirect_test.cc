// SgemmMicroKernel::tile_indirect (src/kernels/gemm/gemm_microkernel.h) of every micro-kernel
// this CPU runs (AVX-512, AVX2, portable), called directly, against a float64 sum over the
// same values: random row pointers into one pool (rows repeated, as a tile's last pixels
// repeat), per-tap offsets, depth steps of 1 and 7 (channels-last and NCHW inputs), 0 to 5
// taps with depths 1 to 19, B packed at per-tap offsets with NaN between the taps' panels
// (which must not be read); and tile_gather, both operands at per-step offsets. Error
// allowed: 1e-5 of sum |a| |b|.
// Run: lb_emu_tests gemm_indirect.
#include <cmath>
#include <limits>
#include <random>
#include <string>
#include <vector>

#include "../../src/kernels/gemm/gemm_microkernel.h"
#include "harness.h"

namespace {

void check_kernel(const lb::SgemmMicroKernel& kern) {
  std::mt19937 rng(7);
  const std::vector<float> pool = lbt::random_floats(4000, 21);
  for (const int64_t step : {1, 7})
    for (int64_t taps = 0; taps <= 5; ++taps) {
      const int64_t depth = 1 + static_cast<int64_t>(rng() % 19);
      const std::string what = std::string(kern.name) + " step " + std::to_string(step) + " taps " + std::to_string(taps) +
                               " depth " + std::to_string(depth);
      const int64_t span = (depth - 1) * step + 1, mr = kern.mr, nr = kern.nr;
      std::vector<const float*> rows(static_cast<size_t>(mr));
      for (auto& r : rows) r = pool.data() + rng() % 1000;
      rows.back() = rows.front();
      std::vector<int64_t> a_off(static_cast<size_t>(taps)), b_off(static_cast<size_t>(taps));
      for (auto& o : a_off) o = static_cast<int64_t>(rng() % static_cast<uint32_t>(4000 - 1000 - span));
      // B: each tap's depth x nr panel, a panel of NaN between consecutive ones, in reverse order.
      std::vector<float> b(static_cast<size_t>(2 * taps * depth * nr + 16), std::numeric_limits<float>::quiet_NaN());
      float* b0 = b.data() + (16 - reinterpret_cast<uintptr_t>(b.data()) / 4 % 16) % 16;  // 64-byte aligned
      const std::vector<float> values = lbt::random_floats(static_cast<size_t>(taps * depth * nr), 22);
      for (int64_t t = 0; t < taps; ++t) {
        b_off[t] = (taps - 1 - t) * 2 * depth * nr;
        for (int64_t e = 0; e < depth * nr; ++e) b0[b_off[t] + e] = values[t * depth * nr + e];
      }
      alignas(64) float tile[16 * 32];
      for (float& v : tile) v = std::numeric_limits<float>::quiet_NaN();
      kern.tile_indirect(taps, depth, step, rows.data(), a_off.data(), b0, b_off.data(), tile);
      double worst = 0;
      for (int64_t i = 0; i < mr; ++i)
        for (int64_t j = 0; j < nr; ++j) {
          double want = 0, scale = 1e-30;
          for (int64_t t = 0; t < taps; ++t)
            for (int64_t p = 0; p < depth; ++p) {
              const double a = rows[i][a_off[t] + p * step], bv = b0[b_off[t] + p * nr + j];
              want += a * bv;
              scale += std::fabs(a * bv);
            }
          const double err = std::fabs(tile[i * nr + j] - want) / (1e-5 * scale);
          worst = std::isnan(err) ? INFINITY : std::max(worst, err);
        }
      LBT_CHECK(worst <= 1.0, what + ": error " + std::to_string(worst) + " of the allowed");
    }
}

// tile_gather: A[i, p] at rows[i][a_off[p]], B's step p the nr floats at b + b_off[p] (any
// alignment), 0 to 300 steps.
void check_gather(const lb::SgemmMicroKernel& kern) {
  std::mt19937 rng(9);
  const std::vector<float> pool = lbt::random_floats(4000, 23), b = lbt::random_floats(3000, 24);
  for (const int64_t depth : {0, 1, 5, 37, 300}) {
    const std::string what = std::string(kern.name) + " gather depth " + std::to_string(depth);
    const int64_t mr = kern.mr, nr = kern.nr;
    std::vector<const float*> rows(static_cast<size_t>(mr));
    for (auto& r : rows) r = pool.data() + rng() % 1000;
    std::vector<int64_t> a_off(static_cast<size_t>(depth)), b_off(static_cast<size_t>(depth));
    for (auto& o : a_off) o = static_cast<int64_t>(rng() % 3000);
    for (auto& o : b_off) o = static_cast<int64_t>(rng() % static_cast<uint32_t>(3000 - nr));
    alignas(64) float tile[16 * 32];
    for (float& v : tile) v = std::numeric_limits<float>::quiet_NaN();
    kern.tile_gather(depth, rows.data(), a_off.data(), b.data(), b_off.data(), tile);
    double worst = 0;
    for (int64_t i = 0; i < mr; ++i)
      for (int64_t j = 0; j < nr; ++j) {
        double want = 0, scale = 1e-30;
        for (int64_t p = 0; p < depth; ++p) {
          const double term = static_cast<double>(rows[i][a_off[p]]) * b[b_off[p] + j];
          want += term;
          scale += std::fabs(term);
        }
        const double err = std::fabs(tile[i * nr + j] - want) / (1e-5 * scale);
        worst = std::isnan(err) ? INFINITY : std::max(worst, err);
      }
    LBT_CHECK(worst <= 1.0, what + ": error " + std::to_string(worst) + " of the allowed");
  }
}

LBT_TEST(gemm_indirect, every_kernel_matches_float64) {
  int checked = 0;
  for (const lb::SgemmMicroKernel* kern : {lb::sgemm_avx512_kernel(), lb::sgemm_avx2_kernel(), &lb::sgemm_portable_kernel()})
    if (kern) {
      check_kernel(*kern);
      check_gather(*kern);
      ++checked;
    }
  LBT_CHECK(checked >= 1, "at least the portable kernel runs");
}

}  // namespace
