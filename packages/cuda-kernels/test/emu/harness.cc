// The emulated kernel tests' harness (see harness.h) and main: `lb_emu_tests SUITE...`
// runs the named suites (all when none is named), prints one line per test and exits 1
// if any check failed; `lb_emu_tests --list` prints the suite names. Run by
// test/emu.test.ts.
#include "harness.h"

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstring>

namespace lbt {

std::vector<Test>& registry() {
  static std::vector<Test> tests;
  return tests;
}

static int g_failures = 0;

void fail(const std::string& what) {
  ++g_failures;
  std::printf("    FAIL %s\n", what.c_str());
}

const std::vector<Schedule>& schedules() {
  static const std::vector<Schedule> all = {
      {lb_emu::Order::Forward, 0}, {lb_emu::Order::Reverse, 0}, {lb_emu::Order::Random, 1}, {lb_emu::Order::Random, 2}};
  return all;
}

void for_each_schedule(const std::function<void(const std::string&)>& body) {
  for (const Schedule& s : schedules()) {
    lb_emu::set_schedule(s.order, s.seed);
    body(s.name());
  }
  lb_emu::set_schedule(lb_emu::Order::Forward, 0);
}

void reset_device() { cudaDeviceReset(); }

std::vector<float> random_floats(size_t n, uint64_t seed, float lo, float hi) {
  std::vector<float> out(n);
  uint64_t s = seed * 0x9E3779B97F4A7C15ull + 1;
  for (float& v : out) {
    s ^= s << 13;
    s ^= s >> 7;
    s ^= s << 17;
    v = lo + (hi - lo) * static_cast<float>((s >> 40) * (1.0 / 16777216.0));
  }
  return out;
}

template <typename T>
static double rel_error(const std::vector<T>& a, const std::vector<T>& b, double floor) {
  if (a.size() != b.size()) return INFINITY;
  double worst = 0;
  for (size_t i = 0; i < a.size(); ++i) {
    const double d = std::fabs(static_cast<double>(a[i]) - static_cast<double>(b[i]));
    const double e = d / std::fmax(std::fabs(static_cast<double>(b[i])), floor);
    if (!(e <= worst)) worst = e;  // NaN counts as the worst
  }
  return worst;
}

double max_rel_error(const std::vector<float>& a, const std::vector<float>& b, double floor) {
  return rel_error(a, b, floor);
}
double max_rel_error(const std::vector<double>& a, const std::vector<double>& b, double floor) {
  return rel_error(a, b, floor);
}

void expect_launch_ok(const std::string& what) {
  const cudaError_t e = cudaGetLastError();
  if (e != cudaSuccess) {
    fail(what + ": " + cudaGetErrorName(e) + ": " + cudaGetErrorString(e));
    reset_device();
  }
}

void expect_launch_error(cudaError_t code, const std::string& needle, const std::string& what) {
  const cudaError_t e = cudaGetLastError();
  const std::string text = cudaGetErrorString(e);
  if (e != code || text.find(needle) == std::string::npos) {
    fail(what + ": expected " + cudaGetErrorName(code) + " mentioning '" + needle + "', got " + cudaGetErrorName(e) +
         ": " + text);
  } else {
    std::printf("    caught (%s): %s\n", what.c_str(), text.c_str());
  }
  reset_device();
}

}  // namespace lbt

int main(int argc, char** argv) {
  using clock = std::chrono::steady_clock;
  if (argc == 2 && std::strcmp(argv[1], "--list") == 0) {
    std::vector<std::string> suites;
    for (const lbt::Test& t : lbt::registry()) {
      if (std::find(suites.begin(), suites.end(), t.suite) == suites.end()) suites.push_back(t.suite);
    }
    for (const std::string& s : suites) std::printf("%s\n", s.c_str());
    return 0;
  }
  int run = 0;
  for (const lbt::Test& t : lbt::registry()) {
    bool wanted = argc < 2;
    for (int i = 1; i < argc; ++i) wanted |= std::strcmp(argv[i], t.suite) == 0;
    if (!wanted) continue;
    const int before = lbt::g_failures;
    const auto start = clock::now();
    std::printf("  %s.%s\n", t.suite, t.name);
    t.fn();
    const double ms = std::chrono::duration<double, std::milli>(clock::now() - start).count();
    std::printf("%s %s.%s (%.0f ms)\n", lbt::g_failures == before ? "ok" : "FAILED", t.suite, t.name, ms);
    ++run;
  }
  if (run == 0) {
    std::printf("no test matched\n");
    return 1;
  }
  std::printf("%d tests, %d failed checks\n", run, lbt::g_failures);
  return lbt::g_failures == 0 ? 0 : 1;
}
