// Self-tests of the CUDA emulation (src/cuda_emu). Suite emu: a tiled shared-memory SGEMM
// and warp-shuffle block reductions give the right results under every schedule; shuffles,
// votes, atomics, indices, schedules and device memory behave as CUDA defines them. Suite
// emu_faults: the mistakes the emulation exists to catch are caught: missing barriers (in
// the SGEMM tile loop; between two uses of one shared array), a partial-tile read past a
// buffer, a bad shuffle mask, an un-zeroed shared accumulator, a barrier only part of a
// block reaches, a divergent shuffle, a shared-memory overflow, a bad launch configuration.
// (In the sanitizer build UBSan reports that overflow first; test:sanitize expects it.)
// Run: lb_emu_tests emu emu_faults.
#include <cmath>
#include <numeric>
#include <set>

#include "harness.h"

namespace {

constexpr int kTile = 16;

// C[M,N] = A[M,K] · B[K,N], row-major, one 16x16 tile of C per block. The template flags
// switch off one safeguard each, to check that the emulation catches its absence.
template <bool kSyncAfterLoad, bool kSyncAfterUse, bool kBounds>
__global__ void sgemm_tiled(const float* a, const float* b, float* c, int m, int n, int k) {
  LB_SHARED(float, ta, [kTile][kTile]);
  LB_SHARED(float, tb, [kTile][kTile]);
  const int tx = threadIdx.x, ty = threadIdx.y;
  const int row = blockIdx.y * kTile + ty, col = blockIdx.x * kTile + tx;
  float acc = 0;
  for (int k0 = 0; k0 < k; k0 += kTile) {
    const bool a_in = !kBounds || (row < m && k0 + tx < k);
    const bool b_in = !kBounds || (k0 + ty < k && col < n);
    ta[ty][tx] = a_in ? a[row * k + k0 + tx] : 0.0f;
    tb[ty][tx] = b_in ? b[(k0 + ty) * n + col] : 0.0f;
    if (kSyncAfterLoad) __syncthreads();
    for (int kk = 0; kk < kTile; ++kk) acc += ta[ty][kk] * tb[kk][tx];
    if (kSyncAfterUse) __syncthreads();
  }
  if (row < m && col < n) c[row * n + col] = acc;
}

using SgemmKernel = void (*)(const float*, const float*, float*, int, int, int);

// Runs one SGEMM on the device; returns the error against a float64 reference relative to
// max(|c|, 1) (entries are sums of k products of values in [-1, 1)).
double run_sgemm(SgemmKernel kernel, int m, int n, int k, uint64_t seed) {
  const std::vector<float> a = lbt::random_floats(static_cast<size_t>(m) * k, seed);
  const std::vector<float> b = lbt::random_floats(static_cast<size_t>(k) * n, seed + 1);
  std::vector<float> want(static_cast<size_t>(m) * n);
  for (int i = 0; i < m; ++i) {
    for (int j = 0; j < n; ++j) {
      double s = 0;
      for (int p = 0; p < k; ++p) s += static_cast<double>(a[i * k + p]) * b[p * n + j];
      want[i * n + j] = static_cast<float>(s);
    }
  }
  float* da = lbt::to_device(a);
  float* db = lbt::to_device(b);
  float* dc = nullptr;
  cudaMalloc(&dc, want.size() * sizeof(float));
  const dim3 grid((n + kTile - 1) / kTile, (m + kTile - 1) / kTile);
  LB_LAUNCH(grid, dim3(kTile, kTile), 0, nullptr, kernel)(da, db, dc, m, n, k);
  double err = INFINITY;
  if (cudaPeekAtLastError() == cudaSuccess) err = lbt::max_rel_error(lbt::to_host(dc, want.size()), want, 1.0);
  cudaFree(da);
  cudaFree(db);
  cudaFree(dc);
  return err;
}

struct Shape {
  int m, n, k;
};
const Shape kShapes[] = {{37, 45, 29}, {1, 1, 1}, {64, 48, 32}, {33, 17, 70}};

LBT_TEST(emu, sgemm_tiled_every_schedule) {
  lbt::for_each_schedule([](const std::string& s) {
    for (const Shape& sh : kShapes) {
      const double err = run_sgemm(sgemm_tiled<true, true, true>, sh.m, sh.n, sh.k, 7);
      lbt::expect_launch_ok("sgemm " + s);
      LBT_CHECK(err < 1e-5, "sgemm " + std::to_string(sh.m) + "x" + std::to_string(sh.n) + "x" +
                                std::to_string(sh.k) + " under " + s + ": relative error " + std::to_string(err));
    }
  });
}

LBT_TEST(emu_faults, sgemm_missing_barrier_is_wrong) {
  // Without the barrier after the loads, threads read tile entries no thread has written
  // yet (NaN); without the one after use, a fast thread overwrites a tile others still read.
  for (SgemmKernel kernel : {sgemm_tiled<false, true, true>, sgemm_tiled<true, false, true>}) {
    lbt::for_each_schedule([&](const std::string& s) {
      const double err = run_sgemm(kernel, 37, 45, 70, 3);
      lbt::expect_launch_ok("racy sgemm " + s);
      LBT_CHECK(!(err < 1e-3), "a missing barrier gave a right answer under " + s);
    });
  }
}

LBT_TEST(emu_faults, sgemm_partial_tile_read_past_end) {
  // 37 rows: the last row of tiles reads rows 37..47 of A, past the end of its buffer.
  run_sgemm(sgemm_tiled<true, true, false>, 37, 45, 29, 5);
  lbt::expect_launch_error(cudaErrorIllegalAddress, "bytes past the end of the", "unguarded partial tile");
}

// Sum of x into *out: per-thread strided sums, a warp-shuffle reduction, one value per
// warp in shared memory, the first warp reduces those. blockDim.x: a multiple of 32.
template <unsigned kMask, bool kZero>
__global__ void block_sum(const float* x, int n, float* out) {
  LB_SHARED(float, warp_sums, [32]);
  LB_SHARED(float, total, );
  const int lane = threadIdx.x % 32, warp = threadIdx.x / 32, warps = blockDim.x / 32;
  if (kZero && threadIdx.x == 0) total = 0;
  float v = 0;
  for (int i = blockIdx.x * blockDim.x + threadIdx.x; i < n; i += blockDim.x * gridDim.x) v += x[i];
  for (int d = 16; d > 0; d /= 2) v += __shfl_down_sync(kMask, v, d);
  if (lane == 0) warp_sums[warp] = v;
  __syncthreads();
  if (warp == 0) {
    v = lane < warps ? warp_sums[lane] : 0.0f;
    for (int d = 16; d > 0; d /= 2) v += __shfl_xor_sync(0xffffffffu, v, d);
    if (lane == 0) atomicAdd(&total, v);
  }
  __syncthreads();
  if (threadIdx.x == 0) atomicAdd(out, total);
}

using SumKernel = void (*)(const float*, int, float*);

// Runs a block_sum; returns its relative error against a float64 sum.
double run_sum(SumKernel kernel, int n, int blocks, int threads) {
  const std::vector<float> x = lbt::random_floats(static_cast<size_t>(n), 11, 0.5f, 1.5f);
  const double want = std::accumulate(x.begin(), x.end(), 0.0);
  float* dx = lbt::to_device(x);
  float* dout = lbt::to_device(std::vector<float>{0.0f});
  LB_LAUNCH(blocks, threads, 0, nullptr, kernel)(dx, n, dout);
  double err = INFINITY;
  if (cudaPeekAtLastError() == cudaSuccess) err = std::fabs(lbt::to_host(dout, 1)[0] - want) / want;
  cudaFree(dx);
  cudaFree(dout);
  return err;
}

LBT_TEST(emu, shuffle_reduction_every_schedule) {
  lbt::for_each_schedule([](const std::string& s) {
    for (int n : {1, 31, 1000, 4097}) {
      for (int threads : {32, 96, 256}) {
        const double err = run_sum(block_sum<0xffffffffu, true>, n, 3, threads);
        lbt::expect_launch_ok("block_sum " + s);
        LBT_CHECK(err < 1e-5, "block_sum n=" + std::to_string(n) + " threads=" + std::to_string(threads) + " under " +
                                  s + ": relative error " + std::to_string(err));
      }
    }
  });
}

LBT_TEST(emu_faults, shuffle_bad_mask) {
  // Mask 0xffff names lanes 0..15, but lane 0 reads lane 16.
  run_sum(block_sum<0x0000ffffu, true>, 1000, 2, 64);
  lbt::expect_launch_error(cudaErrorLaunchFailure, "which is not in its mask 0x0000ffff", "bad shuffle mask");
}

LBT_TEST(emu_faults, unzeroed_shared_accumulator) {
  lbt::for_each_schedule([](const std::string& s) {
    const double err = run_sum(block_sum<0xffffffffu, false>, 1000, 2, 64);
    lbt::expect_launch_ok("un-zeroed accumulator " + s);
    LBT_CHECK(!(err < 1e-3), "an un-zeroed shared accumulator gave a right answer under " + s);
  });
}

// Two block sums in a row through one shared array; every thread writes both totals.
// Without the barrier after the first, a warp that runs ahead overwrites the array while
// other warps still have to read it.
template <bool kBarrier>
__global__ void two_sums(const float* x, float* out) {
  LB_SHARED(float, parts, [32]);
  const unsigned lane = threadIdx.x % 32, warp = threadIdx.x / 32;
  for (unsigned round = 0; round < 2; ++round) {
    float v = x[round * blockDim.x + threadIdx.x];
    for (int d = 16; d > 0; d /= 2) v += __shfl_xor_sync(0xffffffffu, v, d);
    if (lane == 0) parts[warp] = v;
    __syncthreads();
    v = lane < blockDim.x / 32 ? parts[lane] : 0.0f;
    for (int d = 16; d > 0; d /= 2) v += __shfl_xor_sync(0xffffffffu, v, d);
    out[threadIdx.x * 2 + round] = v;
    if (kBarrier) __syncthreads();
  }
}

// The largest error of any thread's two totals.
double run_two_sums(void (*kernel)(const float*, float*)) {
  const int threads = 128;
  const std::vector<float> x = lbt::random_floats(2 * threads, 4, 0.5f, 1.5f);
  const double want[2] = {std::accumulate(x.begin(), x.begin() + threads, 0.0),
                          std::accumulate(x.begin() + threads, x.end(), 0.0)};
  float* dx = lbt::to_device(x);
  float* dout = lbt::to_device(std::vector<float>(2 * threads));
  LB_LAUNCH(1, threads, 0, nullptr, kernel)(dx, dout);
  lbt::expect_launch_ok("two_sums");
  const std::vector<float> out = lbt::to_host(dout, 2 * threads);
  double worst = 0;
  for (int i = 0; i < 2 * threads; ++i) worst = std::fmax(worst, std::fabs(out[i] - want[i % 2]) / want[i % 2]);
  cudaFree(dx);
  cudaFree(dout);
  return worst;
}

LBT_TEST(emu, shared_array_reused_after_barrier) {
  lbt::for_each_schedule([](const std::string& s) {
    const double err = run_two_sums(two_sums<true>);
    LBT_CHECK(err < 1e-5, "two block sums under " + s + ": relative error " + std::to_string(err));
  });
}

LBT_TEST(emu_faults, shared_array_reused_without_barrier_is_wrong) {
  lbt::for_each_schedule([](const std::string& s) {
    const double err = run_two_sums(two_sums<false>);
    LBT_CHECK(!(err < 1e-3), "reusing a shared array without a barrier gave a right answer under " + s);
  });
}

__global__ void early_exit_then_barrier(float* x, int n) {
  const int i = threadIdx.x;
  if (i >= n) return;
  x[i] *= 2;
  __syncthreads();
}

LBT_TEST(emu_faults, barrier_reached_by_part_of_block) {
  float* d = lbt::to_device(lbt::random_floats(40, 1));
  LB_LAUNCH(1, 64, 0, nullptr, early_exit_then_barrier)(d, 40);
  lbt::expect_launch_error(cudaErrorLaunchFailure, "is reached by 40 of 64 threads", "early return before a barrier");
}

__global__ void divergent_shuffle(float* x) {
  float v = x[threadIdx.x];
  if (threadIdx.x % 32 < 16) v += __shfl_down_sync(0xffffffffu, v, 8);
  __syncthreads();
  x[threadIdx.x] = v;
}

LBT_TEST(emu_faults, shuffle_lanes_wait_on_each_other) {
  // Lanes 16..31 are named in the mask but go on to the barrier instead.
  float* d = lbt::to_device(lbt::random_floats(32, 1));
  LB_LAUNCH(1, 32, 0, nullptr, divergent_shuffle)(d);
  lbt::expect_launch_error(cudaErrorLaunchFailure, "can go on", "divergent shuffle");
}

__global__ void shared_overflow(float* out) {
  LB_SHARED(float, buf, [64]);
  buf[threadIdx.x] = 1.0f;  // launched with 65 threads
  __syncthreads();
  out[threadIdx.x] = buf[threadIdx.x];
}

LBT_TEST(emu_faults, shared_memory_overflow) {
  float* d = lbt::to_device(lbt::random_floats(65, 1));
  LB_LAUNCH(1, 65, 0, nullptr, shared_overflow)(d);
  lbt::expect_launch_error(cudaErrorIllegalAddress, "shared-memory variable 'buf'", "shared-memory overflow");
}

__global__ void write_one_past(float* x, int n) { x[n + threadIdx.x] = 1.0f; }

LBT_TEST(emu, device_memory) {
  float* d = nullptr;
  LBT_CHECK(cudaMalloc(&d, 5 * sizeof(float)) == cudaSuccess, "cudaMalloc");
  const std::vector<float> fresh = lbt::to_host(d, 5);
  for (float v : fresh) LBT_CHECK(std::isnan(v), "cudaMalloc memory is not NaN-filled");
  LBT_CHECK(reinterpret_cast<uintptr_t>(d) % 256 == 0, "cudaMalloc memory is not 256-byte aligned");
  // 20 bytes: the write lands in the alignment slack and is found after the launch.
  LB_LAUNCH(1, 1, 0, nullptr, write_one_past)(d, 5);
  lbt::expect_launch_error(cudaErrorIllegalAddress, "0 bytes past the end of the 20-byte device buffer", "write past end");
#if !defined(__SANITIZE_THREAD__)  // TSan cannot follow the fault handler's jump out of a fiber
  // 256 bytes: the buffer ends at the guard, so the write faults.
  LBT_CHECK(cudaMalloc(&d, 64 * sizeof(float)) == cudaSuccess, "cudaMalloc");
  LB_LAUNCH(1, 1, 0, nullptr, write_one_past)(d, 64);
  lbt::expect_launch_error(cudaErrorIllegalAddress, "0 bytes past the end of the 256-byte device buffer", "write at the guard");
#endif

  float host[4] = {1, 2, 3, 4};
  LBT_CHECK(cudaMalloc(&d, sizeof host) == cudaSuccess, "cudaMalloc");
  LBT_CHECK(cudaMemcpy(host, d, sizeof host, cudaMemcpyHostToDevice) == cudaErrorInvalidValue,
            "a host-to-device copy into host memory was allowed");
  std::printf("    caught (wrong direction): %s\n", cudaGetErrorString(cudaGetLastError()));
  LBT_CHECK(cudaMemcpy(d, host, sizeof host, cudaMemcpyDeviceToHost) == cudaErrorInvalidValue,
            "a device-to-host copy from host memory was allowed");
  LBT_CHECK(cudaMemcpy(host, d, sizeof host, cudaMemcpyDeviceToDevice) == cudaErrorInvalidValue,
            "a device-to-device copy into host memory was allowed");
  LBT_CHECK(cudaMemcpy(d, host, 2 * sizeof host, cudaMemcpyHostToDevice) == cudaErrorInvalidValue,
            "a copy past the end of a device buffer was allowed");
  LBT_CHECK(cudaMemcpy(d, host, sizeof host, cudaMemcpyDefault) == cudaSuccess, "cudaMemcpyDefault host to device");
  LBT_CHECK(cudaFree(host) == cudaErrorInvalidValue, "cudaFree of host memory was allowed");
  LBT_CHECK(cudaFree(d) == cudaSuccess, "cudaFree");
  LBT_CHECK(cudaFree(d) == cudaErrorInvalidValue, "a double cudaFree was allowed");
  cudaGetLastError();

  cudaStream_t stream = nullptr;
  LBT_CHECK(cudaStreamCreate(&stream) == cudaSuccess, "cudaStreamCreate");
  LBT_CHECK(cudaMallocAsync(&d, 16, stream) == cudaSuccess, "cudaMallocAsync");
  LBT_CHECK(cudaMemsetAsync(d, 0, 16, stream) == cudaSuccess, "cudaMemsetAsync");
  LBT_CHECK(lbt::to_host(d, 4)[3] == 0.0f, "cudaMemsetAsync did not write");
  LBT_CHECK(cudaFreeAsync(d, stream) == cudaSuccess && cudaStreamSynchronize(stream) == cudaSuccess, "cudaFreeAsync");

  cudaEvent_t event = nullptr;
  LBT_CHECK(cudaEventCreateWithFlags(&event, cudaEventDisableTiming) == cudaSuccess, "cudaEventCreateWithFlags");
  LBT_CHECK(cudaEventSynchronize(event) == cudaSuccess, "an event never recorded is complete");
  LBT_CHECK(cudaEventRecord(event, stream) == cudaSuccess && cudaEventSynchronize(event) == cudaSuccess, "cudaEventRecord");
  LBT_CHECK(cudaEventCreateWithFlags(&event, 64) == cudaErrorInvalidValue, "unknown event flags were accepted");
  cudaGetLastError();
  LBT_CHECK(cudaStreamDestroy(stream) == cudaSuccess, "cudaStreamDestroy");
  LBT_CHECK(cudaStreamSynchronize(stream) == cudaErrorInvalidResourceHandle, "a destroyed stream was accepted");
  cudaGetLastError();
  LBT_CHECK(cudaEventRecord(event, stream) == cudaErrorInvalidResourceHandle, "an event recorded on a destroyed stream");
  cudaGetLastError();
  LBT_CHECK(cudaEventDestroy(event) == cudaSuccess, "cudaEventDestroy");
  LBT_CHECK(cudaEventSynchronize(event) == cudaErrorInvalidResourceHandle, "a destroyed event was accepted");
  LBT_CHECK(cudaEventDestroy(event) == cudaErrorInvalidResourceHandle, "a double cudaEventDestroy was allowed");
  cudaGetLastError();
}

LBT_TEST(emu_faults, launch_configuration) {
  float* d = lbt::to_device(lbt::random_floats(1, 1));
  LB_LAUNCH(1, 1025, 0, nullptr, write_one_past)(d, 0);
  lbt::expect_launch_error(cudaErrorInvalidConfiguration, "1025 threads per block", "too many threads");
  d = lbt::to_device(lbt::random_floats(1, 1));
  LB_LAUNCH(0, 32, 0, nullptr, write_one_past)(d, 0);
  lbt::expect_launch_error(cudaErrorInvalidConfiguration, "an empty grid", "empty grid");
}

// out[lane] = results of the warp operations of lane `lane` of block 0, in the block's
// only warp: a broadcast within segments of 8, an inclusive scan, a butterfly sum and votes.
__global__ void warp_ops(const int* x, int* out) {
  const int lane = threadIdx.x;
  const int v = x[lane];
  const int bcast = __shfl_sync(0xffffffffu, v, 3, 8);
  int scan = v;
  for (int d = 1; d < 32; d *= 2) {
    const int up = __shfl_up_sync(0xffffffffu, scan, d);
    if (lane >= d) scan += up;
  }
  int sum = v;
  for (int d = 16; d > 0; d /= 2) sum += __shfl_xor_sync(0xffffffffu, sum, d);
  const unsigned ballot = __ballot_sync(0xffffffffu, v % 2);
  const int any = __any_sync(0xffffffffu, v > 30);
  const int all = __all_sync(0xffffffffu, v > 0);
  out[lane * 6 + 0] = bcast;
  out[lane * 6 + 1] = scan;
  out[lane * 6 + 2] = sum;
  out[lane * 6 + 3] = static_cast<int>(ballot);
  out[lane * 6 + 4] = any;
  out[lane * 6 + 5] = all;
}

LBT_TEST(emu, warp_shuffles_and_votes) {
  std::vector<int> x(32);
  for (int i = 0; i < 32; ++i) x[i] = (i * 7) % 31 + 1;  // 1..31, a permutation-like spread
  lbt::for_each_schedule([&](const std::string& s) {
    int* dx = lbt::to_device(x);
    int* dout = lbt::to_device(std::vector<int>(32 * 6));
    LB_LAUNCH(1, 32, 0, nullptr, warp_ops)(dx, dout);
    lbt::expect_launch_ok("warp_ops " + s);
    const std::vector<int> out = lbt::to_host(dout, 32 * 6);
    int scan = 0, total = 0;
    unsigned ballot = 0;
    for (int i = 0; i < 32; ++i) total += x[i], ballot |= static_cast<unsigned>(x[i] % 2) << i;
    for (int i = 0; i < 32; ++i) {
      scan += x[i];
      LBT_CHECK(out[i * 6 + 0] == x[(i & ~7) + 3], "__shfl_sync width 8, lane " + std::to_string(i) + " " + s);
      LBT_CHECK(out[i * 6 + 1] == scan, "__shfl_up_sync scan, lane " + std::to_string(i) + " " + s);
      LBT_CHECK(out[i * 6 + 2] == total, "__shfl_xor_sync sum, lane " + std::to_string(i) + " " + s);
      LBT_CHECK(static_cast<unsigned>(out[i * 6 + 3]) == ballot, "__ballot_sync, lane " + std::to_string(i) + " " + s);
      LBT_CHECK(out[i * 6 + 4] == 1 && out[i * 6 + 5] == 1, "__any_sync/__all_sync, lane " + std::to_string(i) + " " + s);
    }
    cudaFree(dx);
    cudaFree(dout);
  });
}

// out[linear thread id] = its coordinates; order[k] = the k-th block to run.
__global__ void indices(int* out, int* order, int* counter) {
  const int bx = blockIdx.x + gridDim.x * (blockIdx.y + gridDim.y * blockIdx.z);
  const int tx = threadIdx.x + blockDim.x * (threadIdx.y + blockDim.y * threadIdx.z);
  const int id = bx * blockDim.x * blockDim.y * blockDim.z + tx;
  out[id * 2] = bx;
  out[id * 2 + 1] = tx;
  if (tx == 0) order[atomicAdd(counter, 1)] = bx;
}

LBT_TEST(emu, indices_atomics_and_orders) {
  const dim3 grid(3, 2, 2), block(5, 3, 2);
  const int blocks = 12, threads = 30;
  lbt::for_each_schedule([&](const std::string& s) {
    int* dout = lbt::to_device(std::vector<int>(blocks * threads * 2));
    int* dorder = lbt::to_device(std::vector<int>(blocks));
    int* dcount = lbt::to_device(std::vector<int>{0});
    LB_LAUNCH(grid, block, 0, nullptr, indices)(dout, dorder, dcount);
    lbt::expect_launch_ok("indices " + s);
    const std::vector<int> out = lbt::to_host(dout, blocks * threads * 2), order = lbt::to_host(dorder, blocks);
    for (int i = 0; i < blocks * threads; ++i)
      LBT_CHECK(out[i * 2] == i / threads && out[i * 2 + 1] == i % threads, "indices of thread " + std::to_string(i));
    LBT_CHECK(lbt::to_host(dcount, 1)[0] == blocks, "atomicAdd count under " + s);
    LBT_CHECK(std::set<int>(order.begin(), order.end()).size() == static_cast<size_t>(blocks), "each block ran once");
    bool forward = true, reverse = true;
    for (int k = 0; k < blocks; ++k) forward &= order[k] == k, reverse &= order[k] == blocks - 1 - k;
    if (s == "forward") LBT_CHECK(forward, "forward order");
    else if (s == "reverse") LBT_CHECK(reverse, "reverse order");
    else LBT_CHECK(!forward && !reverse, "random order ran blocks in order");
    cudaFree(dout);
    cudaFree(dorder);
    cudaFree(dcount);
  });
}

__global__ void float_atomics(const float* x, int n, float* sum) {
  const int i = blockIdx.x * blockDim.x + threadIdx.x;
  if (i < n) atomicAdd(sum, x[i]);
}

LBT_TEST(emu, float_atomic_add) {
  const std::vector<float> x(1000, 0.25f);
  float* dx = lbt::to_device(x);
  float* dsum = lbt::to_device(std::vector<float>{0.0f});
  LB_LAUNCH(8, 128, 0, nullptr, float_atomics)(dx, 1000, dsum);
  lbt::expect_launch_ok("float_atomics");
  LBT_CHECK(lbt::to_host(dsum, 1)[0] == 250.0f, "atomicAdd(float) sum");
  cudaFree(dx);
  cudaFree(dsum);
}

}  // namespace
