// Suite tsan_canary, in the ThreadSanitizer build only (scripts/test-tsan.mjs): proves that
// TSan sees the emulated CUDA threads as threads. The same kernel runs with its barrier,
// which must pass clean, and without it, where two threads of a block use one shared
// array with nothing between the write and the read: test-tsan expects that data race
// reported. Run: lb_emu_tests tsan_canary (in build-tsan/).
#if defined(__SANITIZE_THREAD__)
#include "harness.h"

namespace {

constexpr int kThreads = 64;

// y[i] = x[kThreads - 1 - i] through shared memory.
template <bool kBarrier>
__global__ void reverse_block(const float* x, float* y) {
  LB_SHARED(float, buf, [kThreads]);
  const int i = threadIdx.x;
  buf[i] = x[i];
  if (kBarrier) __syncthreads();
  y[i] = buf[kThreads - 1 - i];
}

template <bool kBarrier>
void run() {
  const std::vector<float> x = lbt::random_floats(kThreads, 5);
  float* dx = lbt::to_device(x);
  float* dy = lbt::to_device(std::vector<float>(kThreads));
  LB_LAUNCH(1, kThreads, 0, nullptr, reverse_block<kBarrier>)(dx, dy);
  lbt::expect_launch_ok("reverse_block");
  const std::vector<float> y = lbt::to_host(dy, kThreads);
  if (kBarrier) {
    for (int i = 0; i < kThreads; ++i) LBT_CHECK(y[i] == x[kThreads - 1 - i], "reverse_block with its barrier");
  }
  cudaFree(dx);
  cudaFree(dy);
}

LBT_TEST(tsan_canary, with_barrier_clean) { run<true>(); }
LBT_TEST(tsan_canary, missing_barrier_reported) { run<false>(); }

}  // namespace
#endif
