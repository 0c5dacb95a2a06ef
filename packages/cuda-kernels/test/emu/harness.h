// A small test harness for the emulated CUDA kernel tests (test/emu): registration,
// checks that report and go on, the schedules every test runs under, device transfers
// and random data. main.cc runs the suites named on its command line.
#pragma once
#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <string>
#include <vector>

#include "../../src/cuda_emu/cuda.h"

namespace lbt {

struct Test {
  const char* suite;
  const char* name;
  void (*fn)();
};

std::vector<Test>& registry();
struct Register {
  Register(const char* suite, const char* name, void (*fn)()) { registry().push_back({suite, name, fn}); }
};

// Counts a failure of the running test and prints `what`.
void fail(const std::string& what);

#define LBT_TEST(suite, name)                                                   \
  static void lbt_##suite##_##name();                                          \
  static ::lbt::Register lbt_reg_##suite##_##name(#suite, #name, lbt_##suite##_##name); \
  static void lbt_##suite##_##name()

#define LBT_CHECK(cond, what)                                                   \
  do {                                                                          \
    if (!(cond)) ::lbt::fail(std::string(__FILE__ ":") + std::to_string(__LINE__) + ": " + (what)); \
  } while (0)

struct Schedule {
  lb_emu::Order order;
  uint64_t seed;
  std::string name() const { return std::string(lb_emu::order_name(order)) + (order == lb_emu::Order::Random ? "/" + std::to_string(seed) : ""); }
};

// Forward, reverse and two random schedules.
const std::vector<Schedule>& schedules();

// Runs body once under each schedule (set on the emulator), passing its name.
void for_each_schedule(const std::function<void(const std::string&)>& body);

// Clears a sticky error left by a launch that was meant to fail.
void reset_device();

// Fresh random values in [lo, hi) from a seeded generator (never zeros unless lo < 0 < hi
// happens to round there), so a failure reproduces.
std::vector<float> random_floats(size_t n, uint64_t seed, float lo = -1, float hi = 1);

// max_i |a_i - b_i| / max(|b_i|, floor): relative error with a floor for values near 0.
double max_rel_error(const std::vector<float>& a, const std::vector<float>& b, double floor = 1e-3);
double max_rel_error(const std::vector<double>& a, const std::vector<double>& b, double floor = 1e-3);

// max_i |got_i - want_i| / max_i |want_i|, infinite where got holds a NaN: float32 rounding
// of values near 0 is judged against the tensor's scale.
template <typename A, typename B>
double max_scaled_error(const std::vector<A>& got, const std::vector<B>& want) {
  double diff = 0, scale = 1e-30;
  for (size_t i = 0; i < got.size(); ++i) {
    const double d = std::fabs(static_cast<double>(got[i]) - static_cast<double>(want[i]));
    diff = std::isnan(d) ? INFINITY : std::max(diff, d);
    scale = std::max(scale, std::fabs(static_cast<double>(want[i])));
  }
  return diff / scale;
}

// The values as float64, for references computed in double.
inline std::vector<double> widened(const std::vector<float>& v) { return std::vector<double>(v.begin(), v.end()); }

template <typename T>
T* to_device(const std::vector<T>& host) {
  T* p = nullptr;
  if (cudaMalloc(&p, host.size() * sizeof(T)) != cudaSuccess) fail("cudaMalloc failed");
  if (!host.empty() && cudaMemcpy(p, host.data(), host.size() * sizeof(T), cudaMemcpyHostToDevice) != cudaSuccess)
    fail("cudaMemcpy to the device failed");
  return p;
}

template <typename T>
std::vector<T> to_host(const T* device, size_t n) {
  std::vector<T> host(n);
  if (n > 0 && cudaMemcpy(host.data(), device, n * sizeof(T), cudaMemcpyDeviceToHost) != cudaSuccess)
    fail(std::string("cudaMemcpy to the host failed: ") + cudaGetErrorString(cudaPeekAtLastError()));
  return host;
}

// Checks that the last launch succeeded, naming `what` if not.
void expect_launch_ok(const std::string& what);
// Checks that the last launch failed with `code` and a message holding `needle`; resets.
void expect_launch_error(cudaError_t code, const std::string& needle, const std::string& what);

}  // namespace lbt
