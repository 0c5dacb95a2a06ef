// Times the CPU conv2d kernels (src/kernels/conv2d) on the ResNet shapes of shapes.h at
// batch 128, float32: forward, backward data, backward weight, quickest of reps, in ms and
// GFLOP/s (2 N K C R S P Q). Times are the process's CPU time (all threads), not wall
// time: on a shared, loaded machine CPU time still measures the work a kernel does, where
// wall time mostly measures the neighbours; LARGEBATCH_NUM_THREADS=1 keeps pool waits out. No peer here: torch_bench.py prints PyTorch's figures for the
// same shapes; bench/conv.ts is the interleaved comparison that counts.
// Run: `make -C dev/conv bench ARGS="[net-substring] [shape-substring] [reps] [passes]"`, passes
// a subset of "fdw" (forward, backward data, backward weight; default all) to profile one.
#include <algorithm>
#include <ctime>
#include <cstdio>
#include <cstdlib>
#include <functional>
#include <random>
#include <string>
#include <vector>

#include "../../src/kernels/conv2d/conv2d.h"
#include "shapes.h"

namespace {

double cpu_ms() {
  timespec ts{};
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  return ts.tv_sec * 1e3 + ts.tv_nsec * 1e-6;
}

double best_ms(int reps, const std::function<void()>& run) {
  run();
  std::vector<double> t;
  for (int i = 0; i < reps; ++i) {
    const double t0 = cpu_ms();
    run();
    t.push_back(cpu_ms() - t0);
  }
  std::sort(t.begin(), t.end());
  return t.front();  // the quickest: contention only ever adds time
}

}  // namespace

int main(int argc, char** argv) {
  const std::string net = argc > 1 ? argv[1] : "", pick = argc > 2 ? argv[2] : "";
  const int reps = argc > 3 ? std::atoi(argv[3]) : 5;
  const std::string passes = argc > 4 ? argv[4] : "fdw";
  const int64_t n = 128;
  std::mt19937 rng(1);
  std::normal_distribution<float> normal;
  double total[3] = {0, 0, 0};
  for (const NetConv& c : kNetConvs) {
    char name[96];
    std::snprintf(name, sizeof name, "%s %d->%d %dx%d/%d @%d", c.net, c.c, c.k, c.r, c.r, c.stride, c.h);
    if (std::string(name).find(net) == std::string::npos || std::string(name).find(pick) == std::string::npos) continue;
    const int64_t p = (c.h + 2 * c.pad - c.r) / c.stride + 1;
    const lb::Conv2dShape s{n, c.c, c.h, c.h, c.k, c.r, c.r, p, p, c.stride, c.stride, c.pad, c.pad, 1, 1, 1};
    std::vector<float> x(n * c.c * c.h * c.h), w(c.k * c.c * c.r * c.r), y(n * c.k * p * p);
    for (auto* v : {&x, &w, &y})
      for (float& e : *v) e = normal(rng);
    const double gflop = 2.0 * n * c.k * c.c * c.r * c.r * p * p / 1e9;
    const std::function<void()> pass[3] = {
        [&] { (void)lb::conv2d_forward_cpu(lb::DType::F32, s, x.data(), w.data(), nullptr, y.data()); },
        [&] { (void)lb::conv2d_backward_data_cpu(lb::DType::F32, s, y.data(), w.data(), x.data()); },
        [&] { (void)lb::conv2d_backward_weight_cpu(lb::DType::F32, s, x.data(), y.data(), w.data(), nullptr); },
    };
    double t[3] = {0, 0, 0};
    for (int i = 0; i < 3; ++i)
      if (passes.find("fdw"[i]) != std::string::npos) t[i] = best_ms(reps, pass[i]);
    std::printf("%-34s", name);
    for (int i = 0; i < 3; ++i) {
      if (t[i] > 0) std::printf("  %7.2f ms %5.0f GF/s", t[i], gflop / t[i] * 1e3);
      else std::printf("  %19s", "-");
      total[i] += t[i] * c.count;
    }
    std::printf("\n");
  }
  std::printf("weighted totals (ms): forward %.1f, backward data %.1f, backward weight %.1f, all %.1f\n", total[0],
              total[1], total[2], total[0] + total[1] + total[2]);
}
