// FMA peak: each thread runs kChains independent accumulator chains (more chains than
// FMA latency x FMA ports, so the pipes never wait), AVX-512, AVX2+FMA or portable,
// chosen at run time. Its own threads rather than the pool, so that the thread count is
// exactly the one asked for. Bench: `make -C dev/gemm bench` prints it beside SGEMM.
#include "fma_peak.h"

#include <algorithm>
#include <atomic>
#include <chrono>
#include <thread>
#include <vector>

#if defined(__x86_64__)
#include <immintrin.h>
#endif

namespace lb {
namespace {

constexpr int kChains = 12;
constexpr int64_t kRepsPerCheck = 1 << 16;  // FMA rounds between clock reads

using Clock = std::chrono::steady_clock;

float sum_lanes(const float* v, int n) {
  float t = 0;
  for (int i = 0; i < n; ++i) t += v[i];
  return t;
}

// Each runner does `reps` rounds of kChains FMAs on `lanes`-wide vectors, returns a sum
// of the accumulators (so the work is not optimised away) and its lane count.
#if defined(__x86_64__)
__attribute__((target("avx512f"))) float run_avx512(int64_t reps) {
  __m512 acc[kChains];
  for (int c = 0; c < kChains; ++c) acc[c] = _mm512_set1_ps(static_cast<float>(c));
  const __m512 x = _mm512_set1_ps(0.999999f), y = _mm512_set1_ps(1e-7f);
  for (int64_t r = 0; r < reps; ++r) {
#pragma GCC unroll 12
    for (int c = 0; c < kChains; ++c) acc[c] = _mm512_fmadd_ps(acc[c], x, y);
  }
  alignas(64) float out[16];
  __m512 s = acc[0];
  for (int c = 1; c < kChains; ++c) s = _mm512_add_ps(s, acc[c]);
  _mm512_store_ps(out, s);
  return sum_lanes(out, 16);
}

__attribute__((target("avx2,fma"))) float run_avx2(int64_t reps) {
  __m256 acc[kChains];
  for (int c = 0; c < kChains; ++c) acc[c] = _mm256_set1_ps(static_cast<float>(c));
  const __m256 x = _mm256_set1_ps(0.999999f), y = _mm256_set1_ps(1e-7f);
  for (int64_t r = 0; r < reps; ++r) {
#pragma GCC unroll 12
    for (int c = 0; c < kChains; ++c) acc[c] = _mm256_fmadd_ps(acc[c], x, y);
  }
  alignas(32) float out[8];
  __m256 s = acc[0];
  for (int c = 1; c < kChains; ++c) s = _mm256_add_ps(s, acc[c]);
  _mm256_store_ps(out, s);
  return sum_lanes(out, 8);
}
#endif

// Portable: 4-wide chains the compiler maps to its vector unit (NEON on arm64).
float run_portable(int64_t reps) {
  float acc[kChains][4];
  for (int c = 0; c < kChains; ++c)
    for (int l = 0; l < 4; ++l) acc[c][l] = static_cast<float>(c + l);
  const float x = 0.999999f, y = 1e-7f;
  for (int64_t r = 0; r < reps; ++r)
    for (int c = 0; c < kChains; ++c)
      for (int l = 0; l < 4; ++l) acc[c][l] = acc[c][l] * x + y;
  return sum_lanes(&acc[0][0], kChains * 4);
}

struct Runner {
  float (*run)(int64_t);
  int lanes;
};

Runner pick_runner() {
#if defined(__x86_64__)
  if (__builtin_cpu_supports("avx512f")) return {run_avx512, 16};
  if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma")) return {run_avx2, 8};
#endif
  return {run_portable, 4};
}

}  // namespace

double measure_fma_peak(int threads, double seconds) {
  threads = std::max(1, threads);
  const Runner runner = pick_runner();
  const auto duration = std::chrono::duration<double>(std::max(0.0, seconds));
  std::atomic<int64_t> rounds{0};
  std::atomic<float> sink{0};
  const auto start = Clock::now();
  std::vector<std::thread> pool;
  for (int t = 0; t < threads; ++t) {
    pool.emplace_back([&] {
      int64_t mine = 0;
      float s = 0;
      do {
        s += runner.run(kRepsPerCheck);
        mine += kRepsPerCheck;
      } while (Clock::now() - start < duration);
      rounds.fetch_add(mine);
      sink.store(s);
    });
  }
  for (auto& th : pool) th.join();
  const double elapsed = std::chrono::duration<double>(Clock::now() - start).count();
  const double flops = 2.0 * kChains * runner.lanes * static_cast<double>(rounds.load());
  return flops / elapsed * 1e-9;
}

}  // namespace lb
