// SGEMM benchmark: the machine's FMA peak per thread count, then GFLOP/s of lb::sgemm
// (the kernel LARGEBATCH_SGEMM_KERNEL selects) as best and median of repeated runs, and as
// a fraction of that peak. The machine is shared, so runs of the measured kernels are
// interleaved and the spread (median/best) is printed.
// Usage: make bench ARGS="[--threads 1,2] [--set square|conv|small] [--trans NN|NT|TN|TT]
//                        [--shape MxNxK]... [--blocking mc,kc,nc] [--baseline] [--seconds S]
//                        [--cpu-time]"
//   square: 256..2048 cubes; conv: im2col/backward shapes of ResNet-20/50 on 32x32;
//   small: m = 1, k = 1 and tiny shapes; --baseline adds the old straightforward sgemm.
//   --cpu-time times by the process's CPU time divided by the thread count instead of the
//   wall clock: steadier for tuning while other jobs share the cores, but it counts a
//   thread waiting for the other as busy, and GFLOP/s measured so is not a speed.
#include <algorithm>
#include <chrono>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include <time.h>

#include "../../src/core/thread_pool.h"
#include "../../src/kernels/fma_peak/fma_peak.h"
#include "../../src/kernels/gemm/gemm.h"
#include "../../src/kernels/gemm/gemm_microkernel.h"
#include "baseline_sgemm.h"

namespace {

struct Shape {
  int64_t m, n, k;
};

using Gemm = std::function<void(const Shape&, bool, bool, const float*, const float*, float*)>;

std::vector<int> parse_ints(const char* s) {
  std::vector<int> out;
  for (const char* p = s; *p;) {
    out.push_back(std::atoi(p));
    while (*p && *p != ',') ++p;
    if (*p == ',') ++p;
  }
  return out;
}

std::vector<Shape> shape_set(const std::string& name) {
  if (name == "conv")  // (M = out channels, N = batch*H*W or in channels*kh*kw, K)
    return {{16, 131072, 27},  {16, 131072, 144},  {64, 32768, 576},  {64, 32768, 64},  {256, 8192, 64},
            {64, 576, 32768},  {128, 8192, 1152},  {512, 2048, 256},  {256, 2048, 2304}, {2048, 512, 512},
            {512, 512, 4608},  {1024, 16, 1024},   {4608, 512, 512}};
  if (name == "small")
    return {{1, 1000, 1000}, {1, 64, 64},  {1000, 1000, 1}, {1000, 1, 1000}, {2, 512, 512},
            {4, 512, 512},   {8, 8, 8},    {16, 16, 16},    {32, 32, 32},    {64, 64, 64}};
  return {{256, 256, 256}, {512, 512, 512}, {1024, 1024, 1024}, {2048, 2048, 2048}};
}

double now(bool cpu_time) {
  if (!cpu_time) return std::chrono::duration<double>(std::chrono::steady_clock::now().time_since_epoch()).count();
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec + 1e-9 * ts.tv_nsec;
}

}  // namespace

