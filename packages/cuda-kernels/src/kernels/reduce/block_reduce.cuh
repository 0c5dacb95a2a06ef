// Reductions across a warp and across a block by warp shuffles, for .cu kernels (the
// optimizer step's norms, the reductions over an axis). `op(a, b)` combines two partial
// results; it must be associative and commutative (sums; max/min with ties broken by
// index), since a butterfly combines lanes in both orders. Values are moved between lanes
// by shuffle_xor(v, d), defined here for scalars; a struct type gets its own overload
// beside it (found by argument-dependent lookup). Lane order is fixed, so results are
// deterministic. Tested through the kernels that use them (test/emu/optim_test.cc,
// reduce_test.cc).
#pragma once
#include "../../cuda_emu/cuda.h"

namespace lb {

template <typename T>
__device__ __forceinline__ T shuffle_xor(T v, int lane_mask) {
  return __shfl_xor_sync(0xffffffffu, v, lane_mask);
}

template <typename T>
struct SumOp {
  __device__ T operator()(T a, T b) const { return a + b; }
};

// Every lane of a full warp gets op over the 32 lanes' values.
template <typename T, typename Op>
__device__ __forceinline__ T warp_reduce(T v, Op op) {
  for (int d = 16; d > 0; d /= 2) v = op(v, shuffle_xor(v, d));
  return v;
}

// Every thread gets op over the block. blockDim.x must be a multiple of 32 (up to 1024,
// blockDim.y = blockDim.z = 1) and every thread of the block must call it; `identity`
// pads the missing warps. T must be trivially constructible (a __shared__ array of it).
template <typename T, typename Op>
__device__ T block_reduce(T v, Op op, T identity) {
  LB_SHARED(T, warp_parts, [32]);
  const unsigned lane = threadIdx.x % 32, warp = threadIdx.x / 32;
  v = warp_reduce(v, op);
  if (lane == 0) warp_parts[warp] = v;
  __syncthreads();
  v = lane < blockDim.x / 32 ? warp_parts[lane] : identity;
  v = warp_reduce(v, op);
  __syncthreads();  // warp_parts is free again for the next call
  return v;
}

template <typename T>
__device__ __forceinline__ T warp_sum(T v) {
  return warp_reduce(v, SumOp<T>{});
}

template <typename T>
__device__ __forceinline__ T block_sum(T v) {
  return block_reduce(v, SumOp<T>{}, T(0));
}

}  // namespace lb
