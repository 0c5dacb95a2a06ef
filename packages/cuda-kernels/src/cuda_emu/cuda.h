// The CUDA runtime for a .cu file of this project: the real one under nvcc, the emulation
// (cuda_emu.h) under g++, so one source serves both. A kernel file includes this, and
//   - launches with LB_LAUNCH(grid, block, shmem, stream, kernel)(args...), which is
//     kernel<<<grid, block, shmem, stream>>>(args...) under nvcc (the kernel comes last
//     because a template kernel's name may hold commas);
//   - declares shared memory with LB_SHARED(type, name, dims), e.g.
//     LB_SHARED(float, tile, [16][16]); which is `__shared__ float tile[16][16]` under nvcc
//     and a reference to the running block's copy under the emulation;
//   - turns CUDA errors into statuses with LB_CUDA_CHECK (status.h style), naming the
//     kernel or call and the CUDA error string.
#pragma once
#include <cstdint>
#include <string>

#include "../core/status.h"

#if defined(__CUDACC__)
#include <cuda_runtime.h>
#define LB_LAUNCH(grid, block, shmem, stream, ...) __VA_ARGS__<<<grid, block, shmem, stream>>>
#define LB_SHARED(type, name, dims) __shared__ type name dims
#else
#include "cuda_emu.h"
#define LB_LAUNCH(grid, block, shmem, stream, ...) \
  ::lb_emu::Launcher(#__VA_ARGS__, __FILE__, __LINE__, __VA_ARGS__, grid, block, shmem, stream)
// The key's address tells the emulator which declaration (and template instance) this is.
#define LB_SHARED(type, name, dims)        \
  static const char lb_shared_key_##name{}; \
  auto& name = ::lb_emu::shared<type dims>(&lb_shared_key_##name, #name)
#endif

namespace lb {

// The grid of a launch whose threads stride over n items with `threads` per block: enough
// blocks to fill the largest GPU (at most 65536), never more than the items need.
inline unsigned strided_grid(int64_t n, int threads) {
  const int64_t blocks = (n + threads - 1) / threads;
  return static_cast<unsigned>(blocks < 65536 ? blocks : 65536);
}

inline Status cuda_status(cudaError_t err, const char* what, const char* file, int line) {
  if (err == cudaSuccess) return Status::Ok();
  return Status::Fail(std::string(what) + ": " + cudaGetErrorName(err) + ": " + cudaGetErrorString(err), file, line);
}

}  // namespace lb

// Checks a CUDA runtime call, or (with cudaGetLastError()) a launch; `what` names it.
#define LB_CUDA_CHECK(call, what) ::lb::cuda_status((call), (what), __FILE__, __LINE__)