int main(int argc, char** argv) {
  std::vector<int> threads = {1, 2};
  std::string set = "square", trans = "NN";
  std::vector<Shape> custom;
  bool baseline = false, cpu_time = false;
  double budget = 0.3;  // seconds per shape, thread count and kernel
  const lb::SgemmMicroKernel& kern = lb::sgemm_selected_kernel();
  lb::SgemmBlocking blocking = lb::sgemm_default_blocking();
  for (int i = 1; i < argc; ++i) {
    const std::string arg = argv[i];
    const char* next = i + 1 < argc ? argv[i + 1] : "";
    if (arg == "--threads") threads = parse_ints(next), ++i;
    else if (arg == "--set") set = next, ++i;
    else if (arg == "--trans") trans = next, ++i;
    else if (arg == "--seconds") budget = std::atof(next), ++i;
    else if (arg == "--baseline") baseline = true;
    else if (arg == "--cpu-time") cpu_time = true;
    else if (arg == "--shape") {
      long long m, n, k;
      if (std::sscanf(next, "%lldx%lldx%lld", &m, &n, &k) != 3) return std::fprintf(stderr, "bad shape %s\n", next), 2;
      custom.push_back({m, n, k}), ++i;
    }
    else if (arg == "--blocking") {
      const std::vector<int> b = parse_ints(next);
      blocking = {b.at(0), b.at(1), b.at(2)}, ++i;
    } else {
      std::fprintf(stderr, "unknown argument %s\n", arg.c_str());
      return 2;
    }
  }
  const bool ta = trans[0] == 'T', tb = trans[1] == 'T';
  std::printf("kernel %s (%dx%d), blocking mc=%lld kc=%lld nc=%lld, trans %s\n", kern.name, kern.mr, kern.nr,
              (long long)blocking.mc, (long long)blocking.kc, (long long)blocking.nc, trans.c_str());

  std::vector<double> peak(threads.size());
  for (size_t t = 0; t < threads.size(); ++t) {
    peak[t] = std::max(lb::measure_fma_peak(threads[t], 0.3), lb::measure_fma_peak(threads[t], 0.3));
    std::printf("FMA peak, %d thread(s): %.1f GFLOP/s\n", threads[t], peak[t]);
  }

  std::vector<std::pair<std::string, Gemm>> gemms = {
      {"sgemm", [&](const Shape& s, bool ta_, bool tb_, const float* a, const float* b, float* c) {
         lb::sgemm_with(kern, blocking, ta_, tb_, s.m, s.n, s.k, 1.0f, a, ta_ ? s.m : s.k, b, tb_ ? s.k : s.n, 0.0f, c, s.n);
       }}};
  if (baseline)
    gemms.push_back({"baseline", [](const Shape& s, bool ta_, bool tb_, const float* a, const float* b, float* c) {
                       baseline_sgemm(ta_, tb_, s.m, s.n, s.k, 1.0f, a, ta_ ? s.m : s.k, b, tb_ ? s.k : s.n, 0.0f, c, s.n);
                     }});

  std::mt19937 rng(1);
  std::uniform_real_distribution<float> u(-1.0f, 1.0f);
  std::printf("%-22s %3s %-9s %9s %9s %7s %6s\n", "m x n x k", "thr", "kernel", "best", "median", "%peak", "spread");
  for (const Shape& s : custom.empty() ? shape_set(set) : custom) {
    std::vector<float> a(s.m * s.k), b(s.k * s.n), c(s.m * s.n);
    for (float& x : a) x = u(rng);
    for (float& x : b) x = u(rng);
    const double flops = 2.0 * s.m * s.n * s.k;
    for (size_t t = 0; t < threads.size(); ++t) {
      lb::set_num_threads(threads[t]);
      std::vector<std::vector<double>> times(gemms.size());
      for (auto& g : gemms) g.second(s, ta, tb, a.data(), b.data(), c.data());  // warm up
      // Interleave the kernels so that a burst of load on the machine hits them alike.
      for (double spent = 0; spent < budget * gemms.size() || times[0].size() < 5;) {
        for (size_t g = 0; g < gemms.size(); ++g) {
          const double t0 = now(cpu_time);
          gemms[g].second(s, ta, tb, a.data(), b.data(), c.data());
          const double sec = (now(cpu_time) - t0) / (cpu_time ? threads[t] : 1);
          times[g].push_back(sec);
          spent += sec;
        }
      }
      for (size_t g = 0; g < gemms.size(); ++g) {
        std::vector<double>& v = times[g];
        std::sort(v.begin(), v.end());
        const double best = flops / v.front() * 1e-9, median = flops / v[v.size() / 2] * 1e-9;
        char label[64];
        std::snprintf(label, sizeof label, "%lldx%lldx%lld", (long long)s.m, (long long)s.n, (long long)s.k);
        std::printf("%-22s %3d %-9s %9.1f %9.1f %6.1f%% %6.2f\n", label, threads[t], gemms[g].first.c_str(), best,
                    median, 100.0 * best / peak[t], best / median);
      }
    }
  }
  return 0;
}
