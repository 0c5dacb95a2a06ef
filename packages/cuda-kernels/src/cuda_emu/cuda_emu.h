// The CUDA emulation: the subset of the CUDA runtime and device language that our .cu
// kernels use, for g++, so that the same sources run on the CPU (shared/DESIGN.md §4).
// Include it through cuda.h, never directly; nvcc gets the real runtime there.
//
// Model: a launch runs its blocks one after another on the calling thread; each CUDA
// thread of a block is a fiber with its own small stack (cuda_emu.cc), run until it
// reaches a barrier, a warp operation or its end. __syncthreads is a counting barrier;
// warp shuffles and votes exchange values between the 32 lanes of a warp once every lane
// named in the mask has arrived. Between barriers, each warp in turn runs as far as it
// can before the next starts. Blocks, warps and lanes run in forward, reverse or random
// order (set_schedule, or LARGEBATCH_EMU_ORDER=forward|reverse|random and
// LARGEBATCH_EMU_SEED), so a missing barrier shows up as a wrong result in some order.
// Misuse that hardware would turn into a hang or undefined values (a barrier reached by
// part of a block, a shuffle reading a lane outside its mask, lanes waiting on each
// other) fails the launch with a message naming the kernel, block, thread and source
// line, as cudaErrorLaunchFailure.
//
// Memory: cudaMalloc aligns each buffer to 256 bytes, as CUDA does, and places it so that
// its 256-byte-rounded end lies against an inaccessible guard region; it fills it with
// NaN bytes (0xFF: NaN as float and double, -1 as an integer). An access past the guard
// inside a kernel, or a write into the slack before it, fails the launch with
// cudaErrorIllegalAddress, naming the buffer. cudaMemcpy checks its direction against
// the emulator's own record of device buffers. Shared memory is declared with LB_SHARED (cuda.h), one copy per running
// block, NaN-filled at the start of each block and also placed against a guard region.
// Streams, cudaMallocAsync and cudaFreeAsync are their synchronous equivalents.
//
// It cannot judge speed, coalescing, bank conflicts, the GPU memory model or the overlap
// of streams. Tested by test/emu (emu_selftest.cc).
#pragma once
#if defined(__CUDACC__)
#error "cuda_emu.h is the CUDA emulation for g++; under nvcc include cuda.h, which takes the real runtime"
#endif

#include <math.h>

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <tuple>
#include <type_traits>
#include <utility>

#define __global__
#define __device__
#define __host__
#define __forceinline__ inline __attribute__((always_inline))
#define __launch_bounds__(...)
// GCC ignores section attributes on the statics of template instances, so a plain
// `static` could not be reset per block: shared memory is declared with LB_SHARED.
#define __shared__ static_assert(false, "declare shared memory with LB_SHARED(type, name, dims) from cuda.h");

struct uint3 {
  unsigned x, y, z;
};

struct dim3 {
  unsigned x, y, z;
  constexpr dim3(unsigned x_ = 1, unsigned y_ = 1, unsigned z_ = 1) : x(x_), y(y_), z(z_) {}
};

constexpr int warpSize = 32;

// The numeric values are the CUDA runtime's.
enum cudaError_t {
  cudaSuccess = 0,
  cudaErrorInvalidValue = 1,
  cudaErrorMemoryAllocation = 2,
  cudaErrorInvalidConfiguration = 9,
  cudaErrorInvalidResourceHandle = 400,
  cudaErrorIllegalAddress = 700,
  cudaErrorLaunchFailure = 719,
};
using cudaError = cudaError_t;

enum cudaMemcpyKind {
  cudaMemcpyHostToHost = 0,
  cudaMemcpyHostToDevice = 1,
  cudaMemcpyDeviceToHost = 2,
  cudaMemcpyDeviceToDevice = 3,
  cudaMemcpyDefault = 4,
};

struct CUstream_st;
using cudaStream_t = CUstream_st*;

