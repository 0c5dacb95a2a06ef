// 2-d pooling on the GPU (pool.h). Layout [planes, H, W] in, [planes, P, Q] out, both
// contiguous. Forward: one thread per output, walking its window (pool_window.h, the
// CPU's windows) in the CPU's order, so y and the indices equal the CPU's bit for bit.
// Backward gathers instead of scattering: one thread per input pixel visits the outputs
// whose windows can hold it (candidates(), confirmed by pool_window) in increasing order and
// sums their shares (averages) or the dy of those whose index is the pixel (max), the sums
// the CPU's scatter forms in the same order; so no atomics, deterministic, and dx is fully
// written. Max pooling's backward first checks the indices (pool_check_indices, atomicMin
// of the lowest bad position, as index_cuda.cu); the gather then writes nothing if one was
// bad. Never run on a GPU yet: compiled by nvcc, tested under the emulation.
// Test: test/emu/pool_test.cc (emulated, against the CPU kernels). Bench: bench/gpu.
#include <math.h>

#include <string>

#include "../../cuda_emu/cuda.h"
#include "pool.h"
#include "pool_window.h"

namespace lb {
namespace {

constexpr int kThreads = 256;

template <typename T>
__global__ void __launch_bounds__(kThreads) pool_forward(PoolMode mode, Pool2dShape s, const T* x, T* y,
                                                         int32_t* indices) {
  const int64_t out_plane = s.p * s.q, count = s.planes * out_plane;
  for (int64_t o = static_cast<int64_t>(blockIdx.x) * kThreads + threadIdx.x; o < count;
       o += static_cast<int64_t>(gridDim.x) * kThreads) {
    const int64_t pq = o % out_plane;
    const PoolWindow win = pool_window(mode, s, pq / s.q, pq % s.q);
    const T* in = x + (o / out_plane) * s.h * s.w;
    if (mode == PoolMode::Max) {
      T best = -static_cast<T>(INFINITY);
      int64_t best_at = win.h0 * s.w + win.w0;
      for (int64_t ih = win.h0; ih < win.h1; ++ih)
        for (int64_t iw = win.w0; iw < win.w1; ++iw) {
          const T v = in[ih * s.w + iw];
          if (max_pool_takes(v, best)) {
            best = v;
            best_at = ih * s.w + iw;
          }
        }
      y[o] = best;
      indices[o] = static_cast<int32_t>(best_at);
    } else {
      double sum = 0;
      for (int64_t ih = win.h0; ih < win.h1; ++ih)
        for (int64_t iw = win.w0; iw < win.w1; ++iw) sum += in[ih * s.w + iw];
      y[o] = static_cast<T>(sum / win.divisor);
    }
  }
}

// Reports the lowest output position whose index is not a pixel of its own window.
__global__ void __launch_bounds__(kThreads) pool_check_indices(Pool2dShape s, const int32_t* indices, unsigned* bad) {
  const int64_t out_plane = s.p * s.q, count = s.planes * out_plane;
  for (int64_t o = static_cast<int64_t>(blockIdx.x) * kThreads + threadIdx.x; o < count;
       o += static_cast<int64_t>(gridDim.x) * kThreads) {
    const int64_t pq = o % out_plane, at = indices[o];
    const PoolWindow win = pool_window(PoolMode::Max, s, pq / s.q, pq % s.q);
    const int64_t ih = at / s.w, iw = at % s.w;
    if (at < 0 || ih < win.h0 || ih >= win.h1 || iw < win.w0 || iw >= win.w1) atomicMin(bad, static_cast<unsigned>(o));
  }
}

// The outputs [lo, hi] along one axis whose windows may hold input position i (pool_window
// decides): fixed windows o*stride - pad + [0, kernel), adaptive [floor(o in / out), ceil((o + 1) in / out)).
struct Range {
  int64_t lo, hi;
};

__device__ __forceinline__ Range candidates(PoolMode mode, int64_t i, int64_t in, int64_t out, int64_t kernel,
                                            int64_t stride, int64_t pad) {
  Range r;
  if (mode == PoolMode::AdaptiveAvg) {
    r.lo = i * out / in;
    r.hi = ((i + 1) * out + in - 1) / in - 1;
  } else {
    r.lo = i + pad - kernel < 0 ? 0 : (i + pad - kernel) / stride + 1;
    r.hi = (i + pad) / stride;
  }
  if (r.hi > out - 1) r.hi = out - 1;
  return r;
}

template <typename T>
__global__ void __launch_bounds__(kThreads) pool_backward(PoolMode mode, Pool2dShape s, const T* dy,
                                                          const int32_t* indices, T* dx, const int32_t* bad) {
  if (mode == PoolMode::Max && *bad != -1) return;
  const int64_t in_plane = s.h * s.w, out_plane = s.p * s.q, count = s.planes * in_plane;
  for (int64_t e = static_cast<int64_t>(blockIdx.x) * kThreads + threadIdx.x; e < count;
       e += static_cast<int64_t>(gridDim.x) * kThreads) {
    const int64_t pixel = e % in_plane, ih = pixel / s.w, iw = pixel % s.w, first = (e / in_plane) * out_plane;
    const Range ps = candidates(mode, ih, s.h, s.p, s.kernel_h, s.stride_h, s.pad_h);
    const Range qs = candidates(mode, iw, s.w, s.q, s.kernel_w, s.stride_w, s.pad_w);
    T grad = T(0);
    for (int64_t p = ps.lo; p <= ps.hi; ++p)
      for (int64_t q = qs.lo; q <= qs.hi; ++q) {
        const int64_t o = first + p * s.q + q;
        if (mode == PoolMode::Max) {
          // The check put every index inside its window, so the candidates hold all that name this pixel.
          if (indices[o] == pixel) grad += dy[o];
          continue;
        }
        const PoolWindow win = pool_window(mode, s, p, q);
        if (ih >= win.h0 && ih < win.h1 && iw >= win.w0 && iw < win.w1) grad += static_cast<T>(dy[o] / win.divisor);
      }
    dx[e] = grad;
  }
}

Status check_type(DType type) {
  if (type == DType::F32 || type == DType::F64) return Status::Ok();
  return LB_FAIL(std::string("pool2d needs float32 or float64, got ") + dtype_name(type));
}

}  // namespace

Status pool2d_forward_cuda(DType type, PoolMode mode, const Pool2dShape& s, const void* x, void* y, int32_t* indices,
                           void* stream) {
  LB_RETURN_IF_FAILED(pool2d_check(mode, s));
  LB_RETURN_IF_FAILED(check_type(type));
  if (mode == PoolMode::Max && !indices) return LB_FAIL("pool2d: max pooling needs an indices buffer");
  const int64_t count = s.planes * s.p * s.q;
  if (count == 0) return Status::Ok();
  cudaStream_t st = static_cast<cudaStream_t>(stream);
  if (type == DType::F32)
    LB_LAUNCH(strided_grid(count, kThreads), kThreads, 0, st, pool_forward<float>)(
        mode, s, static_cast<const float*>(x), static_cast<float*>(y), indices);
  else
    LB_LAUNCH(strided_grid(count, kThreads), kThreads, 0, st, pool_forward<double>)(
        mode, s, static_cast<const double*>(x), static_cast<double*>(y), indices);
  return LB_CUDA_CHECK(cudaGetLastError(), "pool_forward");
}

Status pool2d_backward_cuda(DType type, PoolMode mode, const Pool2dShape& s, const void* dy, const int32_t* indices,
                            void* dx, int32_t* bad_position, void* stream) {
  LB_RETURN_IF_FAILED(pool2d_check(mode, s));
  LB_RETURN_IF_FAILED(check_type(type));
  cudaStream_t st = static_cast<cudaStream_t>(stream);
  if (mode == PoolMode::Max) {
    if (!indices || !bad_position) return LB_FAIL("pool2d: max pooling's backward needs the indices and bad_position");
    LB_RETURN_IF_FAILED(LB_CUDA_CHECK(cudaMemsetAsync(bad_position, 0xFF, sizeof(int32_t), st), "pool2d: cudaMemsetAsync"));
    const int64_t outputs = s.planes * s.p * s.q;
    if (outputs > 0) {
      LB_LAUNCH(strided_grid(outputs, kThreads), kThreads, 0, st, pool_check_indices)(
          s, indices, reinterpret_cast<unsigned*>(bad_position));
      LB_RETURN_IF_FAILED(LB_CUDA_CHECK(cudaGetLastError(), "pool_check_indices"));
    }
  }
  const int64_t count = s.planes * s.h * s.w;
  if (count == 0) return Status::Ok();
  if (type == DType::F32)
    LB_LAUNCH(strided_grid(count, kThreads), kThreads, 0, st, pool_backward<float>)(
        mode, s, static_cast<const float*>(dy), indices, static_cast<float*>(dx), bad_position);
  else
    LB_LAUNCH(strided_grid(count, kThreads), kThreads, 0, st, pool_backward<double>)(
        mode, s, static_cast<const double*>(dy), indices, static_cast<double*>(dx), bad_position);
  return LB_CUDA_CHECK(cudaGetLastError(), "pool_backward");
}

}  // namespace lb
