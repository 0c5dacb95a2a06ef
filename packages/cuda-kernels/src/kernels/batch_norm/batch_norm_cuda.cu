// Batch normalisation on the GPU (batch_norm.h). Layout [N, C, HW], contiguous: one block
// of 256 threads per channel, threads striding over the channel's N * HW values (k -> image
// k / HW, position k % HW). Forward: the shifted sums of the statistics by warp-shuffle
// block reductions in double (every thread gets them, so no broadcast is needed), thread 0
// updates the running statistics and saves mean and invstd, then all normalise. Backward:
// the two sums, then dx. The per-channel arithmetic is batch_norm_rules.h, shared with the
// CPU kernels. One block per channel leaves a big GPU idle for small C: untuned. The
// launch bounds also name the minimum of one block per multiprocessor: with the maximum
// alone, ptxas for sm_90 spilled in bn_forward<float> and in the float64 division it
// calls (seen with -Xptxas=-v); with both, nothing spills.
// Test: test/emu/batch_norm_test.cc (emulated, against the CPU kernels). Bench: bench/gpu.
#include <string>

#include "../../cuda_emu/cuda.h"
#include "../reduce/block_reduce.cuh"
#include "batch_norm.h"
#include "batch_norm_rules.h"

namespace lb {
namespace {

constexpr int kThreads = 256;

template <typename T>
__device__ __forceinline__ double value_or(const void* p, int64_t c, double fallback) {
  return p ? static_cast<double>(static_cast<const T*>(p)[c]) : fallback;
}

// Element k of channel c.
__device__ __forceinline__ int64_t at(const BatchNormShape& s, int64_t c, int64_t k) {
  return ((k / s.hw) * s.c + c) * s.hw + k % s.hw;
}

template <typename T>
__global__ void __launch_bounds__(kThreads, 1) bn_forward(BatchNormShape s, BatchNormOptions o, BatchNormForward t) {
  const int64_t c = blockIdx.x, m = s.n * s.hw;
  const T* x = static_cast<const T*>(t.x);
  double mean, var;
  if (o.training) {
    const double shift = x[c * s.hw];
    double sum = 0, sum_sq = 0;
    for (int64_t k = threadIdx.x; k < m; k += kThreads) {
      const double d = static_cast<double>(x[at(s, c, k)]) - shift;
      sum += d;
      sum_sq += d * d;
    }
    const BnMoments mv = bn_moments(shift, block_sum(sum), block_sum(sum_sq), static_cast<double>(m));
    mean = mv.mean;
    var = mv.var;
  } else {
    mean = static_cast<const T*>(t.running_mean)[c];
    var = static_cast<const T*>(t.running_var)[c];
  }
  const double invstd = 1.0 / sqrt(var + o.eps);
  if (threadIdx.x == 0) {
    static_cast<T*>(t.save_mean)[c] = static_cast<T>(mean);
    static_cast<T*>(t.save_invstd)[c] = static_cast<T>(invstd);
    if (o.training && t.running_mean) {
      T* rm = static_cast<T*>(t.running_mean);
      rm[c] = static_cast<T>(bn_running(rm[c], mean, o.momentum));
    }
    if (o.training && t.running_var) {
      T* rv = static_cast<T*>(t.running_var);
      rv[c] = static_cast<T>(bn_running(rv[c], bn_unbiased(var, m), o.momentum));
    }
  }
  // (x - mean) first, as on the CPU, so float32 keeps the spread when |mean| >> std.
  const T mt = static_cast<T>(mean), a = static_cast<T>(invstd * value_or<T>(t.weight, c, 1.0));
  const T b = static_cast<T>(value_or<T>(t.bias, c, 0.0));
  T* y = static_cast<T*>(t.y);
  for (int64_t k = threadIdx.x; k < m; k += kThreads) {
    const int64_t e = at(s, c, k);
    const T v = (x[e] - mt) * a + b;
    y[e] = o.relu && v < T(0) ? T(0) : v;  // NaN passes through, as torch.relu
  }
}

template <typename T>
__global__ void __launch_bounds__(kThreads, 1) bn_backward(BatchNormShape s, BatchNormOptions o, BatchNormBackward t) {
  const int64_t c = blockIdx.x, m = s.n * s.hw;
  const T* dy = static_cast<const T*>(t.dy);
  const T* x = static_cast<const T*>(t.x);
  const T* y = static_cast<const T*>(t.y);
  const double mean = static_cast<const T*>(t.save_mean)[c], invstd = static_cast<const T*>(t.save_invstd)[c];
  double sum_dy = 0, sum_dy_x = 0;
  for (int64_t k = threadIdx.x; k < m; k += kThreads) {
    const int64_t e = at(s, c, k);
    const double g = !o.relu || y[e] > T(0) ? dy[e] : T(0);
    sum_dy += g;
    sum_dy_x += g * (static_cast<double>(x[e]) - mean);
  }
  sum_dy = block_sum(sum_dy);
  const double sum_dy_xhat = block_sum(sum_dy_x) * invstd;
  if (threadIdx.x == 0) {
    if (t.dbias) static_cast<T*>(t.dbias)[c] = static_cast<T>(sum_dy);
    if (t.dweight) static_cast<T*>(t.dweight)[c] = static_cast<T>(sum_dy_xhat);
  }
  if (!t.dx) return;
  const BnDx f = bn_dx(invstd, value_or<T>(t.weight, c, 1.0), sum_dy, sum_dy_xhat, static_cast<double>(m), o.training);
  const T kt = static_cast<T>(f.k), ut = static_cast<T>(f.u), vt = static_cast<T>(f.v), mt = static_cast<T>(mean);
  T* dx = static_cast<T*>(t.dx);
  for (int64_t k = threadIdx.x; k < m; k += kThreads) {
    const int64_t e = at(s, c, k);
    const T g = !o.relu || y[e] > T(0) ? dy[e] : T(0);
    dx[e] = g * kt + (x[e] - mt) * ut + vt;
  }
}

Status check_shape(DType type, const BatchNormShape& s) {
  if (s.n < 0 || s.c < 0 || s.hw < 0) return LB_FAIL("batch_norm: negative size");
  if (type != DType::F32 && type != DType::F64)
    return LB_FAIL(std::string("batch_norm needs float32 or float64, got ") + dtype_name(type));
  if (s.c > 0x7fffffff) return LB_FAIL("batch_norm: more than 2^31 - 1 channels");
  return Status::Ok();
}

}  // namespace

Status batch_norm_forward_cuda(DType type, const BatchNormShape& s, const BatchNormOptions& o,
                               const BatchNormForward& t, void* stream) {
  LB_RETURN_IF_FAILED(check_shape(type, s));
  if (!o.training && (!t.running_mean || !t.running_var)) return LB_FAIL("batch_norm: eval mode needs the running statistics");
  if (o.training && s.n * s.hw == 0) return LB_FAIL("batch_norm: training needs at least one value per channel");
  if (s.c == 0) return Status::Ok();
  cudaStream_t st = static_cast<cudaStream_t>(stream);
  if (type == DType::F32) LB_LAUNCH(static_cast<unsigned>(s.c), kThreads, 0, st, bn_forward<float>)(s, o, t);
  else LB_LAUNCH(static_cast<unsigned>(s.c), kThreads, 0, st, bn_forward<double>)(s, o, t);
  return LB_CUDA_CHECK(cudaGetLastError(), "bn_forward");
}

Status batch_norm_backward_cuda(DType type, const BatchNormShape& s, const BatchNormOptions& o,
                                const BatchNormBackward& t, void* stream) {
  LB_RETURN_IF_FAILED(check_shape(type, s));
  if (o.relu && !t.y) return LB_FAIL("batch_norm: the backward of a fused ReLU needs y");
  if (s.c == 0) return Status::Ok();
  cudaStream_t st = static_cast<cudaStream_t>(stream);
  if (type == DType::F32) LB_LAUNCH(static_cast<unsigned>(s.c), kThreads, 0, st, bn_backward<float>)(s, o, t);
  else LB_LAUNCH(static_cast<unsigned>(s.c), kThreads, 0, st, bn_backward<double>)(s, o, t);
  return LB_CUDA_CHECK(cudaGetLastError(), "bn_backward");
}

}  // namespace lb