cudaError_t cudaMalloc(void** ptr, size_t bytes);
cudaError_t cudaFree(void* ptr);
cudaError_t cudaMallocAsync(void** ptr, size_t bytes, cudaStream_t stream);
cudaError_t cudaFreeAsync(void* ptr, cudaStream_t stream);
cudaError_t cudaMemcpy(void* dst, const void* src, size_t bytes, cudaMemcpyKind kind);
cudaError_t cudaMemcpyAsync(void* dst, const void* src, size_t bytes, cudaMemcpyKind kind, cudaStream_t stream);
cudaError_t cudaMemset(void* ptr, int value, size_t bytes);
cudaError_t cudaMemsetAsync(void* ptr, int value, size_t bytes, cudaStream_t stream);
cudaError_t cudaStreamCreate(cudaStream_t* stream);
cudaError_t cudaStreamDestroy(cudaStream_t stream);
cudaError_t cudaStreamSynchronize(cudaStream_t stream);

struct CUevent_st;
using cudaEvent_t = CUevent_st*;
constexpr unsigned cudaEventDisableTiming = 2;
cudaError_t cudaEventCreateWithFlags(cudaEvent_t* event, unsigned flags);
cudaError_t cudaEventDestroy(cudaEvent_t event);
cudaError_t cudaEventRecord(cudaEvent_t event, cudaStream_t stream);
cudaError_t cudaEventSynchronize(cudaEvent_t event);
cudaError_t cudaDeviceSynchronize();
cudaError_t cudaDeviceReset();
cudaError_t cudaGetLastError();
cudaError_t cudaPeekAtLastError();
const char* cudaGetErrorName(cudaError_t error);
// For the error of the latest failure, its text followed by what the emulator found.
const char* cudaGetErrorString(cudaError_t error);

template <typename T>
cudaError_t cudaMalloc(T** ptr, size_t bytes) {
  return cudaMalloc(reinterpret_cast<void**>(ptr), bytes);
}
template <typename T>
cudaError_t cudaMallocAsync(T** ptr, size_t bytes, cudaStream_t stream) {
  return cudaMallocAsync(reinterpret_cast<void**>(ptr), bytes, stream);
}

namespace lb_emu {

enum class Order { Forward, Reverse, Random };
// The order of blocks within a launch and of threads between barriers; Random draws a
// new permutation for every block and every barrier round, from `seed`.
void set_schedule(Order order, uint64_t seed);
const char* order_name(Order order);

enum class WarpOp : int { Idx, Up, Down, Xor, Ballot, Any, All };

namespace detail {

// What the running CUDA thread sees as threadIdx, blockIdx, blockDim and gridDim.
struct Current {
  uint3 thread_idx, block_idx;
  dim3 block_dim, grid_dim;
};
extern Current current;

using Body = void (*)(void* ctx);
void launch(const char* kernel, const char* file, int line, dim3 grid, dim3 block, size_t shmem,
            cudaStream_t stream, Body body, void* ctx);
void syncthreads(const char* file, int line);
uint64_t warp_op(WarpOp op, const char* file, int line, unsigned mask, uint64_t value, int param, int width);
void* shared_var(const void* key, size_t bytes, size_t align, const char* name);

template <typename T>
uint64_t to_bits(T v) {
  static_assert(std::is_trivially_copyable_v<T> && sizeof(T) <= 8, "warp shuffles move values of up to 8 bytes");
  uint64_t bits = 0;
  std::memcpy(&bits, &v, sizeof(T));
  return bits;
}

template <typename T>
T from_bits(uint64_t bits) {
  T v;
  std::memcpy(&v, &bits, sizeof(T));
  return v;
}

}  // namespace detail

template <typename T>
T shfl(WarpOp op, const char* file, int line, unsigned mask, T value, int param, int width = warpSize) {
  return detail::from_bits<T>(detail::warp_op(op, file, line, mask, detail::to_bits(value), param, width));
}

inline unsigned vote(WarpOp op, const char* file, int line, unsigned mask, int predicate) {
  return static_cast<unsigned>(detail::warp_op(op, file, line, mask, predicate != 0, 0, warpSize));
}

template <typename T>
T& shared(const void* key, const char* name) {
  return *static_cast<T*>(detail::shared_var(key, sizeof(T), alignof(T), name));
}

// The emulated `kernel<<<grid, block, shmem, stream>>>(args...)`: arguments are converted
// to the kernel's parameter types and copied, as CUDA copies them, then every block runs
// before the call returns. A failure is reported by cudaGetLastError, as on a GPU.
template <typename... Params>
class Launcher {
 public:
  Launcher(const char* name, const char* file, int line, void (*kernel)(Params...), dim3 grid, dim3 block,
           size_t shmem, cudaStream_t stream)
      : name_(name), file_(file), line_(line), kernel_(kernel), grid_(grid), block_(block), shmem_(shmem),
        stream_(stream) {}

