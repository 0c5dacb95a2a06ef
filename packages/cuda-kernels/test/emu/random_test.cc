// The Philox random fills' CUDA kernel (src/kernels/random/random_cuda.cu), emulated,
// against random_fill_cpu: uniform and normal, float32 and float64, sizes that end inside
// a Philox block (1, 2, 3, 5, 4099), a nonzero counter and a 64-bit seed, under every
// schedule. Uniform values must be bit-identical; normal ones agree to 1e-5 (a GPU's
// logf/cosf may differ from the CPU's by a few ulps). Run: lb_emu_tests random.
#include <cmath>
#include <cstring>

#include "../../src/kernels/random/random.h"
#include "harness.h"

namespace {

using lb::Distribution;
using lb::DType;

template <typename T>
void check(Distribution dist, DType type, const std::string& schedule) {
  for (int64_t n : {1, 2, 3, 4, 5, 1000, 4099}) {
    const uint64_t seed = 0x123456789abcdefull, counter = 77;
    const double a = dist == Distribution::Uniform ? -2.0 : 0.5, b = dist == Distribution::Uniform ? 3.0 : 2.0;
    std::vector<T> want(static_cast<size_t>(n));
    const lb::Status sc = lb::random_fill_cpu(dist, type, want.data(), n, seed, counter, a, b);
    LBT_CHECK(sc.ok, "random_fill_cpu: " + sc.message);
    T* d = nullptr;
    cudaMalloc(&d, want.size() * sizeof(T));
    const lb::Status sg = lb::random_fill_cuda(dist, type, d, n, seed, counter, a, b, nullptr);
    LBT_CHECK(sg.ok, "random_fill_cuda: " + sg.message);
    const std::vector<T> got = lbt::to_host(d, want.size());
    cudaFree(d);
    const std::string what = std::string(dist == Distribution::Uniform ? "uniform " : "normal ") + lb::dtype_name(type) +
                             " n=" + std::to_string(n) + " " + schedule;
    if (dist == Distribution::Uniform) {
      LBT_CHECK(std::memcmp(got.data(), want.data(), want.size() * sizeof(T)) == 0, what + ": not bit-identical");
    } else {
      double worst = 0;
      for (size_t i = 0; i < want.size(); ++i) worst = std::fmax(worst, std::fabs(static_cast<double>(got[i]) - want[i]));
      LBT_CHECK(worst < 1e-5, what + ": differs by " + std::to_string(worst));
    }
  }
}

LBT_TEST(random, matches_cpu_every_schedule) {
  lbt::for_each_schedule([](const std::string& s) {
    check<float>(Distribution::Uniform, DType::F32, s);
    check<double>(Distribution::Uniform, DType::F64, s);
    check<float>(Distribution::Normal, DType::F32, s);
    check<double>(Distribution::Normal, DType::F64, s);
  });
}

LBT_TEST(random, rejects_integer_types) {
  const lb::Status s = lb::random_fill_cuda(Distribution::Uniform, DType::I32, nullptr, 4, 1, 0, 0, 1, nullptr);
  LBT_CHECK(!s.ok && s.message.find("float32 or float64") != std::string::npos, "an int32 fill was accepted");
}

}  // namespace
