// Sums across a warp and across a block by warp shuffles, for .cu kernels (the optimizer
// step's norms, the reductions). Lane order is fixed, so results are deterministic.
// Tested through the kernels that use them (test/emu/optim_test.cc, reduce_test.cc).
#pragma once
#include "../../cuda_emu/cuda.h"

namespace lb {

// Every lane of a full warp gets the sum of the 32 lanes' values (a butterfly).
template <typename T>
__device__ __forceinline__ T warp_sum(T v) {
  for (int d = 16; d > 0; d /= 2) v += __shfl_xor_sync(0xffffffffu, v, d);
  return v;
}

// Every thread gets the sum over the block. blockDim.x must be a multiple of 32 (up to
// 1024, blockDim.y = blockDim.z = 1) and every thread of the block must call it.
template <typename T>
__device__ T block_sum(T v) {
  LB_SHARED(T, warp_sums, [32]);
  const unsigned lane = threadIdx.x % 32, warp = threadIdx.x / 32;
  v = warp_sum(v);
  if (lane == 0) warp_sums[warp] = v;
  __syncthreads();
  v = lane < blockDim.x / 32 ? warp_sums[lane] : T(0);
  v = warp_sum(v);
  __syncthreads();  // warp_sums is free again for the next call
  return v;
}

}  // namespace lb
