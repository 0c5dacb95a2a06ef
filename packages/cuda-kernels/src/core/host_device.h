// Marks functions shared by host code and CUDA device code: __host__ __device__ under
// nvcc, nothing under g++ (the CUDA emulation included, where device code is host code);
// LB_UNROLL asks nvcc to unroll the loop that follows.
#pragma once

#if defined(__CUDACC__)
#define LB_HOST_DEVICE __host__ __device__
#define LB_FORCE_INLINE __forceinline__
#define LB_UNROLL _Pragma("unroll")
#else
#define LB_HOST_DEVICE
#define LB_FORCE_INLINE inline __attribute__((always_inline))
#define LB_UNROLL
#endif