  template <typename... Args>
  void operator()(Args&&... args) const {
    static_assert(sizeof...(Args) == sizeof...(Params), "wrong number of kernel arguments");
    struct Call {
      void (*kernel)(Params...);
      std::tuple<std::decay_t<Params>...> params;
    } call{kernel_, std::tuple<std::decay_t<Params>...>(std::forward<Args>(args)...)};
    detail::launch(name_, file_, line_, grid_, block_, shmem_, stream_,
                   [](void* ctx) {
                     Call& c = *static_cast<Call*>(ctx);
                     std::apply(c.kernel, c.params);
                   },
                   &call);
  }

 private:
  const char* name_;
  const char* file_;
  int line_;
  void (*kernel_)(Params...);
  dim3 grid_, block_;
  size_t shmem_;
  cudaStream_t stream_;
};

}  // namespace lb_emu

#define threadIdx (static_cast<const uint3&>(::lb_emu::detail::current.thread_idx))
#define blockIdx (static_cast<const uint3&>(::lb_emu::detail::current.block_idx))
#define blockDim (static_cast<const dim3&>(::lb_emu::detail::current.block_dim))
#define gridDim (static_cast<const dim3&>(::lb_emu::detail::current.grid_dim))

#define __syncthreads() ::lb_emu::detail::syncthreads(__FILE__, __LINE__)
#define __shfl_sync(...) ::lb_emu::shfl(::lb_emu::WarpOp::Idx, __FILE__, __LINE__, __VA_ARGS__)
#define __shfl_up_sync(...) ::lb_emu::shfl(::lb_emu::WarpOp::Up, __FILE__, __LINE__, __VA_ARGS__)
#define __shfl_down_sync(...) ::lb_emu::shfl(::lb_emu::WarpOp::Down, __FILE__, __LINE__, __VA_ARGS__)
#define __shfl_xor_sync(...) ::lb_emu::shfl(::lb_emu::WarpOp::Xor, __FILE__, __LINE__, __VA_ARGS__)
#define __ballot_sync(mask, pred) ::lb_emu::vote(::lb_emu::WarpOp::Ballot, __FILE__, __LINE__, mask, pred)
#define __any_sync(mask, pred) static_cast<int>(::lb_emu::vote(::lb_emu::WarpOp::Any, __FILE__, __LINE__, mask, pred))
#define __all_sync(mask, pred) static_cast<int>(::lb_emu::vote(::lb_emu::WarpOp::All, __FILE__, __LINE__, mask, pred))

// Atomics are real atomics, so they stay correct if blocks ever run in parallel.
inline int atomicAdd(int* p, int v) { return __atomic_fetch_add(p, v, __ATOMIC_RELAXED); }
inline unsigned atomicAdd(unsigned* p, unsigned v) { return __atomic_fetch_add(p, v, __ATOMIC_RELAXED); }
inline unsigned atomicMin(unsigned* p, unsigned v) {
  unsigned old = __atomic_load_n(p, __ATOMIC_RELAXED);
  while (v < old && !__atomic_compare_exchange_n(p, &old, v, true, __ATOMIC_RELAXED, __ATOMIC_RELAXED)) {
  }
  return old;
}
inline float atomicAdd(float* p, float v) {
  uint32_t old = __atomic_load_n(reinterpret_cast<uint32_t*>(p), __ATOMIC_RELAXED);
  for (;;) {
    float f;
    std::memcpy(&f, &old, 4);
    f += v;
    uint32_t next;
    std::memcpy(&next, &f, 4);
    if (__atomic_compare_exchange_n(reinterpret_cast<uint32_t*>(p), &old, next, true, __ATOMIC_RELAXED,
                                    __ATOMIC_RELAXED)) {
      std::memcpy(&f, &old, 4);
      return f;
    }
  }
}

inline float rsqrtf(float x) { return 1.0f / sqrtf(x); }
