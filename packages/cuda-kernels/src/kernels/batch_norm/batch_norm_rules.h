// The per-channel arithmetic of batch normalisation (batch_norm.h), shared by
// batch_norm_cpu.cc and batch_norm_cuda.cu so both compute the same thing: the moments
// from shifted sums, the running-statistics update, and the folded coefficients of dx.
#pragma once
#include <math.h>

#include <cstdint>

#include "../../core/host_device.h"

namespace lb {

struct BnMoments {
  double mean, var;  // var biased
};

// From sums of d = x - shift and d² over `count` values.
LB_HOST_DEVICE inline BnMoments bn_moments(double shift, double sum, double sum_sq, double count) {
  const double centred = sum / count;
  const double var = sum_sq / count - centred * centred;
  return BnMoments{shift + centred, var > 0.0 ? var : 0.0};
}

// running = (1 - m) running + m stat; the variance's stat is unbiased (NaN for one value).
LB_HOST_DEVICE inline double bn_running(double running, double stat, double momentum) {
  return (1 - momentum) * running + momentum * stat;
}
LB_HOST_DEVICE inline double bn_unbiased(double var, int64_t count) {
  return count > 1 ? var * static_cast<double>(count) / static_cast<double>(count - 1) : NAN;
}

// dx = g k + (x - mean) u + v, with sum_dy_xhat = sum g (x - mean) invstd.
struct BnDx {
  double k, u, v;
};
LB_HOST_DEVICE inline BnDx bn_dx(double invstd, double weight, double sum_dy, double sum_dy_xhat, double count,
                                 bool training) {
  const double k = invstd * weight;
  return BnDx{k, training ? -k * invstd * sum_dy_xhat / count : 0.0, training ? -k * sum_dy / count : 0.0};
}

}  // namespace lb
